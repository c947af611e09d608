/// A file the pipeline hands the filer, and what the pipeline knows of how it was written.
struct FilingRequest: Sendable, Equatable {
    /// The file, and whether it is claimed already.
    var source: DropSource
    /// Written in place (closed after writing, created, or found by a scan) rather than renamed
    /// in: a scalar file whose last line is cut waits for the rest of it.
    var wroteInPlace: Bool
    /// The file has been quiet for the settle time (or `ingest` takes what is there): a cut last
    /// line no longer waits.
    var acceptsIncompleteLastLine: Bool
    /// Where the kernel grants no lease, how long the file must have been unchanged before it is
    /// taken: 0 once a close event said its writer closed it, the settle time otherwise (a file
    /// found by a scan, or only created).
    var unleasedQuietNanoseconds: Int64
    /// Set for a file the poller reported as settled: it is taken only when complete for its
    /// kind (or set aside once the settle timeout has passed), and a granted lease is no proof
    /// that nobody writes it where the lease says nothing.
    var polled: PolledFile? = nil

    /// A file the poller reported as settled.
    static func settled(_ source: DropSource, _ polled: PolledFile) -> FilingRequest {
        FilingRequest(
            source: source, wroteInPlace: false, acceptsIncompleteLastLine: true, unleasedQuietNanoseconds: 0,
            polled: polled)
    }

    /// A file that is complete as it is: renamed in, or claimed already.
    static func complete(_ source: DropSource) -> FilingRequest {
        FilingRequest(
            source: source, wroteInPlace: false, acceptsIncompleteLastLine: true, unleasedQuietNanoseconds: 0)
    }
}
