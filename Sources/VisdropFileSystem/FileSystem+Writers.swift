internal import CLinuxShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Read leases: how the kernel tells us whether anybody is writing a file.
///
/// A read lease (`fcntl(F_SETLEASE, F_RDLCK)`) is refused with `EAGAIN` while any process has the
/// file open for writing or holds a shared writable mapping of it. Once granted, it stands until
/// we release it or a writer's `open` begins to break it; the kernel then holds that `open` back
/// (for `/proc/sys/fs/lease-break-time`, or until we release) and `leaseIsIntact` turns false.
/// So a lease held from before a read until after it proves that nobody wrote the file meanwhile.
/// Renaming the file does not break it.
extension RegularFile {
    /// The answer to a request for a read lease.
    public enum ReadLease: Sendable, Equatable {
        /// Granted: nobody has the file open for writing (or mapped writable) now.
        case granted
        /// Refused: some process has the file open for writing; its last close raises
        /// `IN_CLOSE_WRITE`.
        case writerOpen
        /// The kernel cannot say: another user's file without `CAP_LEASE`, or a file system
        /// without leases.
        case unavailable
    }

    /// Asks for a read lease on the file; a granted lease lasts until the file is closed (the
    /// value goes away), which lets a writer held back by it go on.
    public func takeReadLease() -> ReadLease {
        _ = ignoreLeaseBreakSignal
        if visdrop_set_lease(descriptor, Int32(F_RDLCK)) == 0 { return .granted }
        return errno == EAGAIN ? .writerOpen : .unavailable
    }

    /// True while the lease `takeReadLease()` granted stands: no writer has tried to open the file.
    public var leaseIsIntact: Bool {
        visdrop_get_lease(descriptor) == Int32(F_RDLCK)
    }
}

/// A writer opening a leased file makes the kernel send the lease holder `SIGIO`, whose default
/// action ends the process. We ask `leaseIsIntact` instead, so the signal carries nothing we need:
/// it is ignored, once, for the whole process.
private let ignoreLeaseBreakSignal: Void = {
    signal(SIGIO, SIG_IGN)
}()
