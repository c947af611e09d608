internal import CLinuxShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension FileSystem {
    /// Flushes everything written to the file system that holds `path` (`syncfs`).
    ///
    /// One flush for a whole batch of new files costs what one `fsync` of a single file costs; the
    /// price is that it also waits for other programs' unwritten data on that file system.
    public static func syncFileSystem(containing path: String) throws(FileSystemError) {
        let fd = open(path.isEmpty ? "." : path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: path) }
        defer { close(fd) }
        guard visdrop_syncfs(fd) == 0 else {
            throw FileSystemError(errno: errno, operation: "syncfs", path: path)
        }
    }
}
