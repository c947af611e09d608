import Logging
import VisdropFileSystem

/// Filed sources the agent could not remove (their folder cannot be written to, the file is
/// immutable…), kept on disk so that no run files them again: a scalar file filed twice would
/// append its lines twice.
///
/// The ledger lives in the state folder as `filed-unremoved`, in the journal's record format
/// (`JournalRecord`, sources only: path and identity), rewritten atomically and flushed on every
/// change. A source is entered before the journal forgets its batch, so no crash leaves it
/// unrecorded. An entry whose path no longer holds that file (somebody removed it, or dropped a
/// new file under the name) is forgotten. Changes are rare — normally the ledger stays empty and
/// is never written — so each rewrites the whole file.
final class FiledSourceLedger {
    /// The file's name in the state folder.
    static let fileName = "filed-unremoved"

    let path: String
    private let durable: Bool
    private let logger: Logger
    /// The identity each kept source had when it was filed, by its full path.
    private(set) var entries: [String: FileSystem.FileIdentity] = [:]

    /// Reads the ledger in `stateDirectory` (none yet: an empty ledger).
    init(stateDirectory: String, durable: Bool, logger: Logger) throws(FileSystemError) {
        self.path = Path.join(stateDirectory, Self.fileName)
        self.durable = durable
        self.logger = logger
        guard FileSystem.entryType(at: path) != nil else { return }
        let bytes = try FileSystem.readRegularFile(at: path, maximumBytes: Self.maximumBytes).bytes
        switch JournalRecord.decode(bytes) {
        case .idle:
            return
        case .batch(let recorded, _):
            for source in recorded.sources { entries[source.path] = source.identity }
        case .unreadable:
            // Written atomically, so only a hand-edited file gets here: say so, and start afresh
            // rather than refuse to run.
            logger.error(
                "the ledger of filed sources that could not be removed is unreadable; starting a new one",
                metadata: ["path": "\(LogText.escaped(path))"])
        }
    }

    /// Far more than any real ledger: thousands of unremovable sources would each have been said.
    static let maximumBytes = 64 << 20

    /// Records that the sources at these paths, with these identities, were filed and must not be
    /// filed again (one rewrite for all of them).
    func keep(_ kept: [(path: String, identity: FileSystem.FileIdentity)]) throws(FileSystemError) {
        guard !kept.isEmpty else { return }
        for (path, identity) in kept { entries[path] = identity }
        try save()
    }

    /// Forgets the sources at `paths` (removed at last, or no longer there).
    func forget(_ paths: some Sequence<String>) throws(FileSystemError) {
        var changed = false
        for path in paths where entries.removeValue(forKey: path) != nil { changed = true }
        if changed { try save() }
    }

    /// True when `path` holds the very file the ledger kept under it.
    func holdsKeptFile(_ path: String) -> Bool {
        guard let kept = entries[path] else { return false }
        return FileSystem.identity(at: path) == kept
    }

    private func save() throws(FileSystemError) {
        let sources = entries.sorted { $0.key < $1.key }.map {
            ScalarJournal.Source(path: $0.key, identity: $0.value)
        }
        let bytes =
            sources.isEmpty
            ? JournalRecord.idle : JournalRecord.encode(.init(sources: sources, targets: []), sequence: 0)
        try FileSystem.writeAtomically(bytes, to: path, durable: durable)
    }
}
