internal import CLinuxShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// The POSIX file operations visdrop needs, each system call wrapped once, here.
///
/// Reads never follow symbolic links and never block on FIFOs; writes of whole files are
/// atomic (a temporary file in the same directory, then `rename`), and appends are a single
/// `write` on an `O_APPEND` descriptor, so a reader never sees a torn line.
public enum FileSystem {
    /// The type of a directory entry, as seen without following links.
    public enum EntryType: Sendable, Equatable {
        case regularFile, directory, symbolicLink, other
    }

    /// One entry of a directory listing.
    public struct DirectoryEntry: Sendable, Equatable {
        /// The entry's name within its directory.
        public let name: String
        /// The entry's type (not following links).
        public let type: EntryType
        /// Modification time in nanoseconds since the epoch.
        public let modificationTime: Int64
        /// Size in bytes.
        public let size: Int
        /// The device and inode numbers.
        public let device: UInt64, inode: UInt64
        /// Status-change time (`ctime`) in nanoseconds since the epoch.
        public let changeTime: Int64

        /// What a poller compares from one look to the next: device, inode, size, mtime and ctime.
        public var changeStamp: [Int64] {
            [Int64(bitPattern: device), Int64(bitPattern: inode), Int64(size), modificationTime, changeTime]
        }
    }

    /// Which file a path named at one moment: device, inode, size and modification time.
    public struct FileIdentity: Sendable, Equatable, CustomStringConvertible {
        /// The device number.
        public var device: UInt64
        /// The inode number.
        public var inode: UInt64
        /// The size in bytes.
        public var size: Int
        /// The modification time in nanoseconds since the epoch.
        public var modificationTime: Int64

        /// Creates an identity from its parts.
        public init(device: UInt64, inode: UInt64, size: Int, modificationTime: Int64) {
            self.device = device
            self.inode = inode
            self.size = size
            self.modificationTime = modificationTime
        }

        init(_ info: stat) {
            self.init(
                device: UInt64(info.st_dev), inode: UInt64(info.st_ino), size: Int(info.st_size),
                modificationTime: FileSystem.nanoseconds(info.st_mtim))
        }

        /// `device inode size mtime`, as the journal stores it.
        public var description: String { "\(device) \(inode) \(size) \(modificationTime)" }
    }

    /// A regular file's bytes and the identity of the file they were read from.
    public struct RegularFileContents: Sendable {
        /// The whole file.
        public let bytes: [UInt8]
        /// The file's identity when it was opened.
        public let identity: FileIdentity

        /// Pairs bytes with the identity of the file they were read from.
        public init(bytes: [UInt8], identity: FileIdentity) {
            self.bytes = bytes
            self.identity = identity
        }
    }

