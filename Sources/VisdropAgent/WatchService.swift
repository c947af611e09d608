import Logging
import ServiceLifecycle

/// The daemon: files the backlog, then every file dropped until SIGTERM or SIGINT.
///
/// On graceful shutdown the file being filed is finished, the watcher thread is stopped
/// and a summary is logged; files still in the drop folder are filed at the next start.
public struct WatchService: Service {
    private let options: AgentOptions
    private let logger: Logger

    /// Creates the service; nothing happens until `run()`.
    public init(options: AgentOptions, logger: Logger) {
        self.options = options
        self.logger = logger
    }

    /// Runs until graceful shutdown; throws `AgentSetupError` when it cannot start.
    public func run() async throws {
        let journal = ScalarJournal(stateDirectory: options.stateDirectory, logger: logger)
        try AgentSetupError.prepare(options, journal: journal)
        let (events, continuation) = AsyncStream.makeStream(of: WatchEvent.self)
        let watcher = DropWatcher(
            root: options.dropDirectory, stateDirectory: options.stateDirectory, continuation: continuation,
            logger: logger)
        do {
            try watcher.start()
        } catch {
            throw AgentSetupError(error.description)
        }
        let pipeline = DropPipeline(options: options, logger: logger)
        let backlog = DropPipeline.backlog(of: options.dropDirectory, logger: logger)
        logger.info(
            "watching",
            metadata: [
                "drop": "\(options.dropDirectory)", "out": "\(options.outputDirectory)",
                "backlog": "\(backlog.count)",
            ])

        await withGracefulShutdownHandler {
            for file in backlog {
                if Task.isShuttingDownGracefully { break }
                pipeline.handle(
                    .found(relativePath: file.path, modificationTime: file.modificationTime),
                    events: continuation)
            }
            for await event in events {
                if Task.isShuttingDownGracefully { break }
                pipeline.handle(event, events: continuation)
            }
        } onGracefulShutdown: {
            watcher.stop()
        }
        watcher.stop()
        logger.info("stopped: \(pipeline.statistics.summary)")
    }
}
