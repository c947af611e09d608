internal import CLinuxShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Operations on a relative path beneath a trusted directory, for folders other users can write.
///
/// The root is the operator's (it may itself be reached through links); below it, every
/// directory is opened with `O_NOFOLLOW` relative to the previous one, so a symbolic link planted
/// anywhere on the path — also one that replaced a directory a moment ago — is refused, never
/// followed. Relative paths must not be absolute or contain `.`, `..` or empty components.
extension FileSystem {
    /// Removes the file (of any type, a link itself rather than its target) at `relativePath`.
    ///
    /// With `durable`, the directory entry's removal is flushed before returning.
    public static func removeFile(_ relativePath: String, beneath root: String, durable: Bool)
        throws(FileSystemError)
    {
        let parent = try openParentDirectory(of: relativePath, beneath: root, creating: false)
        defer { close(parent) }
        let path = Path.join(root, relativePath)
        guard unlinkat(parent, Path.lastComponent(of: relativePath), 0) == 0 else {
            throw FileSystemError(errno: errno, operation: "unlink", path: path)
        }
        if durable, fsync(parent) != 0 { throw FileSystemError(errno: errno, operation: "fsync", path: path) }
    }

    /// Renames `relativePath` beneath `root` to `destination` beneath `destinationRoot`, replacing
    /// what is there; missing directories of `destination` are created.
    public static func move(
        _ relativePath: String, beneath root: String, to destination: String,
        beneath destinationRoot: String, durable: Bool
    ) throws(FileSystemError) {
        let source = try openParentDirectory(of: relativePath, beneath: root, creating: false)
        defer { close(source) }
        let target = try openParentDirectory(of: destination, beneath: destinationRoot, creating: true)
        defer { close(target) }
        try rename(
            Path.lastComponent(of: relativePath), in: source, to: Path.lastComponent(of: destination),
            in: target, path: Path.join(root, relativePath), durable: durable)
    }

    /// Moves `relativePath` beneath `root` into `directory` beneath `destinationRoot` under its own
    /// name, or, when that is taken, the name with `.1`, `.2`… appended; returns the path it got
    /// beneath `destinationRoot`. The entry is moved as it is: a link or a FIFO is never opened.
    ///
    /// With a `companion` (a suffix and bytes), the file `<name it gets><suffix>` is written
    /// first, whole, so that nobody — a reader, or the next start after a crash — sees the moved
    /// entry without it.
    public static func moveAside(
        _ relativePath: String, beneath root: String, into directory: String,
        beneath destinationRoot: String, durable: Bool, companion: (suffix: String, bytes: [UInt8])? = nil
    ) throws(FileSystemError) -> String {
        let source = try openParentDirectory(of: relativePath, beneath: root, creating: false)
        defer { close(source) }
        let target = try openDirectory(directory, beneath: destinationRoot, creating: true)
        defer { close(target) }
        let name = Path.lastComponent(of: relativePath)
        let path = Path.join(root, relativePath)
        var attempt = 0
        while true {
            let suffix = attempt == 0 ? "" : ".\(attempt)"
            let chosen = Path.fitting(name, suffix: suffix) + suffix
            attempt += 1
            var info = stat()
            if fstatat(target, chosen, &info, AT_SYMLINK_NOFOLLOW) == 0 { continue }
            var companionName: String?
            if let companion {
                let written = Path.fitting(chosen, suffix: companion.suffix) + companion.suffix
                try writeAtomically(
                    companion.bytes, named: written, in: target,
                    path: Path.join(destinationRoot, directory, written), durable: durable)
                companionName = written
            }
            // Refuse to replace: a name taken since the look above gets the next suffix.
            let moved: Bool
            do {
                moved = try renameUnlessTaken(name, in: source, to: chosen, in: target, path: path)
            } catch {
                if let companionName { unlinkat(target, companionName, 0) }
                throw error
            }
            if moved {
                if durable { try flush(target, source, path: path) }
                return Path.join(directory, chosen)
            }
            if let companionName { unlinkat(target, companionName, 0) }
        }
    }

    /// Renames `name` in the directory `source` to `newName` in `target` unless `newName` is
    /// taken there; returns false, moving nothing, when it is. `renameat2(RENAME_NOREPLACE)`
    /// decides atomically; where the file system cannot (`EINVAL`), a hard link under the new name
    /// (which refuses an existing name just as atomically) and the removal of the old name do
    /// the same, and without hard links a look at the name before the rename has to do. `path`
    /// names the entry in errors.
    static func renameUnlessTaken(
        _ name: String, in source: Int32, to newName: String, in target: Int32,
        path: @autoclosure () -> String
    ) throws(FileSystemError) -> Bool {
        if visdrop_rename_no_replace(source, name, target, newName) == 0 { return true }
        switch errno {
        case EEXIST: return false
        case EINVAL:
            guard linkat(source, name, target, newName, 0) == 0 else {
                let code = errno
                if code == EEXIST { return false }
                guard code == EPERM || code == EOPNOTSUPP else {
                    throw FileSystemError(errno: code, operation: "link", path: path())
                }
                // Not even hard links: the name is looked up first, which leaves a moment between.
                var info = stat()
                if fstatat(target, newName, &info, AT_SYMLINK_NOFOLLOW) == 0 { return false }
                guard renameat(source, name, target, newName) == 0 else {
                    throw FileSystemError(errno: errno, operation: "rename", path: path())
                }
                return true
            }
            guard unlinkat(source, name, 0) == 0 else {
                throw FileSystemError(errno: errno, operation: "unlink", path: path())
            }
            return true
        default:
            throw FileSystemError(errno: errno, operation: "rename", path: path())
        }
    }

