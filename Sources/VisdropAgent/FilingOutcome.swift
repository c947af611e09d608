import VisdropFileSystem

/// What happened to one dropped file.
enum FilingOutcome: Sendable {
    /// Filed: the kind, the files written (or appended to) and how many scalar records it held.
    case filed(kind: DropKind, outputs: [String], records: Int)
    /// Set aside in `DROP/.rejected` with the reason.
    case rejected(kind: DropKind, reason: String)
    /// Not filed now and not an error: gone already, or work in progress.
    case skipped(reason: String)
    /// The output could not be written (disk full, read-only); the source is kept for a retry.
    case retry(FileSystemError)
}
