import VisdropFileSystem

/// A dropped file: the path it was dropped at, and whether the agent has claimed it.
///
/// Before reading a file, the agent claims it: it renames it into the claim folder beside it,
/// `DROP/<dir>/.visdrop-claim/<name>` (hidden, so never taken as a drop; in the same directory,
/// so on the same file system even when `<dir>` is a mount). From then on a writer that opens
/// the name creates a new file, filed on its own, and the claimed one can only change through
/// descriptors opened before — which the read lease sees. The dropped path keeps deciding the
/// kind and the save_dir.
struct DropSource: Hashable, Sendable, CustomStringConvertible {
    /// The name of the claim folder in each drop directory.
    static let claimFolderName = ".visdrop-claim"

    /// Where the file was dropped, relative to the drop folder.
    var relativePath: String
    /// True once the file is in its directory's claim folder.
    var claimed: Bool

    /// Where the file is now, relative to the drop folder.
    var currentPath: String {
        guard claimed else { return relativePath }
        return Path.join(Path.directory(of: relativePath), Self.claimFolderName, name)
    }

    /// The file's name.
    var name: String { Path.lastComponent(of: relativePath) }

    /// The drop directory it belongs to, relative to the drop folder.
    var directory: String { Path.directory(of: relativePath) }

    /// The source at `currentPath` (relative to the drop folder): a file in a claim folder is
    /// its parent directory's file, claimed.
    init(currentPath: String) {
        let directory = Path.directory(of: currentPath)
        if Path.lastComponent(of: directory) == Self.claimFolderName {
            self.init(
                relativePath: Path.join(Path.directory(of: directory), Path.lastComponent(of: currentPath)),
                claimed: true)
        } else {
            self.init(relativePath: currentPath, claimed: false)
        }
    }

    /// The source a record names by its full path (the journal's, the ledger's), or nil when the
    /// path is not beneath `dropDirectory` (recorded under another `--drop`).
    init?(recordedPath: String, beneath dropDirectory: String) {
        let prefix = dropDirectory + "/"
        guard recordedPath.hasPrefix(prefix) else { return nil }
        self.init(currentPath: String(recordedPath.dropFirst(prefix.count)))
    }

    init(relativePath: String, claimed: Bool) {
        self.relativePath = relativePath
        self.claimed = claimed
    }

    var description: String { LogText.escaped(currentPath) }
}
