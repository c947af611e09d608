import Logging
import VisdropFileSystem

/// Makes filing a scalar file exactly-once across crashes.
///
/// Before the lines of a dropped scalar file are appended, an intent naming the source
/// (by path and identity) and the length of every target file is written and flushed.
/// The intent is removed only after the appends are flushed and the source's removal is
/// durable. On start, a leftover intent whose source still exists means the filing did
/// not finish: each target is cut back to its recorded length (removing any partial or
/// complete lines of that attempt) and the source is filed again. A leftover intent whose
/// source is gone means the filing finished; the intent is simply dropped.
struct ScalarJournal {
    /// One target file and its length before the append.
    struct Target: Equatable {
        var path: String
        var length: Int
    }

    /// The intent recorded before appending.
    struct Intent: Equatable {
        var source: String
        var identity: FileSystem.FileIdentity
        var targets: [Target]
    }

    let intentPath: String
    let logger: Logger

    init(stateDirectory: String, logger: Logger) {
        self.intentPath = Path.join(stateDirectory, "scalar-intent")
        self.logger = logger
    }

    /// Records `intent` durably before any append.
    func begin(_ intent: Intent) throws(FileSystemError) {
        var text = "source \(intent.source)\nidentity \(intent.identity)\n"
        for target in intent.targets { text += "target \(target.length) \(target.path)\n" }
        try FileSystem.writeAtomically(Array(text.utf8), to: intentPath, durable: true)
    }

    /// Forgets the intent once its filing is complete and durable.
    func commit() {
        do {
            try FileSystem.removeFile(intentPath)
        } catch {
            // A leftover intent whose source is gone is harmless: recovery drops it.
            logger.debug("could not remove the scalar intent", metadata: ["error": "\(error)"])
        }
    }

    /// Cuts every target back to its recorded length and forgets the intent (a failed append).
    func rollBack(_ intent: Intent) {
        do {
            try truncateTargets(of: intent)
            try FileSystem.removeFile(intentPath)
        } catch {
            logger.error(
                "could not roll back a failed append; it will be retried at the next start",
                metadata: ["error": "\(error)"])
        }
    }

    private func truncateTargets(of intent: Intent) throws(FileSystemError) {
        for target in intent.targets {
            if let size = FileSystem.size(at: target.path), size > target.length {
                try FileSystem.truncate(target.path, to: target.length)
                logger.notice(
                    "rolled back an unfinished append",
                    metadata: [
                        "file": "\(target.path)", "removed-bytes": "\(size - target.length)",
                        "source": "\(intent.source)",
                    ])
            }
        }
    }

    /// Undoes an unfinished filing left by a crash; returns the source it concerned, if any.
    @discardableResult
    func recover() throws(FileSystemError) -> String? {
        guard FileSystem.entryType(at: intentPath) == .regularFile else { return nil }
        let contents = try FileSystem.readRegularFile(at: intentPath, maximumBytes: 1 << 20)
        guard let intent = Self.parse(String(decoding: contents.bytes, as: UTF8.self)) else {
            logger.warning("ignoring an unreadable scalar intent", metadata: ["path": "\(intentPath)"])
            try FileSystem.removeFile(intentPath)
            return nil
        }
        if let now = FileSystem.identity(at: intent.source), now == intent.identity {
            try truncateTargets(of: intent)
        }
        try FileSystem.removeFile(intentPath)
        return intent.source
    }

    static func parse(_ text: String) -> Intent? {
        var source: String?
        var identity: FileSystem.FileIdentity?
        var targets: [Target] = []
        for line in text.split(separator: "\n") {
            guard let space = line.firstIndex(of: " ") else { return nil }
            let value = line[line.index(after: space)...]
            switch line[..<space] {
            case "source":
                source = String(value)
            case "identity":
                let parts = value.split(separator: " ")
                guard parts.count == 4, let device = UInt64(parts[0]), let inode = UInt64(parts[1]),
                    let size = Int(parts[2]), let time = Int64(parts[3])
                else { return nil }
                identity = .init(device: device, inode: inode, size: size, modificationTime: time)
            case "target":
                guard let gap = value.firstIndex(of: " "), let length = Int(value[..<gap]) else { return nil }
                targets.append(Target(path: String(value[value.index(after: gap)...]), length: length))
            default:
                return nil
            }
        }
        guard let source, let identity else { return nil }
        return Intent(source: source, identity: identity, targets: targets)
    }
}