    /// The identity of the entry at `path` without following links, or nil when there is none.
    public static func identity(at path: String) -> FileIdentity? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return FileIdentity(info)
    }

    /// Reads a whole regular file, refusing links, FIFOs, devices and files over `maximumBytes`.
    ///
    /// The file is checked through an `O_PATH | O_NOFOLLOW` handle before it is opened for
    /// reading (see `RegularFile`), so a link, FIFO or device planted in the drop folder is never
    /// followed, waited on or opened.
    public static func readRegularFile(at path: String, maximumBytes: Int) throws(FileSystemError)
        -> RegularFileContents
    {
        let file = try RegularFile.open(at: path)
        return RegularFileContents(
            bytes: try file.readAll(maximumBytes: maximumBytes), identity: file.identity)
    }

    /// Writes `bytes` to `path` atomically: readers see the old file or the whole new one.
    ///
    /// The file is written with no name (`O_TMPFILE`) and then linked in under `path` when that is
    /// free, or under a temporary name renamed over the old file. Creating an unnamed file does not
    /// lock the directory, so threads writing into one folder do not wait for each other's inode
    /// allocation (which ext4 makes slow after many deletions), and a crash leaves no temporary
    /// file behind. Where the file system has no `O_TMPFILE`, a named temporary file is used.
    /// With `durable`, the data and the directory entry are flushed to disk before returning.
    /// With a `recycler`, a finished file it hands out is overwritten and renamed to `path`
    /// instead, when it can be used (`writeRecycled`): no new inode at all.
    public static func writeAtomically(
        _ bytes: [UInt8], to path: String, durable: Bool, recycler: (any FileRecycler)? = nil
    ) throws(FileSystemError) {
        if let recycler, try writeRecycled(bytes, to: path, durable: durable, recycler: recycler) { return }
        let directory = Path.directory(of: path)
        let unnamed = visdrop_open_unnamed(directory.isEmpty ? "." : directory, 0o644)
        guard unnamed >= 0 else {
            guard [EOPNOTSUPP, EISDIR, EINVAL].contains(errno) else {
                throw FileSystemError(errno: errno, operation: "create", path: path)
            }
            return try writeThroughTemporaryName(bytes, to: path, durable: durable)
        }
        defer { close(unnamed) }
        try writeContents(bytes, to: unnamed, path: path, durable: durable)
        if visdrop_link_descriptor(unnamed, path) != 0 {
            guard errno == EEXIST else { throw FileSystemError(errno: errno, operation: "link", path: path) }
            let temporary = temporaryPath(beside: path)
            guard visdrop_link_descriptor(unnamed, temporary) == 0 else {
                throw FileSystemError(errno: errno, operation: "link", path: temporary)
            }
            try replace(path, with: temporary)
        }
        if durable { try syncDirectory(containing: path) }
    }

    /// Writes a new file's bytes; with `durable` flushes them, else starts their writeback (so
    /// that a later `syncFile` finds them written).
    private static func writeContents(_ bytes: [UInt8], to fd: Int32, path: String, durable: Bool)
        throws(FileSystemError)
    {
        try writeAll(bytes, to: fd, path: path)
        if durable, fsync(fd) != 0 { throw FileSystemError(errno: errno, operation: "fsync", path: path) }
        if !durable { _ = visdrop_start_writeback(fd) }
    }

    /// Renames the finished `temporary` over `path`; removes it when that fails.
    private static func replace(_ path: String, with temporary: String) throws(FileSystemError) {
        guard rename(temporary, path) == 0 else {
            let failure = FileSystemError(errno: errno, operation: "rename", path: path)
            unlink(temporary)
            throw failure
        }
    }

    /// `writeAtomically` where the file system cannot make unnamed files: a named temporary file
    /// beside `path`, renamed over it.
    private static func writeThroughTemporaryName(_ bytes: [UInt8], to path: String, durable: Bool)
        throws(FileSystemError)
    {
        let temporary = temporaryPath(beside: path)
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o644)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "create", path: temporary) }
        do throws(FileSystemError) {
            try writeContents(bytes, to: fd, path: temporary, durable: durable)
            close(fd)
        } catch {
            close(fd)
            unlink(temporary)
            throw error
        }
        try replace(path, with: temporary)
        if durable { try syncDirectory(containing: path) }
    }

    /// Appends `bytes` to `path` (created if missing) with one `write`; returns the file's length before.
    ///
    /// The descriptor is opened with `O_APPEND`, so concurrent appenders never interleave
    /// inside one call; with `durable`, the data is flushed before returning.
    @discardableResult
    public static func append(_ bytes: [UInt8], to path: String, durable: Bool) throws(FileSystemError) -> Int
    {
        let file = try AppendableFile(path: path)
        try file.append(bytes, durable: durable)
        return file.lengthWhenOpened
    }

    /// Cuts `path` back to `length` bytes (used to undo an append that was not committed).
    public static func truncate(_ path: String, to length: Int) throws(FileSystemError) {
        guard Glibc.truncate(path, off_t(length)) == 0 else {
            throw FileSystemError(errno: errno, operation: "truncate", path: path)
        }
    }

    /// Creates `path` and any missing parents, like `mkdir -p`.
    public static func makeDirectories(_ path: String) throws(FileSystemError) {
        if mkdir(path, 0o755) == 0 || errno == EEXIST {
            guard entryType(at: path) == .directory else {
                throw FileSystemError(errno: ENOTDIR, operation: "mkdir", path: path)
            }
            return
        }
        guard errno == ENOENT else { throw FileSystemError(errno: errno, operation: "mkdir", path: path) }
        let parent = Path.directory(of: path)
        guard parent != path, !parent.isEmpty else {
            throw FileSystemError(errno: ENOENT, operation: "mkdir", path: path)
        }
        try makeDirectories(parent)
        guard mkdir(path, 0o755) == 0 || errno == EEXIST else {
            throw FileSystemError(errno: errno, operation: "mkdir", path: path)
        }
    }

    /// Removes a file (not a directory).
    public static func removeFile(_ path: String) throws(FileSystemError) {
        guard unlink(path) == 0 else { throw FileSystemError(errno: errno, operation: "unlink", path: path) }
    }

    /// Flushes the directory that holds `path`, making a rename or unlink in it durable.
    public static func syncDirectory(containing path: String) throws(FileSystemError) {
        try syncDirectory(Path.directory(of: path))
    }

    /// Flushes a directory's entries to disk.
    public static func syncDirectory(_ directory: String) throws(FileSystemError) {
        let fd = open(directory.isEmpty ? "." : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "open", path: directory) }
        defer { close(fd) }
        guard fsync(fd) == 0 else { throw FileSystemError(errno: errno, operation: "fsync", path: directory) }
    }

    /// The type of the entry at `path` without following links, or nil when there is none.
    public static func entryType(at path: String) -> EntryType? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return entryType(mode: info.st_mode)
    }

    /// The size of the file at `path` without following links, or nil when there is none.
    public static func size(at path: String) -> Int? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return Int(info.st_size)
    }

    /// Lists a directory without following links; `.` and `..` are left out.
    ///
    /// `skip` leaves out, without a `stat`, the entries it is true for — where the listing says
    /// what they are (`d_type`): a poll of a folder of many work-in-progress files stats none.
    public static func listDirectory(
        _ path: String, skip: (_ name: String, _ type: EntryType) -> Bool = { _, _ in false }
    ) throws(FileSystemError) -> [DirectoryEntry] {
        var entries: [DirectoryEntry] = []
        try forEachEntry(in: path) { fd, name, type in
            if let type, skip(name, type) { return }
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
            entries.append(
                DirectoryEntry(
                    name: name, type: entryType(mode: info.st_mode),
                    modificationTime: nanoseconds(info.st_mtim), size: Int(info.st_size),
                    device: UInt64(info.st_dev), inode: UInt64(info.st_ino),
                    changeTime: nanoseconds(info.st_ctim)))
        }
        return entries
    }

    /// A `timespec` in nanoseconds since the epoch.
    static func nanoseconds(_ time: timespec) -> Int64 {
        Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
    }

    /// The names in a directory and their types, from the listing alone where the file system
    /// gives the type there (`d_type`; one `stat` per entry otherwise): for walking through many
    /// entries that need no size or time. `.` and `..` are left out.
    public static func listNames(_ path: String) throws(FileSystemError) -> [(name: String, type: EntryType)]
    {
        try listNames(openedDirectory: try openForListing(path), path: path)
    }

    /// Opens the directory `path` for a listing, without following a link.
    private static func openForListing(_ path: String) throws(FileSystemError) -> Int32 {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(errno: errno, operation: "opendir", path: path) }
        return fd
    }

    /// `listNames(_:)` of the directory open as `fd`, which the listing takes over (and closes).
    static func listNames(openedDirectory fd: Int32, path: String) throws(FileSystemError) -> [(
        name: String, type: EntryType
    )] {
        var names: [(name: String, type: EntryType)] = []
        try forEachEntry(openedDirectory: fd, path: path) { fd, name, type in
            if let type { return names.append((name, type)) }
            var info = stat()
            guard fstatat(fd, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
            names.append((name, entryType(mode: info.st_mode)))
        }
        return names
    }

    /// Calls `body` with the directory's descriptor, each entry's name and its type when the
    /// listing says it, without following links; `.` and `..` are left out.
    private static func forEachEntry(
        in path: String, _ body: (Int32, String, EntryType?) -> Void
    ) throws(FileSystemError) {
        try forEachEntry(openedDirectory: try openForListing(path), path: path, body)
    }

    /// `forEachEntry(in:_:)` of the directory open as `fd`, which it takes over (and closes).
    private static func forEachEntry(
        openedDirectory fd: Int32, path: String, _ body: (Int32, String, EntryType?) -> Void
    ) throws(FileSystemError) {
        guard let stream = fdopendir(fd) else {
            close(fd)
            throw FileSystemError(errno: errno, operation: "opendir", path: path)
        }
        defer { closedir(stream) }
        while let entry = readdir(stream) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let type: EntryType? =
                switch Int32(entry.pointee.d_type) {
                case Int32(DT_REG): .regularFile
                case Int32(DT_DIR): .directory
                case Int32(DT_LNK): .symbolicLink
                case Int32(DT_UNKNOWN): nil
                default: .other
                }
            body(fd, name, type)
        }
    }

    /// Fills `bytes` from index `start` on with the file's bytes from `fileOffset + start` on, until
    /// `bytes` is full or the file ends; returns how much of `bytes` is filled.
    static func readFully(
        _ fd: Int32, into bytes: inout [UInt8], from start: Int, fileOffset: Int = 0, path: String
    ) throws(FileSystemError) -> Int {
        let result = bytes.withUnsafeMutableBytes { buffer in
            Result { () throws(FileSystemError) in
                try readFully(
                    fd, into: UnsafeMutableRawBufferPointer(rebasing: buffer[start...]),
                    fileOffset: fileOffset + start, path: path)
            }
        }
        return try result.get() + start
    }

    /// Fills `buffer` from byte `fileOffset` on, retrying interrupted and short reads; returns
    /// the number of bytes read (fewer than the buffer holds only at the end of the file).
    ///
    /// A short read that reaches byte `knownEnd` (the size `fstat` gave) is taken as the end
    /// without another read: a regular file reads short only where it ends.
    static func readFully(
        _ fd: Int32, into buffer: UnsafeMutableRawBufferPointer, fileOffset: Int, knownEnd: Int = .max,
        path: String
    ) throws(FileSystemError) -> Int {
        var filled = 0
        while filled < buffer.count {
            let asked = buffer.count - filled
            let got = pread(fd, buffer.baseAddress.map { $0 + filled }, asked, off_t(fileOffset + filled))
            if got < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(errno: errno, operation: "read", path: path)
            }
            if got == 0 { break }
            filled += got
            if got < asked, fileOffset + filled >= knownEnd { break }
        }
        return filled
    }

    static func writeAll(_ bytes: [UInt8], to fd: Int32, path: String) throws(FileSystemError) {
        var written = 0
        while written < bytes.count {
            let result = bytes.withUnsafeBytes { buffer in
                write(fd, buffer.baseAddress.map { $0 + written }, buffer.count - written)
            }
            if result < 0 {
                if errno == EINTR { continue }
                throw FileSystemError(errno: errno, operation: "write", path: path)
            }
            written += result
        }
    }

    private static let temporaryCounter = TemporaryCounter()

    /// The process ID in a name made by `temporaryPath(beside:)` (`.NAME.visdrop-PID-N.tmp`), or nil.
    static func temporaryWriter(of name: String) -> pid_t? {
        guard name.hasPrefix("."), name.hasSuffix(".tmp"), let marker = name.ranges(of: ".visdrop-").last
        else { return nil }
        let parts = name[marker.upperBound...].dropLast(4).split(separator: "-")
        guard parts.count == 2, let pid = pid_t(parts[0]), Int(parts[1]) != nil else { return nil }
        return pid
    }

    private static func temporaryPath(beside path: String) -> String {
        let directory = Path.directory(of: path)
        let name = temporaryName(for: Path.lastComponent(of: path))
        return directory.isEmpty ? name : directory + "/" + name
    }

    /// `.<name>.visdrop-<pid>-<n>.tmp`, with `name` shortened when needed to stay a legal file name.
    static func temporaryName(for name: String) -> String {
        let suffix = ".visdrop-\(getpid())-\(temporaryCounter.next()).tmp"
        return "." + Path.fitting(name, suffix: "." + suffix) + suffix
    }

    private static func entryType(mode: mode_t) -> EntryType {
        switch mode & S_IFMT {
        case S_IFREG: return .regularFile
        case S_IFDIR: return .directory
        case S_IFLNK: return .symbolicLink
        default: return .other
        }
    }

    static func describe(mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        default: return "not a regular file"
        }
    }
}
