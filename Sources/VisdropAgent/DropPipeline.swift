import Dispatch
import Logging
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Turns watch events into batches for the `DropFiler`, logs every outcome and schedules re-checks.
///
/// A file renamed into the tree is complete: it is filed at once, and so is a file found by a
/// scan (the backlog, a new directory, a rescan), which keeps the scan's order. A file written in
/// place (closed after writing, or created — a hard link raises nothing else) is filed once it has
/// been quiet for `quiet-ms`, so that a writer that closes and reopens it at once (numpy's
/// `open_memmap`) is not cut off; a file written to without pause is taken at least every
/// `quietCapFactor` quiet times. The filer then makes sure nobody writes the file before taking it
/// (see `FilePreparation.prepare`); a file a writer holds open waits for the close event (and is
/// looked at now and then), a scalar file cut mid-line waits for the rest of the line or for the
/// settle time. Files whose output could not be written are retried with a growing delay; their
/// sources stay meanwhile. Lives on the filing thread.
final class DropPipeline {
    /// The most files filed in one batch (one flush, one journal record).
    static let batchLimit = 4096
    /// A file written to without a pause as long as the quiet time is taken after this many quiet
    /// times all the same (what is appended after that goes to a new file under the same name).
    static let quietCapFactor: Int64 = 20

    private let options: AgentOptions
    private let logger: Logger
    private let filer: DropFiler
    private var retryAttempts: [DropSource: Int] = [:]
    /// Files written in place that are not filed yet, by the path they were dropped at.
    private var candidates: [String: Candidate] = [:]
    /// Claimed files a writer still had open: how often each was looked at.
    private var writerWaits: [DropSource: Int] = [:]
    /// Claimed files with a look scheduled already (a rescan may find one meanwhile).
    private var claimRechecks = Set<DropSource>()
    /// Claimed files the filer gave their dropped name back (their output could not be written,
    /// or a writer had them open): the rename raises an event that must not file them at once.
    private var returnedNames = Set<String>()
    /// Files the poller reported that are not decided yet, by dropped path: however a later look
    /// comes (a deferral's re-check, a claimed namesake's turn), the file is taken as polled — only
    /// when complete for its kind, its lease no proof where it proves nothing.
    private var polledFiles: [String: PolledFile] = [:]
    private(set) var statistics = FilingStatistics()
    /// What was filed since the last info line (per-file lines are at debug level).
    private var summary = FilingSummary()
    /// A `.summaryDue` event is on the queue.
    private var summaryScheduled = false

