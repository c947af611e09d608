import Logging
import VisdropFileSystem

/// Listing the drop tree: the files to file, claimed ones included, and the directories to descend.
enum DropScan {
    /// A file found by a scan, with its modification time (nanoseconds since the epoch).
    typealias Found = (source: DropSource, modificationTime: Int64)

    /// What one directory of the drop tree holds.
    struct Listing {
        /// Its visible files, and the files of its claim folder (claimed before a restart, or by a
        /// batch still under way), claimed ones first, each group in `ScanOrder`.
        var files: [Found] = []
        /// Its visible subdirectories, relative to the drop folder.
        var directories: [String] = []
    }

    /// Lists `relativeDirectory` ("" for the drop folder itself) beneath `dropDirectory`.
    ///
    /// With `changedBefore` (wall-clock nanoseconds), dropped files whose status changed (renamed
    /// in, written) at or after it are left out: the directory has been watched since then, so
    /// their events report them, in the order they came. A file renamed in while the directory
    /// is read may be missed by `readdir` while a later one is listed; left to its event, it would
    /// be filed after that later one.
    static func list(_ relativeDirectory: String, in dropDirectory: String, changedBefore: Int64? = nil)
        throws(FileSystemError) -> Listing
    {
        let absolute = Path.join(dropDirectory, relativeDirectory)
        var listing = Listing()
        var claimed: [(path: String, modificationTime: Int64)] = []
        var dropped: [(path: String, modificationTime: Int64)] = []
        for entry in try FileSystem.listDirectory(absolute) {
            let path = Path.join(relativeDirectory, entry.name)
            if entry.name == DropSource.claimFolderName, entry.type == .directory {
                // A claim folder that cannot be listed now is listed again by the next scan.
                let inside = (try? FileSystem.listDirectory(Path.join(absolute, entry.name))) ?? []
                for file in inside where file.type != .directory {
                    claimed.append((Path.join(relativeDirectory, file.name), file.modificationTime))
                }
            } else if DropClassifier.isHidden(entry.name) {
                continue
            } else if entry.type == .directory {
                listing.directories.append(path)
            } else if changedBefore.map({ entry.changeTime < $0 }) ?? true {
                dropped.append((path, entry.modificationTime))
            }
        }
        listing.files = ordered(claimed: claimed, dropped: dropped)
        return listing
    }

    /// Every file in the drop tree: the claimed ones first (they were taken before anything that
    /// is still in the drop folders), then the rest, each in `ScanOrder`.
    ///
    /// With `changedBefore`, the time by which every directory of the tree was watched, files
    /// changed since are left to their events (see `list`).
    static func backlog(of dropDirectory: String, changedBefore: Int64? = nil, logger: Logger) -> [Found] {
        var claimed: [(path: String, modificationTime: Int64)] = []
        var dropped: [(path: String, modificationTime: Int64)] = []
        var pending = [""]
        while let directory = pending.popLast() {
            let listing: Listing
            do {
                listing = try list(directory, in: dropDirectory, changedBefore: changedBefore)
            } catch {
                logger.warning(
                    "cannot list a directory", metadata: ["error": "\(LogText.escaped(error.description))"])
                continue
            }
            pending += listing.directories
            for file in listing.files {
                if file.source.claimed {
                    claimed.append((file.source.relativePath, file.modificationTime))
                } else {
                    dropped.append((file.source.relativePath, file.modificationTime))
                }
            }
        }
        return ordered(claimed: claimed, dropped: dropped)
    }

    /// The claimed files, then the dropped ones, each in `ScanOrder`.
    private static func ordered(
        claimed: [(path: String, modificationTime: Int64)], dropped: [(path: String, modificationTime: Int64)]
    ) -> [Found] {
        var (claimed, dropped) = (claimed, dropped)
        ScanOrder.sort(&claimed)
        ScanOrder.sort(&dropped)
        return claimed.map { (DropSource(relativePath: $0.path, claimed: true), $0.modificationTime) }
            + dropped.map { (DropSource(relativePath: $0.path, claimed: false), $0.modificationTime) }
    }
}
