import Dispatch
import Logging
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Turns watch events into batches for the `DropFiler`, logs every outcome and schedules retries.
///
/// Files found by scanning (the backlog, new directories, rescans after an overflow) are
/// filed at once when the kernel says nobody has them open for writing (a read lease is
/// granted), and when it says somebody does, on their close event. Where it cannot say
/// (another user's file, no lease support) they are filed once unchanged for the settle
/// time, or as soon as their close or rename event arrives. Files whose output could not be
/// written are retried with a growing delay; their sources stay in place meanwhile.
/// Lives on the filing thread.
final class DropPipeline {
    /// The most files filed in one batch (one flush, one journal record).
    static let batchLimit = 4096

    private let options: AgentOptions
    private let logger: Logger
    private let filer: DropFiler
    private var retryAttempts: [String: Int] = [:]
    private(set) var statistics = FilingStatistics()

    /// Opens the journal (one agent per output folder) and finishes a batch a crash interrupted.
    init(options: AgentOptions, logger: Logger) throws(AgentSetupError) {
        self.options = options
        self.logger = logger
        let journal: ScalarJournal
        do {
            journal = try ScalarJournal(
                stateDirectory: options.stateDirectory, durable: options.durable, logger: logger)
        } catch  where error.code == EWOULDBLOCK || error.code == EAGAIN {
            throw AgentSetupError(
                "another visdrop is already filing into \(options.outputDirectory); stop it or choose another --out"
            )
        } catch {
            throw AgentSetupError("cannot open the journal in \(options.stateDirectory): \(error)")
        }
        let trash = TrashSweeper(dropDirectory: options.dropDirectory, logger: logger)
        let filer = DropFiler(options: options, journal: journal, trash: trash, logger: logger)
        do {
            let dropPrefix = options.dropDirectory + "/"
            try journal.recover { source throws(FileSystemError) in
                // The journal names sources by their full path; a source outside today's drop
                // folder (started with another --drop) is left alone.
                guard source.hasPrefix(dropPrefix) else { return }
                try filer.dispose(String(source.dropFirst(dropPrefix.count)))
            }
        } catch {
            throw AgentSetupError("cannot recover the scalar journal in \(options.stateDirectory): \(error)")
        }
        self.filer = filer
        let stale = FileSystem.removeStaleTemporaries(under: options.outputDirectory)
        if stale > 0 {
            logger.notice("removed temporary files an interrupted run left", metadata: ["count": "\(stale)"])
        }
    }

    /// Every file in the drop tree, in `ScanOrder`.
    static func backlog(of dropDirectory: String, logger: Logger) -> [(path: String, modificationTime: Int64)]
    {
        var files: [(path: String, modificationTime: Int64)] = []
        var pending = [""]
        while let directory = pending.popLast() {
            let entries: [FileSystem.DirectoryEntry]
            do {
                entries = try FileSystem.listDirectory(Path.join(dropDirectory, directory))
            } catch {
                logger.warning("cannot list a directory", metadata: ["error": "\(error)"])
                continue
            }
            for entry in entries where !DropClassifier.isHidden(entry.name) {
                let path = Path.join(directory, entry.name)
                if entry.type == .directory {
                    pending.append(path)
                } else {
                    files.append((path, entry.modificationTime))
                }
            }
        }
        ScanOrder.sort(&files)
        return files
    }

    /// Takes batches of events from `queue` and files them, until the queue is stopped.
    func run(queue: EventQueue) {
        let sweeping: Bool
        do {
            try filer.trash.start()
            sweeping = true
        } catch {
            logger.warning(
                "no background deletion; filed sources are deleted after each batch",
                metadata: ["error": "\(error)"])
            sweeping = false
        }
        while let events = queue.takeBatch(limit: Self.batchLimit) {
            handle(events, queue: queue)
            if !sweeping { filer.trash.sweep() }
        }
        if sweeping { filer.trash.stop() }
    }

    /// Deletes the filed sources waiting in the trash (for `ingest`, which has no sweeper thread).
    func emptyTrash() {
        filer.trash.sweep()
    }

