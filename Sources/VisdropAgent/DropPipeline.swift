import Logging
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Turns watch events into filings, one file at a time, in the order files became complete.
///
/// Files found by scanning (the backlog, new directories, rescans after an overflow) are
/// filed at once when the kernel says nobody has them open for writing (a read lease is
/// granted), and when it says somebody does, on their close event. Where it cannot say
/// (another user's file, no lease support) they are filed once unchanged for the settle
/// time, or as soon as their close or rename event arrives. Files whose output could not be written are retried with
/// a growing delay; their sources stay in place meanwhile.
final class DropPipeline {
    private let options: AgentOptions
    private let logger: Logger
    private let filer: DropFiler
    private var retryAttempts: [String: Int] = [:]
    private(set) var statistics = FilingStatistics()

    init(options: AgentOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        self.filer = DropFiler(
            options: options, journal: ScalarJournal(stateDirectory: options.stateDirectory, logger: logger),
            logger: logger)
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

    /// Files one file now and logs the outcome.
    @discardableResult
    func file(_ relativePath: String, retries: AsyncStream<WatchEvent>.Continuation? = nil) -> FilingOutcome {
        let start = Self.now()
        let outcome = filer.file(relativePath)
        let elapsed = Self.now() - start
        statistics.record(outcome, nanoseconds: elapsed)
        let latency = FilingStatistics.milliseconds(Double(elapsed) / 1e6)
        switch outcome {
        case .filed(let kind, let destination, let records):
            retryAttempts[relativePath] = nil
            var metadata: Logger.Metadata = [
                "file": "\(relativePath)", "kind": "\(kind.label)", "to": "\(destination)",
                "latency": "\(latency)",
            ]
            if case .scalars = kind { metadata["records"] = "\(records)" }
            logger.info("filed", metadata: metadata)
        case .rejected(let kind, let reason):
            retryAttempts[relativePath] = nil
            logger.error(
                "rejected",
                metadata: [
                    "file": "\(relativePath)", "kind": "\(kind.label)", "reason": "\(reason)",
                    "moved-to": "\(Path.join(options.rejectedDirectory, relativePath))",
                ])
        case .skipped(let reason):
            logger.debug("skipped", metadata: ["file": "\(relativePath)", "reason": "\(reason)"])
        case .retry(let error):
            let attempt = retryAttempts[relativePath, default: 0] + 1
            retryAttempts[relativePath] = attempt
            let delay = min(60, 1 << min(attempt - 1, 6))
            logger.warning(
                "cannot write the output; keeping the source and retrying",
                metadata: [
                    "file": "\(relativePath)", "error": "\(error)", "attempt": "\(attempt)",
                    "retry-in": "\(delay) s",
                ])
            if let retries {
                Task {
                    try? await Task.sleep(for: .seconds(delay))
                    retries.yield(.completed(relativePath: relativePath))
                }
            }
        }
        return outcome
    }

    /// Handles one watch event; `events` is where delayed re-checks are sent.
    func handle(_ event: WatchEvent, events: AsyncStream<WatchEvent>.Continuation) {
        switch event {
        case .completed(let path):
            file(path, retries: events)
        case .found(let path, let modificationTime):
            switch FileSystem.writerState(at: Path.join(options.dropDirectory, path)) {
            case .noWriters:
                file(path, retries: events)
            case .openForWriting:
                // The watch on its directory exists, so its close produces a `.completed` event.
                logger.debug("still open for writing; filed when closed", metadata: ["file": "\(path)"])
            case .unknown:
                fileWhenSettled(path, modificationTime: modificationTime, events: events)
            }
        case .settled(let path):
            guard let identity = FileSystem.identity(at: Path.join(options.dropDirectory, path)) else {
                return
            }
            fileWhenSettled(path, modificationTime: identity.modificationTime, events: events)
        case .overflow:
            break  // The watcher rescans and reports every file as found.
        }
    }

    private func fileWhenSettled(
        _ path: String, modificationTime: Int64, events: AsyncStream<WatchEvent>.Continuation
    ) {
        let settle = Int64(options.settleMilliseconds) * 1_000_000
        let age = Int64(Self.wallClock()) - modificationTime
        if age >= settle {
            file(path, retries: events)
        } else {
            let wait = settle - max(age, 0)
            Task {
                try? await Task.sleep(for: .nanoseconds(wait))
                events.yield(.settled(relativePath: path))
            }
        }
    }

    static func now() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }

    private static func wallClock() -> UInt64 {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
    }
}
