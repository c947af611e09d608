internal import CLinuxShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// What kind of file system holds a path, from `statfs(2)`'s magic number, and whether inotify
/// sees every change made to it.
///
/// inotify reports what goes through this machine's kernel only: a file another node writes on a
/// network or cluster file system, or a FUSE daemon changes behind the mount (bindfs's backing
/// folder), raises no event. Those kinds must be polled.
public struct FileSystemType: Sendable, Equatable, CustomStringConvertible {
    /// `f_type` from `statfs(2)`.
    public let magic: UInt64

    /// Creates the type of the magic number `magic`.
    public init(magic: UInt64) {
        self.magic = magic
    }

    /// The type of the file system holding `path` (the link itself is not followed past the last
    /// directory: `statfs` follows links, so callers pass directories).
    public static func of(_ path: String) throws(FileSystemError) -> FileSystemType {
        var magic: UInt64 = 0
        guard visdrop_file_system_type(path, &magic) == 0 else {
            throw FileSystemError(errno: errno, operation: "statfs", path: path)
        }
        return FileSystemType(magic: magic)
    }

    /// The kinds whose changes inotify cannot be trusted to see (`statfs(2)`, `linux/magic.h`).
    static let polledKinds: [UInt64: String] = [
        0x6969: "nfs",
        0xFE53_4D42: "smb2",
        0xFF53_4D42: "cifs",
        0x517B: "smb",
        0x6573_5546: "fuse",
        0x0BD0_0BD0: "lustre",
        0x4750_4653: "gpfs",
        0x00C3_6400: "ceph",
        0x1983_0326: "beegfs",
        0x0102_1997: "9p",
        0x5346_414F: "afs",
        0x6B41_4653: "afs",
        0x7366_6673: "ocfs2",
        0x0116_1970: "gfs2",
    ]

    /// Local kinds, named in the start log.
    static let localKinds: [UInt64: String] = [
        0xEF53: "ext4",
        0x5846_5342: "xfs",
        0x9123_683E: "btrfs",
        0x0102_1994: "tmpfs",
        0x794C_7630: "overlay",
        0x2FC1_2FC1: "zfs",
        0xF2F5_2010: "f2fs",
        0x4D44: "vfat",
        0x5346_544E: "ntfs",
        0x2011_BAB0: "exfat",
        0x3153_464A: "jfs",
        0x5265_4973: "reiserfs",
        0x9FA0: "proc",
        0x6265_6572: "sysfs",
    ]

    /// False for network, cluster and FUSE file systems: changes made elsewhere raise no inotify
    /// event, so they are polled; and a read lease granted there says nothing of other nodes'
    /// writers (bindfs grants one while a writer in the backing folder has the file open).
    public var isSeenByInotify: Bool { Self.polledKinds[magic] == nil }

    /// The kind's name (`nfs`, `fuse`, `ext4` …), or its magic number in hex when unknown.
    public var name: String {
        Self.polledKinds[magic] ?? Self.localKinds[magic] ?? "0x" + String(magic, radix: 16)
    }

    /// The name and, for a polled kind, that it is a network, cluster or FUSE file system.
    public var description: String {
        isSeenByInotify ? name : "\(name) (network, cluster or FUSE: inotify is blind to other writers)"
    }
}
