import Logging
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Makes filing scalar files exactly-once across crashes, for a whole batch of files at a time.
///
/// The protocol, per batch (see the README's "Guarantees"):
/// 1. `begin`: record the batch's sources (path and identity) and the length of every target
///    file, flushed, before any byte is appended;
/// 2. append the lines, then flush the output file system;
/// 3. `markAppended`: record that the lines are durable, flushed;
/// 4. remove the sources and flush their directories;
/// 5. `commit`: write the idle line over the record.
///
/// After a crash, `recover` finds the record: without the appended mark, every target is cut
/// back to its recorded length and the sources (all still in their claim folders) are filed
/// again; with it, the lines are kept and the sources still present are disposed of. A record
/// torn by a crash fails its checksum, which can only happen during steps 1 or 3, when cutting
/// back and filing again is right.
final class ScalarJournal {
    /// A dropped file in the batch and its identity when it was read.
    struct Source: Equatable {
        var path: String
        var identity: FileSystem.FileIdentity
    }

    /// A file appended to, and its length before the batch.
    struct Target: Equatable {
        var path: String
        var length: Int
    }

    /// The record written before appending.
    struct Intent: Equatable {
        var sources: [Source]
        var targets: [Target]
    }

    private let file: RecordFile
    private let durable: Bool
    /// The record of the batch under way, for its appended mark.
    private var record: [UInt8] = []
    /// The next record's sequence number: no two records are the same bytes (see `JournalRecord`).
    private var sequence: UInt64
    private let logger: Logger

    /// Opens (and locks) the journal in `stateDirectory`; fails when another agent holds it.
    init(stateDirectory: String, durable: Bool, logger: Logger) throws(FileSystemError) {
        self.file = try RecordFile(path: Path.join(stateDirectory, "scalar-journal"))
        self.durable = durable
        self.logger = logger
        // Starting from the clock keeps the numbers of successive runs apart too.
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        sequence = UInt64(max(0, now.tv_sec)) &* 1_000_000_000 &+ UInt64(max(0, now.tv_nsec))
    }

    /// Step 1: records the batch before any append.
    func begin(_ intent: Intent) throws(FileSystemError) {
        sequence &+= 1
        record = JournalRecord.encode(intent, sequence: sequence)
        try file.write(record, at: 0, durable: durable)
    }

    /// Step 3: records that the batch's lines are durable.
    func markAppended() throws(FileSystemError) {
        try file.write(JournalRecord.appendedMark(for: record), at: record.count, durable: durable)
    }

    /// Step 5: forgets the batch.
    func commit() {
        do { try clear() } catch {
            // A stale record whose sources are gone is harmless: recovery finds nothing to do.
            logger.debug(
                "could not clear the scalar journal",
                metadata: ["error": "\(LogText.escaped(error.description))"])
        }
    }

    /// Writes the idle line over the record (not flushed: an idle journal and a finished
    /// batch's record must mean the same).
    private func clear() throws(FileSystemError) {
        record = []
        try file.write(JournalRecord.idle, at: 0, durable: false)
    }

    /// Undoes an append that failed before step 3: cuts every target back and forgets the batch.
    func rollBack(_ intent: Intent) throws(FileSystemError) {
        try cutBack(intent.targets)
        try clear()
    }

    /// Finishes or undoes the batch a crash interrupted; `dispose` removes (or archives) a filed
    /// source still there and returns the directory it left, or nil when it found none.
    func recover(dispose: (Source) throws(FileSystemError) -> String?) throws(FileSystemError) {
        let intent: Intent
        let appended: Bool
        switch JournalRecord.decode(try file.read()) {
        case .idle:
            return
        case .unreadable:
            logger.warning("ignoring a torn scalar journal record", metadata: ["path": "\(file.path)"])
            try clear()
            return
        case .batch(let batch, let mark):
            (intent, appended) = (batch, mark)
        }
        if appended {
            var disposed = 0
            var folders = Set<String>()
            for source in intent.sources {
                guard let folder = try dispose(source) else { continue }
                folders.insert(folder)
                disposed += 1
            }
            // The removals must be on disk before the idle line can be.
            if durable { for folder in folders { try FileSystem.syncDirectory(folder) } }
            logger.notice(
                "finished a batch interrupted after its lines were written",
                metadata: ["sources": "\(intent.sources.count)", "removed-now": "\(disposed)"])
        } else {
            try cutBack(intent.targets)
            logger.notice(
                "undid a batch interrupted before its lines were durable; its files are filed again",
                metadata: ["sources": "\(intent.sources.count)"])
        }
        try clear()
    }

    private func cutBack(_ targets: [Target]) throws(FileSystemError) {
        for target in targets {
            guard let size = FileSystem.size(at: target.path), size > target.length else { continue }
            try FileSystem.truncate(target.path, to: target.length)
            // The cut must be on disk before the idle line can be (a rare path: flush at once).
            if durable { try FileSystem.syncFile(at: target.path) }
            logger.notice(
                "cut back an unfinished append",
                metadata: [
                    "file": "\(LogText.escaped(target.path))", "removed-bytes": "\(size - target.length)",
                ])
        }
    }
}