    /// Writes `bytes` to `relativePath` beneath `root` atomically (temporary file, then rename).
    public static func writeAtomically(
        _ bytes: [UInt8], to relativePath: String, beneath root: String, durable: Bool
    ) throws(FileSystemError) {
        let parent = try openParentDirectory(of: relativePath, beneath: root, creating: true)
        defer { close(parent) }
        try writeAtomically(
            bytes, named: Path.lastComponent(of: relativePath), in: parent,
            path: Path.join(root, relativePath),
            durable: durable)
    }

    /// Writes `bytes` to the file `name` in the open directory `parent` atomically (temporary
    /// file, then rename); `path` names it in errors.
    private static func writeAtomically(
        _ bytes: [UInt8], named name: String, in parent: Int32, path: String, durable: Bool
    ) throws(FileSystemError) {
        let temporary = temporaryName(for: name)
        let fd = openat(parent, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "create", path: path) }
        do throws(FileSystemError) {
            try writeAll(bytes, to: fd, path: path)
            if durable, fsync(fd) != 0 { throw FileSystemError(errno: errno, operation: "fsync", path: path) }
            close(fd)
        } catch {
            close(fd)
            unlinkat(parent, temporary, 0)
            throw error
        }
        do throws(FileSystemError) {
            try rename(temporary, in: parent, to: name, in: parent, path: path, durable: durable)
        } catch {
            unlinkat(parent, temporary, 0)
            throw error
        }
    }

    /// Opens the directory holding `relativePath` beneath `root` (see `openDirectory`).
    static func openParentDirectory(of relativePath: String, beneath root: String, creating: Bool)
        throws(FileSystemError) -> Int32
    {
        try requireSafeFilePath(relativePath, beneath: root)
        return try openDirectory(Path.directory(of: relativePath), beneath: root, creating: creating)
    }

    /// Refuses, as `.unsafePath`, a file path that is empty, absolute or has `.`, `..` or empty
    /// components: it could name something outside `root`, or `root` itself.
    public static func requireSafeFilePath(_ relativePath: String, beneath root: String)
        throws(FileSystemError)
    {
        guard Path.isSafeRelative(relativePath), !relativePath.isEmpty else {
            throw FileSystemError(kind: .unsafePath, operation: "open", path: Path.join(root, relativePath))
        }
    }

    /// Opens `relativeDirectory` beneath `root`, each component with `O_NOFOLLOW` relative to the
    /// one before; with `creating`, the root (like `mkdir -p`) and missing components are made.
    /// The caller closes the result.
    static func openDirectory(_ relativeDirectory: String, beneath root: String, creating: Bool)
        throws(FileSystemError) -> Int32
    {
        guard Path.isSafeRelative(relativeDirectory) else {
            throw FileSystemError(
                kind: .unsafePath, operation: "open", path: Path.join(root, relativeDirectory))
        }
        if creating { try makeDirectories(root) }
        var current = open(root.isEmpty ? "." : root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard current >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: root) }
        var walked = root
        for component in relativeDirectory.split(separator: "/") {
            let name = String(component)
            walked = Path.join(walked, name)
            if creating, mkdirat(current, name, 0o755) != 0, errno != EEXIST {
                let failure = FileSystemError(errno: errno, operation: "mkdir", path: walked)
                close(current)
                throw failure
            }
            let next = openat(current, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
            let code = errno
            var info = stat()
            let isLink =
                next < 0 && fstatat(current, name, &info, AT_SYMLINK_NOFOLLOW) == 0
                && info.st_mode & S_IFMT == S_IFLNK
            close(current)
            guard next >= 0 else {
                if isLink { throw FileSystemError(kind: .symbolicLink, operation: "open", path: walked) }
                throw FileSystemError(errno: code, operation: "open", path: walked)
            }
            current = next
        }
        return current
    }

    /// Refuses anything but a regular file, naming what it is.
    static func requireRegularFile(_ info: stat, path: String) throws(FileSystemError) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: return
        case S_IFLNK: throw FileSystemError(kind: .symbolicLink, operation: "open", path: path)
        default:
            throw FileSystemError(
                kind: .notRegularFile(describe(mode: info.st_mode)), operation: "open", path: path)
        }
    }

    private static func rename(
        _ name: String, in source: Int32, to newName: String, in target: Int32, path: String, durable: Bool
    ) throws(FileSystemError) {
        guard renameat(source, name, target, newName) == 0 else {
            throw FileSystemError(errno: errno, operation: "rename", path: path)
        }
        if durable { try flush(target, source, path: path) }
    }

    /// Flushes the directories a rename changed: `target`, then `source` when it is another.
    private static func flush(_ target: Int32, _ source: Int32, path: String) throws(FileSystemError) {
        if fsync(target) != 0 { throw FileSystemError(errno: errno, operation: "fsync", path: path) }
        if source != target, fsync(source) != 0 {
            throw FileSystemError(errno: errno, operation: "fsync", path: path)
        }
    }
}
