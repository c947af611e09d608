internal import CLinuxShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A file opened for appending (made when missing), held open from the look at its length
/// before a batch, through the batch's one write, to its flush: one open and one walk of its
/// path, where a `stat`, an open to write and an open to flush took three.
///
/// Its descriptor is closed when the object goes. Only `let`s of sendable types: the flush may
/// run on another thread than the write.
public final class AppendableFile: Sendable {
    /// The path it was opened at.
    public let path: String
    /// Its length when it was opened (what the scalar journal records before a batch's write).
    public let lengthWhenOpened: Int
    private let descriptor: Int32

    /// Opens (or makes) the file at `path` for appending, without following a link.
    public init(path: String) throws(FileSystemError) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: path) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            let code = errno
            close(fd)
            throw FileSystemError(errno: code, operation: "fstat", path: path)
        }
        self.path = path
        self.lengthWhenOpened = Int(info.st_size)
        self.descriptor = fd
    }

    deinit {
        close(descriptor)
    }

    /// Appends `bytes` with one `write` (`O_APPEND`: concurrent appenders never interleave inside
    /// it); with `durable`, flushed before returning, otherwise its writeback started. A write
    /// that fails leaves no partial line: the file is cut back to its length before it.
    public func append(_ bytes: [UInt8], durable: Bool) throws(FileSystemError) {
        var info = stat()
        let before = fstat(descriptor, &info) == 0 ? Int(info.st_size) : lengthWhenOpened
        do throws(FileSystemError) {
            try FileSystem.writeAll(bytes, to: descriptor, path: path)
        } catch {
            _ = ftruncate(descriptor, off_t(before))
            throw error
        }
        if durable { try sync() } else { _ = visdrop_start_writeback(descriptor) }
    }

    /// Flushes the file's data, and the size needed to read it back, to disk (`fdatasync`).
    public func sync() throws(FileSystemError) {
        guard fdatasync(descriptor) == 0 else {
            throw FileSystemError(errno: errno, operation: "fsync", path: path)
        }
    }
}
