#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// An open regular file that was checked to be one before anything was opened for reading.
///
/// The name is first resolved with `O_PATH | O_NOFOLLOW`, which opens nothing: a symbolic link,
/// a FIFO or a device node is refused on the `fstat` of that handle, so no link is followed, no
/// FIFO waited on and no device driver's `open` ever runs. Only a regular file is then reopened for
/// reading, through its handle (`/proc/self/fd`), so it is the very file that was checked. The
/// descriptor is closed when the value goes away.
public struct RegularFile: ~Copyable {
    /// The path, for messages.
    public let path: String
    /// The file's identity when it was opened.
    public let identity: FileSystem.FileIdentity
    /// How many names the file had when it was opened: more than one means it can also be
    /// reached, and written, through a name elsewhere.
    public let linkCount: Int
    /// The open descriptor (read-only, non-blocking).
    let descriptor: Int32

    /// The file's size in bytes when it was opened.
    public var size: Int { identity.size }

    private init(path: String, info: stat, descriptor: Int32) {
        self.path = path
        self.identity = FileSystem.FileIdentity(info)
        self.linkCount = Int(info.st_nlink)
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)
    }

    /// Opens the regular file at `path`; its last component is never followed.
    public static func open(at path: String) throws(FileSystemError) -> RegularFile {
        try open(name: path, in: AT_FDCWD, path: path)
    }

    /// `O_PATH`, which Glibc only declares under `_GNU_SOURCE`: resolve a name without opening it.
    private static let pathOnly: Int32 = 0o10_000_000

    static func open(name: String, in directory: Int32, path: String) throws(FileSystemError)
        -> RegularFile
    {
        let (descriptor, info) = try openChecked(name: name, in: directory, path: path, flags: O_RDONLY)
        return RegularFile(path: path, info: info, descriptor: descriptor)
    }

    /// Opens the regular file `name` in `directory` with `flags` (`O_RDONLY` or `O_WRONLY`), after
    /// checking through an `O_PATH` handle that it is one; returns the descriptor (the caller
    /// closes it) and the file's `stat`.
    static func openChecked(name: String, in directory: Int32, path: String, flags: Int32)
        throws(FileSystemError) -> (descriptor: Int32, info: stat)
    {
        let handle = openat(directory, name, pathOnly | O_NOFOLLOW | O_CLOEXEC)
        guard handle >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: path) }
        defer { close(handle) }
        var info = stat()
        guard fstat(handle, &info) == 0 else {
            throw FileSystemError(errno: errno, operation: "fstat", path: path)
        }
        try FileSystem.requireRegularFile(info, path: path)
        // Reopened through the handle, the descriptor is the checked file itself.
        if processDescriptors >= 0 {
            let descriptor = openat(processDescriptors, "\(handle)", flags | O_NONBLOCK | O_CLOEXEC)
            if descriptor >= 0 { return (descriptor, info) }
            guard errno == ENOENT else { throw FileSystemError(errno: errno, operation: "open", path: path) }
        }
        // No /proc: open the name again, without following it, and check it is the same file.
        let reopened = openat(directory, name, flags | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
        guard reopened >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: path) }
        var opened = stat()
        guard fstat(reopened, &opened) == 0, opened.st_dev == info.st_dev, opened.st_ino == info.st_ino
        else {
            close(reopened)
            throw FileSystemError(errno: ENOENT, operation: "open", path: path)
        }
        return (reopened, opened)
    }

    /// The file's identity now (`fstat` of the open descriptor), or the one it had when it was
    /// opened if that fails.
    public func currentIdentity() -> FileSystem.FileIdentity {
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return identity }
        return FileSystem.FileIdentity(info)
    }

    /// Reads up to `count` bytes starting at byte `offset`; fewer when the file ends first.
    public func read(upTo count: Int, at offset: Int = 0) throws(FileSystemError) -> [UInt8] {
        // Into uninitialized storage: zero-filling first (a memset and its page faults) costs
        // about as much as the read itself for a large image.
        var failure: FileSystemError?
        let bytes = [UInt8](unsafeUninitializedCapacity: max(0, count)) { buffer, initializedCount in
            do throws(FileSystemError) {
                initializedCount = try FileSystem.readFully(
                    descriptor, into: UnsafeMutableRawBufferPointer(buffer), fileOffset: offset,
                    knownEnd: size, path: path)
            } catch {
                initializedCount = 0
                failure = error
            }
        }
        if let failure { throw failure }
        return bytes
    }

    /// Reads the whole file, failing with `.tooLarge` as soon as more than `maximumBytes` are seen.
    ///
    /// The size seen when the file was opened is checked first, so an oversized file is refused
    /// before any byte is read; one byte past that size is asked for, so growth is noticed too.
    public func readAll(maximumBytes: Int) throws(FileSystemError) -> [UInt8] {
        guard size <= maximumBytes else {
            throw FileSystemError(
                kind: .tooLarge(size: size, limit: maximumBytes), operation: "read", path: path)
        }
        var bytes = try read(upTo: size + 1)
        var filled = bytes.count
        while true {
            if filled > maximumBytes {
                throw FileSystemError(
                    kind: .tooLarge(size: filled, limit: maximumBytes), operation: "read", path: path)
            }
            // Only a file that grew while being read fills the buffer: go on in chunks.
            guard filled == bytes.count, filled > size else { break }
            bytes.append(contentsOf: repeatElement(0, count: Swift.min(Swift.max(4096, size), maximumBytes)))
            filled = try FileSystem.readFully(descriptor, into: &bytes, from: filled, path: path)
        }
        bytes.removeSubrange(filled...)
        return bytes
    }
}

/// `/proc/self/fd`, opened once (or -1 without `/proc`): a handle is reopened relative to it,
/// without walking `/proc/self` for every file.
private let processDescriptors: Int32 = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
