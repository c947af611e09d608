#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A small file rewritten in place and flushed with `fdatasync`: the home of a write-ahead record.
///
/// Rewriting in place costs one flush, where a new file renamed over the old one costs three
/// (file, rename, directory). The file never shrinks: freeing its blocks would make the next
/// rewrite allocate them again (more metadata to flush), and on a file system mounted with
/// `discard` every truncation waits for the disk to discard the freed blocks. So a record must
/// say where it ends (bytes after it are left from longer ones), and carry its own checksum, as
/// a crash can tear a rewrite.
/// The file is locked (`flock`) for as long as this object lives, so two processes never share it.
public final class RecordFile {
    /// The file's path.
    public let path: String
    private let descriptor: Int32

    /// Opens (creating if needed) and locks the record file at `path`.
    ///
    /// - Throws: `FileSystemError` when it cannot be opened, or with kind `.system` and code
    ///   `EWOULDBLOCK` when another process holds the lock.
    public init(path: String) throws(FileSystemError) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: path) }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(fd)
            throw FileSystemError(errno: code, operation: "lock", path: path)
        }
        self.path = path
        self.descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// The whole file.
    public func read() throws(FileSystemError) -> [UInt8] {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw FileSystemError(errno: errno, operation: "fstat", path: path)
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        let filled = try FileSystem.readFully(descriptor, into: &bytes, from: 0, path: path)
        return Array(bytes[..<filled])
    }

    /// Writes `bytes` at `offset` (0 to rewrite the record), leaving any bytes after them as they
    /// were; with `durable`, flushed before returning.
    public func write(_ bytes: [UInt8], at offset: Int, durable: Bool) throws(FileSystemError) {
        try write(bytes, at: offset)
        if durable { try flush() }
    }

    private func write(_ bytes: [UInt8], at offset: Int) throws(FileSystemError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                pwrite(
                    descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written,
                    off_t(offset + written))
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(errno: errno, operation: "write", path: path)
            }
            written += result
        }
    }

    private func flush() throws(FileSystemError) {
        guard fdatasync(descriptor) == 0 else {
            throw FileSystemError(errno: errno, operation: "fsync", path: path)
        }
    }
}
