internal import CLinuxShim

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A finished file that may be overwritten whole and renamed: its inode can carry a new output.
public struct RecycledFile: Sendable {
    /// The folder holding it.
    public let folder: Directory
    /// Its name in `folder`.
    public let name: String

    /// The file `name` in `folder`.
    public init(folder: Directory, name: String) {
        self.folder = folder
        self.name = name
    }
}

/// Hands out finished files (the agent's filed sources, waiting in its trash to be deleted) for
/// new outputs to be written into, instead of new files.
///
/// Making a file allocates an inode, and deleting one frees it; on ext4 without a journal each
/// allocation also scans past every inode freed in the last minute, which after a burst of
/// deletions was two thirds of the agent's CPU per 64×64 image. A file that is going to be
/// deleted anyway saves both. Called from any thread.
public protocol FileRecycler: Sendable {
    /// A file on the device `device` to overwrite, or nil. The file is the caller's from then on:
    /// used (renamed away), or left where it is.
    func takeFile(onDevice device: UInt64) -> RecycledFile?
}

extension FileSystem {
    /// Writes `bytes` into a file `recycler` hands out and renames it to `path`, replacing what
    /// is there; false, with nothing at `path` changed, when there is none or it cannot be used as
    /// it is (the caller then makes a new file).
    ///
    /// A file is used only when nobody else can reach it or has it open: a regular file (checked
    /// before it is opened, see `RegularFile`), with one name, on which a write lease is granted
    /// (refused while any other process has it open for writing or mapped writable, and, where the
    /// kernel counts readers — with IMA, as here — while it is open at all). It then becomes what a new
    /// file would be — ours, mode 0644 less the umask — and is refused if it has extended
    /// attributes (an ACL, a security label), which a new file would not carry over. Its old bytes
    /// past the new length are cut off. Only its birth time tells it apart from a new file.
    static func writeRecycled(_ bytes: [UInt8], to path: String, durable: Bool, recycler: any FileRecycler)
        throws(FileSystemError) -> Bool
    {
        let directory = Path.directory(of: path)
        var target = stat()
        guard stat(directory.isEmpty ? "." : directory, &target) == 0,
            let file = recycler.takeFile(onDevice: UInt64(target.st_dev)),
            let (fd, info) = try? RegularFile.openChecked(
                name: file.name, in: file.folder.descriptor, path: Path.join(file.folder.path, file.name),
                flags: O_WRONLY)
        else { return false }
        defer { close(fd) }
        guard info.st_nlink == 1, visdrop_set_lease(fd, Int32(F_WRLCK)) == 0 else { return false }
        _ = visdrop_set_lease(fd, Int32(F_UNLCK))
        if info.st_uid != geteuid() || info.st_gid != getegid() {
            guard fchown(fd, geteuid(), getegid()) == 0 else { return false }
        }
        guard fchmod(fd, 0o644 & ~processUmask) == 0, visdrop_extended_attribute_names_size(fd) == 0 else {
            return false
        }
        do { try writeAll(bytes, to: fd, path: path) } catch { return false }
        if Int(info.st_size) > bytes.count, ftruncate(fd, off_t(bytes.count)) != 0 { return false }
        if durable {
            guard fsync(fd) == 0 else { return false }
        } else {
            _ = visdrop_start_writeback(fd)
        }
        guard renameat(file.folder.descriptor, file.name, AT_FDCWD, path) == 0 else { return false }
        if durable { try syncDirectory(containing: path) }
        return true
    }

    /// The process's file mode creation mask, from `/proc/self/status` (reading it with `umask`
    /// would change it for a moment under other threads); 022 where that cannot be read.
    static let processUmask: mode_t = {
        guard let status = try? readRegularFile(at: "/proc/self/status", maximumBytes: 1 << 16) else {
            return 0o022
        }
        let text = String(decoding: status.bytes, as: UTF8.self)
        for line in text.split(separator: "\n") where line.hasPrefix("Umask:") {
            let digits = line.dropFirst("Umask:".count).trimmingPrefix(while: { $0 == " " || $0 == "\t" })
            if let mask = mode_t(digits, radix: 8) { return mask }
        }
        return 0o022
    }()
}
