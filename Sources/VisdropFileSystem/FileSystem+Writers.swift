#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension FileSystem {
    /// Whether some process still has a file open for writing, as far as the kernel can tell us.
    public enum WriterState: Sendable, Equatable {
        /// Nobody has the file open for writing: what is there is complete.
        case noWriters
        /// Some process has the file open for writing: its close will produce an event.
        case openForWriting
        /// The question cannot be answered here (another user's file without `CAP_LEASE`, a file
        /// system without leases, not a regular file, gone).
        case unknown
    }

    /// Asks the kernel whether `path` is open for writing, by trying to take a read lease on it.
    ///
    /// A read lease (`fcntl(F_SETLEASE, F_RDLCK)`) is refused with `EAGAIN` exactly when the file is
    /// open for writing; when granted it is released at once. The file is opened like
    /// `readRegularFile` opens it (`O_NOFOLLOW | O_NONBLOCK`, checked with `fstat`), so links,
    /// FIFOs and devices are never followed or waited on.
    public static func writerState(at path: String) -> WriterState {
        _ = ignoreLeaseBreakSignal
        let fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else { return .unknown }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return .unknown }
        if fcntl(fd, setLease, F_RDLCK) == 0 {
            _ = fcntl(fd, setLease, F_UNLCK)
            return .noWriters
        }
        return errno == EAGAIN ? .openForWriting : .unknown
    }

    /// `F_SETLEASE` (`F_LINUX_SPECIFIC_BASE + 0`), which Glibc only declares under `_GNU_SOURCE`.
    private static let setLease: Int32 = 1024

    /// A writer opening the file during the microseconds we hold a lease makes the kernel send the lease
    /// holder `SIGIO`, whose default action ends the process. We release the lease on our own at once,
    /// so the signal carries nothing we need: ignore it, once, for the whole process.
    private static let ignoreLeaseBreakSignal: Void = {
        signal(SIGIO, SIG_IGN)
    }()
}
