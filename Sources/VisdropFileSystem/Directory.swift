#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An open directory beneath a trusted root, for many operations on the names in it.
///
/// It is opened once, every component with `O_NOFOLLOW` (see `FileSystem.openDirectory`), and
/// then names that very directory whatever happens to its path: a batch of files in one folder
/// costs one path walk instead of one per file and operation. The descriptor is closed when
/// the last reference goes away. Every name given to it is a single path component.
public final class Directory: Sendable {
    /// The directory's path when it was opened, for messages.
    public let path: String
    let descriptor: Int32

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Opens `relativeDirectory` beneath `root` ("" for the root itself) without following any
    /// link below the root; with `creating`, missing directories are made first.
    public static func open(_ relativeDirectory: String, beneath root: String, creating: Bool)
        throws(FileSystemError) -> Directory
    {
        let descriptor = try FileSystem.openDirectory(relativeDirectory, beneath: root, creating: creating)
        return Directory(path: Path.join(root, relativeDirectory), descriptor: descriptor)
    }

    /// Opens the directory `name` in this one without following a link; with `creating`, it is
    /// made first when missing.
    public func openSubdirectory(_ name: String, creating: Bool) throws(FileSystemError) -> Directory {
        let subpath = Path.join(path, name)
        var opened = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        // Made only when missing: a `mkdir` of a name that exists still locks this directory,
        // which a writer renaming files into it then waits for.
        if opened < 0, errno == ENOENT, creating {
            guard mkdirat(descriptor, name, 0o755) == 0 || errno == EEXIST else {
                throw FileSystemError(errno: errno, operation: "mkdir", path: subpath)
            }
            opened = openat(descriptor, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        }
        guard opened >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: subpath) }
        return Directory(path: subpath, descriptor: opened)
    }

    /// Renames the entry `name` to the same name in `target` unless that name is taken there;
    /// returns false, moving nothing, when it is.
    ///
    /// How it refuses, where the file system cannot say so itself: `FileSystem.renameUnlessTaken`.
    public func moveEntryUnlessTaken(_ name: String, into target: Directory) throws(FileSystemError) -> Bool {
        try FileSystem.renameUnlessTaken(
            name, in: descriptor, to: name, in: target.descriptor, path: Path.join(path, name))
    }

    /// The identity of the entry `name` without following a link, or nil when there is none.
    public func identity(of name: String) -> FileSystem.FileIdentity? {
        var info = stat()
        guard fstatat(descriptor, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return nil }
        return FileSystem.FileIdentity(info)
    }

    /// Opens the regular file `name` in this directory for reading (see `RegularFile`).
    public func openFile(_ name: String) throws(FileSystemError) -> RegularFile {
        try RegularFile.open(name: name, in: descriptor, path: Path.join(path, name))
    }

    /// Removes the entry `name` (a link itself, never its target).
    public func removeEntry(_ name: String) throws(FileSystemError) {
        guard unlinkat(descriptor, name, 0) == 0 else {
            throw FileSystemError(errno: errno, operation: "unlink", path: Path.join(path, name))
        }
    }

    /// The names in this directory and their types (see `FileSystem.listNames(_:)`).
    public func listNames() throws(FileSystemError) -> [(name: String, type: FileSystem.EntryType)] {
        // A descriptor of its own: the listing's position is not this directory's to move.
        let listing = openat(descriptor, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard listing >= 0 else { throw FileSystemError(errno: errno, operation: "opendir", path: path) }
        return try FileSystem.listNames(openedDirectory: listing, path: path)
    }

    /// Removes the empty directory `name`.
    public func removeSubdirectory(_ name: String) throws(FileSystemError) {
        guard unlinkat(descriptor, name, AT_REMOVEDIR) == 0 else {
            throw FileSystemError(errno: errno, operation: "rmdir", path: Path.join(path, name))
        }
    }

    /// Renames the entry `name` to `newName` in `target` (on the same file system), replacing
    /// what is there.
    public func moveEntry(_ name: String, to newName: String, in target: Directory) throws(FileSystemError) {
        guard renameat(descriptor, name, target.descriptor, newName) == 0 else {
            throw FileSystemError(errno: errno, operation: "rename", path: Path.join(path, name))
        }
    }

    /// Flushes the directory's entries to disk, making renames and removals in it durable.
    public func sync() throws(FileSystemError) {
        guard fsync(descriptor) == 0 else {
            throw FileSystemError(errno: errno, operation: "fsync", path: path)
        }
    }
}
