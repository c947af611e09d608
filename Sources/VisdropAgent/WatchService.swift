import Dispatch
public import Logging
public import ServiceLifecycle
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

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

        let poller = DropPoller(root: options.dropDirectory, options: options, queue: queue, logger: logger)
        // SIGHUP: a rescan of the whole tree, now (ignored from here on rather than fatal).
        signal(SIGHUP, SIG_IGN)
        let hangUp = DispatchSource.makeSignalSource(signal: SIGHUP)
        hangUp.setEventHandler { poller.rescanNow() }
        hangUp.resume()
        defer { hangUp.cancel() }
        let watcher = DropWatcher(root: options.dropDirectory, poller: poller, queue: queue, logger: logger)
        do {
            try poller.start()
            if options.watchMode == .poll {
                let type = try? FileSystemType.of(options.dropDirectory)
                poller.poll(
                    "",
                    because: .init(
                        reason: "--watch-mode poll", leaseIsEvidence: type?.isSeenByInotify ?? false))
            } else {
                try watcher.start()
            }
        } catch {
            queue.stop()
            poller.stop()
            throw AgentSetupError("\(error)")
        }
        // Listed after the watch exists, so a file is in the backlog, in an event, or in both.
        // Polled folders' files settle through their polls; only their claimed files are taken now.
        let polled = poller.polledFolders
        // Files renamed in while the tree is listed are their events' (in their order): readdir
        // may miss one and list a later one.
        let watched = options.watchMode == .poll ? nil : FilePreparation.wallClockNanoseconds()
        let backlog = DropScan.backlog(of: options.dropDirectory, changedBefore: watched, logger: logger)
            .filter {
                file in
                file.source.claimed
                    || !polled.keys.contains { DropPoller.contains($0, file.source.relativePath) }
            }
        queue.open(first: backlog.map { .found($0.source, modificationTime: $0.modificationTime) })
        logger.info(
            "watching",
            metadata: [
                "drop": "\(options.dropDirectory)", "out": "\(options.outputDirectory)",
                "backlog": "\(backlog.count)",
                "workers": "\(options.resolvedWorkers)",
                "mode": "\(Self.describeMode(options, polled: polled))",
                "rescan-every":
                    "\(options.rescanIntervalMilliseconds == 0 ? "off (SIGHUP only)" : "\(options.rescanIntervalMilliseconds / 1000) s")",
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
        if options.watchMode != .poll { watcher.stop() }
        poller.stop()
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

extension WatchService {
    /// What wakes the agent, for the start line: inotify, and which folders are polled how often.
    fileprivate static func describeMode(_ options: AgentOptions, polled: [String: DropPoller.PolledFolder])
        -> String
    {
        let interval = "every \(options.pollIntervalMilliseconds) ms"
        if let whole = polled[""] { return "poll \(interval) (\(whole.reason))" }
        guard !polled.isEmpty else { return "inotify (\(options.watchMode.rawValue))" }
        let folders = polled.sorted { $0.key < $1.key }.prefix(5).map { "\($0.key): \($0.value.reason)" }
        return "inotify, \(polled.count) folder(s) polled \(interval): " + folders.joined(separator: "; ")
            + (polled.count > 5 ? " …" : "")
    }
}

/// Why a running agent stopped on its own: its watcher could no longer read events.
public struct AgentStoppedError: Error, CustomStringConvertible, Sendable {
    /// What stopped and what to do about it.
    public let description: String
}
