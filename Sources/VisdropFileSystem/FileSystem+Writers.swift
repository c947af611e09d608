internal import CLinuxShim

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
    /// `RegularFile` opens it (checked through an `O_PATH | O_NOFOLLOW` handle first), so links,
    /// FIFOs and devices are never followed, waited on or opened.
    public static func writerState(at path: String) -> WriterState {
        do {
            let file = try RegularFile.open(at: path)
            return writerState(of: file)
        } catch {
            return .unknown
        }
    }

    /// Asks the kernel whether some process has `file` open for writing (see `writerState(at:)`).
    public static func writerState(of file: borrowing RegularFile) -> WriterState {
        _ = ignoreLeaseBreakSignal
        if visdrop_set_lease(file.descriptor, Int32(F_RDLCK)) == 0 {
            _ = visdrop_set_lease(file.descriptor, Int32(F_UNLCK))
            return .noWriters
        }
        return errno == EAGAIN ? .openForWriting : .unknown
    }

    /// A writer opening the file during the microseconds we hold a lease makes the kernel send the lease
    /// holder `SIGIO`, whose default action ends the process. We release the lease on our own at once,
    /// so the signal carries nothing we need: ignore it, once, for the whole process.
    private static let ignoreLeaseBreakSignal: Void = {
        signal(SIGIO, SIG_IGN)
    }()
}
