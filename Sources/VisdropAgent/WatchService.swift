public import Logging
public import ServiceLifecycle

/// The daemon: files the backlog, then every file dropped until SIGTERM or SIGINT.
///
/// Two dedicated threads do the work: the watcher (inotify) and the filer (batches). On graceful
/// shutdown or cancellation the filer finishes the batch it has started, both threads stop and a
/// summary is logged; files still in the drop folder are filed at the next start. When the
/// watcher dies, the service stops the same way and throws, naming the cause.
public struct WatchService: Service {
    private let options: AgentOptions
    private let logger: Logger

    /// Creates the service; nothing happens until `run()`.
    public init(options: AgentOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// What the filing thread tells the service.
    private enum FilerReport: Sendable {
        case ready
        case failed(AgentSetupError)
        case finished(FilingStatistics)
    }

    /// Runs until graceful shutdown or cancellation; throws `AgentSetupError` when it cannot start,
    /// `AgentStoppedError` when its watcher dies.
    public func run() async throws {
        try AgentSetupError.prepare(options)
        let queue = EventQueue()
        let (reports, reporter) = AsyncStream.makeStream(of: FilerReport.self)
        let (options, logger) = (self.options, self.logger)
        do {
            try DedicatedThread.start("filer") {
                // The pipeline lives on this thread: it opens the journal and recovers first.
                let pipeline: DropPipeline
                do throws(AgentSetupError) {
                    pipeline = try DropPipeline(options: options, logger: logger)
                } catch {
                    reporter.yield(.failed(error))
                    reporter.finish()
                    return
                }
                reporter.yield(.ready)
                pipeline.run(queue: queue)
                reporter.yield(.finished(pipeline.statistics))
                reporter.finish()
            }
        } catch {
            throw AgentSetupError("\(error)")
        }
        var filer = reports.makeAsyncIterator()
        if case .failed(let error) = await filer.next() { throw error }

        let watcher = DropWatcher(root: options.dropDirectory, queue: queue, logger: logger)
        do {
            try watcher.start()
        } catch {
            queue.stop()
            throw AgentSetupError(error.description)
        }
        // Listed after the watch exists, so a file is in the backlog, in an event, or in both.
        let backlog = DropScan.backlog(of: options.dropDirectory, logger: logger)
        queue.open(first: backlog.map { .found($0.source, modificationTime: $0.modificationTime) })
        logger.info(
            "watching",
            metadata: [
                "drop": "\(options.dropDirectory)", "out": "\(options.outputDirectory)",
                "backlog": "\(backlog.count)",
                "workers": "\(options.resolvedWorkers)",
            ])
        // Graceful shutdown, cancellation and a dead watcher all end the filer's loop (the
        // filer finishes the batch it has started); then the watcher is stopped too.
        let report = await withTaskCancellationHandler {
            await withGracefulShutdownHandler {
                await filer.next()
            } onGracefulShutdown: {
                queue.stop()
            }
        } onCancel: {
            queue.stop()
        }
        watcher.stop()
        if case .finished(let statistics) = report {
            logger.info("stopped: \(statistics.summary)")
        }
        if let failure = watcher.failure {
            throw AgentStoppedError(
                description:
                    "the watcher stopped (\(failure)): nothing more would be filed; restart the agent")
        }
    }
}

/// Why a running agent stopped on its own: its watcher could no longer read events.
public struct AgentStoppedError: Error, CustomStringConvertible, Sendable {
    /// What stopped and what to do about it.
    public let description: String
}
