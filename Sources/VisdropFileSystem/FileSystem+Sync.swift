#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

extension FileSystem {
    /// Flushes one file's data (and the size needed to read it back) to disk (`fdatasync`).
    ///
    /// Used after writing without flushing, so a batch's files are flushed together at its end;
    /// the directories holding new names need `syncDirectory` as well.
    public static func syncFile(at path: String) throws(FileSystemError) {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: path) }
        defer { close(fd) }
        guard fdatasync(fd) == 0 else { throw FileSystemError(errno: errno, operation: "fsync", path: path) }
    }
}

extension FileSystem {
    /// Removes the temporary files `writeAtomically` left under `root` when a process died before
    /// renaming them (their names carry the writer's process ID, which no longer runs); returns
    /// how many it removed. Hidden directories (the agent's state) are not entered.
    public static func removeStaleTemporaries(under root: String) -> Int {
        var removed = 0
        var pending = [root]
        while let directory = pending.popLast() {
            guard let entries = try? listDirectory(directory) else { continue }
            for entry in entries {
                let path = Path.join(directory, entry.name)
                if entry.type == .directory {
                    if !entry.name.hasPrefix(".") { pending.append(path) }
                } else if entry.type == .regularFile, let writer = temporaryWriter(of: entry.name),
                    writer != getpid(), kill(writer, 0) != 0, errno == ESRCH
                {
                    if (try? removeFile(path)) != nil { removed += 1 }
                }
            }
        }
        return removed
    }
}

extension FileSystem {
    /// Whether the directory `inner` is the directory `outer` or lies anywhere inside it.
    ///
    /// Compared by device and inode, from `inner`'s real path up to `/`, so neither a symbolic
    /// link nor a bind mount (which shows the same inode elsewhere) can hide that they overlap.
    /// False when either cannot be resolved.
    public static func isDirectory(_ inner: String, sameAsOrInside outer: String) -> Bool {
        var target = stat()
        guard stat(outer, &target) == 0, let resolved = realpath(inner, nil) else { return false }
        var path = String(cString: resolved)
        free(resolved)
        while true {
            var info = stat()
            if stat(path, &info) == 0, info.st_dev == target.st_dev, info.st_ino == target.st_ino {
                return true
            }
            if path == "/" || path.isEmpty { return false }
            path = Path.directory(of: path)
            if path.isEmpty { path = "/" }
        }
    }
}