    /// Files what `events` make ready now; schedules settle checks and retries on `queue`.
    func handle(_ events: [WatchEvent], queue: EventQueue?) {
        var ready: [String] = []
        var seen = Set<String>()
        func add(_ path: String) {
            if seen.insert(path).inserted, !filer.keptAfterFiling.contains(path) { ready.append(path) }
        }
        for event in events {
            switch event {
            case .completed(let path):
                add(path)
            case .found(let path, let modificationTime):
                switch FileSystem.writerState(of: path, beneath: options.dropDirectory) {
                case .noWriters:
                    add(path)
                case .openForWriting:
                    // The watch on its directory exists, so its close produces a `.completed` event.
                    logger.debug(
                        "still open for writing; filed when closed",
                        metadata: ["file": "\(LogText.escaped(path))"])
                case .unknown:
                    if let wait = settleWait(modificationTime) {
                        queue?.push(.settled(relativePath: path), afterNanoseconds: wait)
                    } else {
                        add(path)
                    }
                }
            case .settled(let path):
                guard let identity = FileSystem.identity(at: Path.join(options.dropDirectory, path)) else {
                    continue
                }
                if let wait = settleWait(identity.modificationTime) {
                    queue?.push(.settled(relativePath: path), afterNanoseconds: wait)
                } else {
                    add(path)
                }
            case .overflow:
                break  // The watcher rescans and reports every file as found.
            }
        }
        if !ready.isEmpty { file(ready, queue: queue) }
    }

    /// Files `paths` as one batch now and logs each outcome; retries go to `queue` when given.
    func file(_ paths: [String], queue: EventQueue?) {
        let start = DispatchTime.now().uptimeNanoseconds
        let outcomes = filer.file(paths)
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let latency = FilingStatistics.milliseconds(nanoseconds: elapsed)
        for (path, outcome) in zip(paths, outcomes) {
            statistics.record(outcome, nanoseconds: elapsed)
            log(outcome, path: path, latency: latency, queue: queue)
        }
        if paths.count > 1 {
            let phases = filer.lastBatch
            logger.debug(
                "batch filed",
                metadata: [
                    "files": "\(paths.count)", "latency": "\(latency)",
                    "read-and-decode":
                        "\(FilingStatistics.milliseconds(nanoseconds: phases.prepareNanoseconds))",
                    "write": "\(FilingStatistics.milliseconds(nanoseconds: phases.writeNanoseconds))",
                    "flush-and-remove":
                        "\(FilingStatistics.milliseconds(nanoseconds: phases.finishNanoseconds))",
                ])
        }
    }

    private func log(_ outcome: FilingOutcome, path: String, latency: String, queue: EventQueue?) {
        // Names come from other users: escaped, so a newline in one cannot forge a log line.
        let file = LogText.escaped(path)
        switch outcome {
        case .filed(let kind, let outputs, let records):
            retryAttempts[path] = nil
            var metadata: Logger.Metadata = [
                "file": "\(file)", "kind": "\(kind.label)",
                "to": "\(LogText.escaped(outputs.joined(separator: ", ")))",
                "latency": "\(latency)",
            ]
            if case .scalars = kind { metadata["records"] = "\(records)" }
            logger.info("filed", metadata: metadata)
        case .rejected(let kind, let reason):
            retryAttempts[path] = nil
            logger.error(
                "rejected",
                metadata: [
                    "file": "\(file)", "kind": "\(kind.label)", "reason": "\(LogText.escaped(reason))",
                    "moved-to": "\(LogText.escaped(Path.join(options.rejectedDirectory, path)))",
                ])
        case .skipped(let reason):
            logger.debug("skipped", metadata: ["file": "\(file)", "reason": "\(LogText.escaped(reason))"])
        case .retry(let error):
            let attempt = retryAttempts[path, default: 0] + 1
            retryAttempts[path] = attempt
            let delay = min(60, 1 << min(attempt - 1, 6))
            logger.warning(
                "cannot write the output; keeping the source and retrying",
                metadata: [
                    "file": "\(file)", "error": "\(LogText.escaped(error.description))",
                    "attempt": "\(attempt)",
                    "retry-in": "\(delay) s",
                ])
            queue?.push(.completed(relativePath: path), afterNanoseconds: UInt64(delay) * 1_000_000_000)
        }
    }

    /// How much longer a file last changed at `modificationTime` must stay quiet; nil when settled.
    private func settleWait(_ modificationTime: Int64) -> UInt64? {
        let settle = Int64(options.settleMilliseconds) * 1_000_000
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let age = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec) - modificationTime
        return age >= settle ? nil : UInt64(settle - max(age, 0))
    }
}