    /// A file written in place, waiting to be quiet.
    private struct Candidate {
        /// Wall-clock nanoseconds of the first event (or scan) that made it a candidate.
        var firstActivity: Int64
        /// Wall-clock nanoseconds of the latest event.
        var lastActivity: Int64
        /// A writer's close was seen (not only a new name, or a scan): where no lease can be had,
        /// the quiet time is enough; otherwise the settle time must pass.
        var closeSeen: Bool
        /// It must stay quiet for the settle time, not the quiet time: its last line is cut, or
        /// no lease can be had.
        var needsSettling = false
        /// A writer has it open: its close event brings it back.
        var waitingForClose = false
        /// A re-check is scheduled on the queue.
        var recheckScheduled = false
    }

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
        let ledger: FiledSourceLedger
        do {
            ledger = try FiledSourceLedger(
                stateDirectory: options.stateDirectory, durable: options.durable, logger: logger)
        } catch {
            throw AgentSetupError(
                "cannot read the ledger of filed sources in \(options.stateDirectory): \(error); it must be a readable file"
            )
        }
        let trash = TrashSweeper(dropDirectory: options.dropDirectory, logger: logger)
        let filer = DropFiler(
            options: options, journal: journal, ledger: ledger, trash: trash, logger: logger)
        do {
            try journal.recover { recorded throws(FileSystemError) -> String? in
                // The journal names sources by their full path; a source outside today's drop
                // folder (started with another --drop) is left alone.
                guard let source = DropSource(recordedPath: recorded.path, beneath: options.dropDirectory)
                else { return nil }
                // A claimed source whose claim a power cut undid is back under its dropped name.
                for place in Set([source, DropSource(relativePath: source.relativePath, claimed: false)]) {
                    let path = Path.join(options.dropDirectory, place.currentPath)
                    guard FileSystem.identity(at: path) == recorded.identity else { continue }
                    do throws(FileSystemError) { try filer.dispose(place) } catch {
                        // Filed, but not removable: on record, so that it is not filed again.
                        try filer.keepUnremoved([
                            .init(source: place, identity: recorded.identity, error: error)
                        ])
                        return nil
                    }
                    return Path.directory(of: path)
                }
                return nil
            }
        } catch {
            throw AgentSetupError("cannot recover the scalar journal in \(options.stateDirectory): \(error)")
        }
        self.filer = filer
        filer.retryKeptRemovals()
        let stale = FileSystem.removeStaleTemporaries(under: options.outputDirectory)
        if stale > 0 {
            logger.notice("removed temporary files an interrupted run left", metadata: ["count": "\(stale)"])
        }
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
            AgentMetrics.pendingFiles(candidates.count)
            if !sweeping { filer.trash.sweep() }
        }
        summary.flush(to: logger)
        if sweeping { filer.trash.stop() }
    }

    /// Deletes the filed sources waiting in the trash (for `ingest`, which has no sweeper thread).
    func emptyTrash() {
        filer.trash.sweep()
    }

    /// Files what `events` make ready now; schedules quiet-time checks and retries on `queue`.
    func handle(_ events: [WatchEvent], queue: EventQueue) {
        let now = FilePreparation.wallClockNanoseconds()
        let quiet = Int64(options.quietMilliseconds) * 1_000_000
        let settle = options.settleNanoseconds
        var requests: [FilingRequest] = []
        var seen = Set<String>()
        // One request per dropped path and batch: a claimed file and its namesake in the drop
        // folder are never read side by side (the second one waits for a later look).
        var later: [DropSource] = []
        func take(_ request: FilingRequest) {
            var request = request
            if request.polled == nil, !request.source.claimed, !polledFiles.isEmpty,
                let polled = polledFiles[request.source.relativePath]
            {
                request = .settled(request.source, polled)
            }
            if seen.insert(request.source.relativePath).inserted {
                requests.append(request)
            } else if !requests.contains(where: { $0.source == request.source }) {
                later.append(request.source)
            }
        }
        // In-place files touched by these events, in the order they were touched.
        var touched: [String] = []
        func touch(_ path: String, closed: Bool) {
            var candidate =
                candidates[path] ?? Candidate(firstActivity: now, lastActivity: now, closeSeen: closed)
            candidate.lastActivity = now
            candidate.closeSeen = candidate.closeSeen || closed
            candidate.waitingForClose = false
            candidates[path] = candidate
            touched.append(path)
        }
        for event in events {
            switch event {
            case .completed(let path):
                // The filer's own rename of a file it gave back: its retry or its writer brings it back.
                if returnedNames.remove(path) != nil { continue }
                // A rename replaces whatever had the name: what is there now is complete.
                candidates[path] = nil
                take(.complete(DropSource(relativePath: path, claimed: false)))
            case .written(let path):
                touch(path, closed: true)
            case .created(let path):
                touch(path, closed: false)
            case .settled(let source, let polled):
                polledFiles[source.relativePath] = polled
                take(.settled(source, polled))
            case .found(let source, _) where !source.claimed && candidates[source.relativePath] != nil:
                // A rescan found a file events reported already: it waits for its quiet time.
                continue
            case .found(let source, let modificationTime):
                // A scan (the backlog, a new directory, a rescan) keeps the order it found files
                // in: each is taken now, and the lease decides (a writer's close brings it back).
                let age = now - min(modificationTime, now)
                take(
                    source.claimed
                        ? .complete(source)
                        : FilingRequest(
                            source: source, wroteInPlace: true, acceptsIncompleteLastLine: age >= settle,
                            unleasedQuietNanoseconds: settle))
            case .recheck(let source):
                claimRechecks.remove(source)
                if !source.claimed, let candidate = candidates[source.relativePath] {
                    candidates[source.relativePath]?.recheckScheduled = false
                    if candidate.waitingForClose {
                        // No close came (its writer may write through another name): the lease decides.
                        take(inPlaceRequest(source.relativePath, candidate, now: now))
                    } else {
                        touched.append(source.relativePath)
                    }
                } else {
                    take(.complete(source))
                }
            case .overflow:
                break  // The watcher rescans and reports every file as found.
            case .summaryDue:
                summaryScheduled = false
                logSummary(queue: queue)
            }
        }
        var due = Set<String>()
        for path in touched where due.insert(path).inserted {
            guard var candidate = candidates[path], !candidate.waitingForClose else { continue }
            let needed = candidate.needsSettling ? settle : quiet
            let pressed =
                !candidate.needsSettling && now - candidate.firstActivity >= quiet * Self.quietCapFactor
            if now - candidate.lastActivity >= needed || pressed {
                take(inPlaceRequest(path, candidate, now: now))
            } else if !candidate.recheckScheduled {
                candidate.recheckScheduled = true
                candidates[path] = candidate
                let wait = UInt64(max(1, candidate.lastActivity + needed - now))
                queue.push(.recheck(DropSource(relativePath: path, claimed: false)), afterNanoseconds: wait)
            }
        }
        for source in later { queue.push(.recheck(source), afterNanoseconds: 1_000_000) }
        if !requests.isEmpty { file(requests, queue: queue) }
    }

    /// The request for a file written in place whose candidate is ready to be looked at.
    private func inPlaceRequest(_ path: String, _ candidate: Candidate, now: Int64) -> FilingRequest {
        let settle = options.settleNanoseconds
        return FilingRequest(
            source: DropSource(relativePath: path, claimed: false), wroteInPlace: true,
            acceptsIncompleteLastLine: now - candidate.lastActivity >= settle,
            unleasedQuietNanoseconds: candidate.closeSeen ? 0 : settle)
    }

    /// Files `requests` now, in order, and logs each outcome; re-checks and retries go to `queue`
    /// when given (`ingest` has none). Returns each file's outcome and where it is now.
    @discardableResult
    func file(_ requests: [FilingRequest], queue: EventQueue?) -> [(
        source: DropSource, outcome: FilingOutcome
    )] {
        // Images go at most `imagesPerBatch` to a batch: each batch's sources, once filed, are
        // written into by the next batch's images (see `FileRecycler`), so a burst of images
        // costs new inodes only for its first batch.
        var results: [(source: DropSource, outcome: FilingOutcome)] = []
        var start = requests.startIndex
        var images = 0
        for index in requests.indices {
            guard case .image = DropClassifier.classify(requests[index].source.name) else { continue }
            images += 1
            if images == Self.imagesPerBatch, index + 1 < requests.endIndex {
                results += fileBatch(Array(requests[start...index]), queue: queue)
                start = index + 1
                images = 0
            }
        }
        if start < requests.endIndex { results += fileBatch(Array(requests[start...]), queue: queue) }
        return results
    }

    /// The most images filed in one batch (see `file(_:queue:)`).
    static let imagesPerBatch = 64

    /// Files `requests` as one batch now (see `file(_:queue:)`).
    private func fileBatch(_ requests: [FilingRequest], queue: EventQueue?) -> [(
        source: DropSource, outcome: FilingOutcome
    )] {
        let start = DispatchTime.now().uptimeNanoseconds
        let results = filer.file(requests)
        AgentMetrics.batchFiled()
        returnedNames.formUnion(filer.takeReturnedNames())
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        let latency = FilingStatistics.milliseconds(nanoseconds: elapsed)
        // Counted per batch: its files share its latency, and a tally per file costs no hashing.
        var batch = FilingStatistics()
        for (request, result) in zip(requests, results) {
            batch.record(result.outcome, nanoseconds: elapsed)
            if !isDeferral(result.outcome) {
                // Taken, set aside or gone: a later event for the name is about a new file.
                // (Each table is looked into only when it holds something: hashing a path per file
                // is a measurable part of a scalar file's cost.)
                if !request.source.claimed {
                    if !candidates.isEmpty { candidates[request.source.relativePath] = nil }
                    if !polledFiles.isEmpty { polledFiles[request.source.relativePath] = nil }
                }
                if !writerWaits.isEmpty {
                    writerWaits[request.source] = nil
                    writerWaits[result.source] = nil
                }
            }
            log(result.outcome, request: request, source: result.source, latency: latency, queue: queue)
        }
        statistics.add(batch)
        summary.record(batch, nanoseconds: elapsed)
        AgentMetrics.record(batch, nanoseconds: elapsed)
        if let queue { logSummary(queue: queue) }
        if requests.count > 1 {
            let phases = filer.lastBatch
            logger.debug(
                "batch filed",
                metadata: [
                    "files": "\(requests.count)", "latency": "\(latency)",
                    "read-and-decode":
                        "\(FilingStatistics.milliseconds(nanoseconds: phases.prepareNanoseconds))",
                    "write": "\(FilingStatistics.milliseconds(nanoseconds: phases.writeNanoseconds))",
                    "flush-and-remove":
                        "\(FilingStatistics.milliseconds(nanoseconds: phases.finishNanoseconds))",
                ])
        }
        return results
    }

    /// Logs the summary line once its window is `FilingSummary.intervalNanoseconds` old, and
    /// otherwise makes sure a `.summaryDue` event comes when it will be.
    private func logSummary(queue: EventQueue) {
        if summary.isDue { summary.flush(to: logger) }
        guard let start = summary.windowStart, !summaryScheduled else { return }
        summaryScheduled = true
        let age = DispatchTime.now().uptimeNanoseconds - start
        let interval = FilingSummary.intervalNanoseconds
        queue.push(.summaryDue, afterNanoseconds: interval - min(age, interval))
    }

    private func isDeferral(_ outcome: FilingOutcome) -> Bool {
        if case .deferred = outcome { return true } else { return false }
    }

    private func log(
        _ outcome: FilingOutcome, request: FilingRequest, source: DropSource, latency: String,
        queue: EventQueue?
    ) {
        // Names come from other users: escaped, so a newline in one cannot forge a log line.
        var file: String { LogText.escaped(request.source.relativePath) }
        switch outcome {
        case .filed(let kind, let outputs, let records):
            if !retryAttempts.isEmpty { retryAttempts[source] = nil }
            // A line per file at debug only: at info, nothing of it is built.
            guard logger.logLevel <= .debug else { return }
            var metadata: Logger.Metadata = [
                "file": "\(file)", "kind": "\(kind.label)",
                "to": "\(LogText.escaped(outputs.joined(separator: ", ")))",
                "latency": "\(latency)",
            ]
            if case .scalars = kind { metadata["records"] = "\(records)" }
            logger.debug("filed", metadata: metadata)
        case .rejected(let kind, let reason):
            AgentMetrics.rejected(kind: kind)
            retryAttempts[source] = nil
            logger.error(
                "rejected",
                metadata: [
                    "file": "\(file)", "kind": "\(kind.label)", "reason": "\(LogText.escaped(reason))",
                    "moved-to":
                        "\(LogText.escaped(Path.join(options.rejectedDirectory, request.source.relativePath)))",
                ])
        case .skipped(let reason):
            logger.debug("skipped", metadata: ["file": "\(file)", "reason": "\(LogText.escaped(reason))"])
        case .retry(let error):
            let attempt = retryAttempts[source, default: 0] + 1
            retryAttempts[source] = attempt
            let delay = Self.backoffMilliseconds(attempt: attempt, first: 1_000, limit: 60_000) / 1_000
            logger.warning(
                "cannot write the output; keeping the source and retrying",
                metadata: [
                    "file": "\(file)", "error": "\(LogText.escaped(error.description))",
                    "attempt": "\(attempt)",
                    "retry-in": "\(delay) s",
                ])
            queue?.push(.recheck(source), afterNanoseconds: UInt64(delay) * 1_000_000_000)
        case .deferred(let deferral):
            scheduleAgain(source, deferral, request: request, queue: queue)
        }
    }

    /// Schedules another look at a file the filer did not take yet.
    private func scheduleAgain(
        _ source: DropSource, _ deferral: FilingOutcome.Deferral, request: FilingRequest, queue: EventQueue?
    ) {
        let file = "\(source)"
        let closeSeen = request.unleasedQuietNanoseconds == 0
        guard let queue else { return }  // `ingest` reports these itself.
        switch deferral {
        case .incompleteForItsKind:
            guard let polled = request.polled else { return }
            // The poller reports it again once it changed and settled, or once it has stayed as it
            // is for the settle timeout: then it is set aside.
            let wait =
                options.settleTimeoutNanoseconds
                - FilePreparation.nanosecondsSince(polled.unchangedSince)
            logger.debug(
                "not complete for its kind yet; waiting for its writer or the settle timeout",
                metadata: ["file": "\(file)", "timeout-in": "\(max(0, wait) / 1_000_000_000) s"])
        case .writerOpen:
            logger.debug(
                "still open for writing; taken after the writer closes it", metadata: ["file": "\(file)"])
            var candidate = candidates[source.relativePath, default: newCandidate(closeSeen: closeSeen)]
            candidate.waitingForClose = true
            // The close normally brings it back; a writer that holds the file through another name
            // (a hard link from outside) closes it there, so look again now and then, too.
            let attempt = writerWaits[source, default: 0] + 1
            writerWaits[source] = attempt
            if !candidate.recheckScheduled {
                candidate.recheckScheduled = true
                let delay =
                    Self.backoffMilliseconds(attempt: attempt, first: 1_000, limit: 30_000) * 1_000_000
                queue.push(.recheck(source), afterNanoseconds: delay)
            }
            candidates[source.relativePath] = candidate
        case .writerOpenAfterClaim, .replacedBeforeClaim:
            // Opened before the claim, or claimed unread: no event names the claimed file, so look
            // again, less and less often.
            guard claimRechecks.insert(source).inserted else { return }
            let attempt = writerWaits[source, default: 0] + 1
            writerWaits[source] = attempt
            let delay = Self.backoffMilliseconds(attempt: attempt, first: 5, limit: 1_000) * 1_000_000
            logger.debug(
                deferral == .writerOpenAfterClaim
                    ? "a writer still has the claimed file open; looking again"
                    : "the claim took a file not read yet; reading it",
                metadata: ["file": "\(file)", "attempt": "\(attempt)", "in": "\(delay / 1_000_000) ms"])
            queue.push(.recheck(source), afterNanoseconds: delay)
        case .incompleteLastLine, .changedRecently:
            logger.debug(
                deferral == .incompleteLastLine
                    ? "the last line is not complete yet; waiting for its end or the settle time"
                    : "no lease on the file; waiting until it is unchanged for the settle time",
                metadata: ["file": "\(file)"])
            var candidate = candidates[source.relativePath, default: newCandidate(closeSeen: closeSeen)]
            candidate.needsSettling = true
            candidate.recheckScheduled = true
            candidates[source.relativePath] = candidate
            let wait =
                options.settleNanoseconds
                - (FilePreparation.nanosecondsSince(candidate.lastActivity))
            queue.push(.recheck(source), afterNanoseconds: UInt64(max(1, wait)))
        case .claimFolderTaken:
            // Its claimed namesake is filed within a batch or two, unless a writer holds that one
            // open: look again after the quiet time, then less and less often (at most 1 s apart).
            let attempt = writerWaits[source, default: 0] + 1
            writerWaits[source] = attempt
            let delay =
                Self.backoffMilliseconds(
                    attempt: attempt, first: max(5, options.quietMilliseconds), limit: 1_000)
                * 1_000_000
            logger.debug(
                "an earlier file of the same name is still claimed; waiting for it",
                metadata: ["file": "\(file)", "attempt": "\(attempt)", "in": "\(delay / 1_000_000) ms"])
            candidates[source.relativePath, default: newCandidate(closeSeen: closeSeen)]
                .recheckScheduled = true
            queue.push(.recheck(source), afterNanoseconds: delay)
        }
    }

    /// The wait before look `attempt` (1, 2 …): `first` milliseconds, doubled each time, at most
    /// `limit` (retries, writers' waits, claimed namesakes).
    static func backoffMilliseconds(attempt: Int, first: Int, limit: Int) -> UInt64 {
        var delay = first
        for _ in 1..<max(1, attempt) where delay < limit { delay *= 2 }
        return UInt64(min(delay, limit))
    }

    private func newCandidate(closeSeen: Bool) -> Candidate {
        let now = FilePreparation.wallClockNanoseconds()
        return Candidate(firstActivity: now, lastActivity: now, closeSeen: closeSeen)
    }
}
