import Dispatch
import Logging
import Synchronization
import VisdropBackend
import VisdropConfigText
import VisdropFileSystem
import VisdropJSON
import VisdropNPY

/// Files batches of dropped files: read each safely, decode it by kind, call the LocalVisBackend,
/// make the outputs durable together, then remove (or archive) the sources — or set a file aside
/// in `DROP/.rejected` with its reason.
///
/// Images are decoded, converted and encoded by `workers` threads at once; configs are written
/// and scalar lines appended in drop order, all lines of a batch in one write per target file.
/// The batch's outputs are flushed together (up to 8 `fdatasync`s at once, so their waits
/// overlap) before any source is removed; the `ScalarJournal` makes the scalar appends
/// exactly-once across crashes.
/// Only the filing thread calls `file(_:)`.
final class DropFiler {
    let options: AgentOptions
    let logger: Logger
    let journal: ScalarJournal
    let preparation: FilePreparation
    /// Threads that read and decode a batch's files (`workers`), resolved once: the processor
    /// count behind the default is read from /sys at every ask.
    private let workerThreads: Int
    /// Where removed sources go (deleted in the background).
    let trash: TrashSweeper
    /// The trash folder as an earlier batch opened it: a batch's removals need no path walk and
    /// `mkdir` of their own (see `openTrash`).
    var keptTrashFolder: Directory?
    var backends: [String: LocalVisBackend] = [:]
    /// Filed sources that could not be removed: never filed again, by this run or a later one.
    let ledger: FiledSourceLedger
    /// See `takeReturnedNames`.
    private var returnedNames: [String] = []

    init(
        options: AgentOptions, journal: ScalarJournal, ledger: FiledSourceLedger, trash: TrashSweeper,
        logger: Logger
    ) {
        self.trash = trash
        self.ledger = ledger
        self.options = options
        self.journal = journal
        self.logger = logger
        self.preparation = FilePreparation(options: options, logger: logger)
        self.workerThreads = options.resolvedWorkers
    }

    /// Files the batch `requests`, in order; one result per request, with the place its file is
    /// in now (claimed, or still in its drop folder).
    func file(_ requests: [FilingRequest]) -> [(source: DropSource, outcome: FilingOutcome)] {
        // Each drop folder of the batch, and its claim folder, is opened once, for taking,
        // reading and disposing of its files.
        var folders: [String: (Result<Directory, FileSystemError>, Result<Directory, FileSystemError>)] = [:]
        var items = requests.map { request -> Item in
            let kind = DropClassifier.classify(request.source.name)
            let directory = request.source.directory
            let opened: (Result<Directory, FileSystemError>, Result<Directory, FileSystemError>)
            do throws(FileSystemError) {
                try FileSystem.requireSafeFilePath(
                    request.source.relativePath, beneath: options.dropDirectory)
                opened = folders[directory] ?? openFolders(directory)
                folders[directory] = opened
            } catch {
                opened = (.failure(error), .failure(error))
            }
            return Item(request: request, kind: kind, folder: opened.0, claimFolder: opened.1)
        }
        for index in items.indices where items[index].kind != .workInProgress {
            let source = items[index].source
            if !source.claimed {
                items[index].claimNameIsKept = isKeptAfterFiling(
                    DropSource(relativePath: source.relativePath, claimed: true))
            }
            if isKeptAfterFiling(source) {
                items[index].prepared = .skipped(
                    "filed already; kept where it is, as it could not be removed")
                continue
            }
            do throws(FilingError) {
                items[index].backend = try backend(for: items[index].source.directory)
            } catch {
                items[index].prepared = Self.prepared(for: error, kind: items[index].kind)
            }
        }
        var clock = DispatchTime.now().uptimeNanoseconds
        func lap() -> UInt64 {
            let now = DispatchTime.now().uptimeNanoseconds
            defer { clock = now }
            return now - clock
        }
        prepareInParallel(&items)
        lastBatch.prepareNanoseconds = lap()
        var outcomes = writeInOrder(items)
        lastBatch.writeNanoseconds = lap()
        finish(items, &outcomes)
        for index in items.indices { returnUnfiled(&items[index], &outcomes[index]) }
        lastBatch.finishNanoseconds = lap()
        return Array(zip(items.map(\.source), outcomes))
    }

    /// Gives a claimed file that is not filed now — its output could not be written, or a writer
    /// opened it before the claim — its dropped name back, so that it waits where its writer and
    /// its user see it (and its writer's close raises an event there). It stays claimed when a new
    /// file has taken the name meanwhile.
    private func returnUnfiled(_ item: inout Item, _ outcome: inout FilingOutcome) {
        guard item.source.claimed, case .success(let claimFolder) = item.claimFolder,
            case .success(let folder) = item.folder
        else { return }
        switch outcome {
        case .retry, .deferred(.writerOpenAfterClaim): break
        default: return
        }
        do {
            guard try claimFolder.moveEntryUnlessTaken(item.name, into: folder) else { return }
        } catch {
            logger.debug(
                "cannot give a claimed file its name back; it waits claimed",
                metadata: ["file": "\(item.source)", "error": "\(LogText.escaped(error.description))"])
            return
        }
        item.source.claimed = false
        returnedNames.append(item.source.relativePath)
        if case .deferred = outcome { outcome = .deferred(.writerOpen) }
    }

    /// The dropped paths `returnUnfiled` gave back since the last call: each rename raised an
    /// event of the agent's own making.
    func takeReturnedNames() -> [String] {
        defer { returnedNames = [] }
        return returnedNames
    }

    /// Where the last batch's time went, for the pipeline's log.
    struct BatchPhases {
        /// Reading and decoding every file, and writing images (in parallel).
        var prepareNanoseconds: UInt64 = 0
        /// Configs, the scalar journal's intent and the scalar appends (in drop order).
        var writeNanoseconds: UInt64 = 0
        /// Flushing the outputs, and removing the sources.
        var finishNanoseconds: UInt64 = 0
    }

    /// The phases of the last call of `file(_:)`.
    var lastBatch = BatchPhases()

    /// Opens `relativeDirectory` beneath the drop folder, following no link on the way, and its
    /// claim folder (made when missing).
    private func openFolders(_ relativeDirectory: String) -> (
        Result<Directory, FileSystemError>, Result<Directory, FileSystemError>
    ) {
        let folder = Result { () throws(FileSystemError) in
            try Directory.open(relativeDirectory, beneath: options.dropDirectory, creating: false)
        }
        let claimFolder = folder.flatMap { folder in
            Result { () throws(FileSystemError) in
                try folder.openSubdirectory(DropSource.claimFolderName, creating: true)
            }
        }
        return (folder, claimFolder)
    }

    // MARK: - Phase 1: read, decode, and write images (parallel)

    /// One file of the batch as it moves through the phases.
    struct Item: Sendable {
        var request: FilingRequest
        var kind: DropKind
        var backend: LocalVisBackend?
        /// The drop folder holding the file, opened for the batch (or why it could not be).
        var folder: Result<Directory, FileSystemError>
        /// The drop folder's claim folder.
        var claimFolder: Result<Directory, FileSystemError>
        var prepared: Prepared?
        /// Where the file is now: phase 1 claims it.
        var source: DropSource
        /// The file's identity as read.
        var identity: FileSystem.FileIdentity?
        /// A writer could have added to the file after it was read (see `FilePreparation.Outcome`).
        var checkBeforeRemoval = false
        /// The claim folder holds a filed source of this name for good (it could not be removed):
        /// this file is filed in its drop folder instead of waiting for it.
        var claimNameIsKept = false

        init(
            request: FilingRequest, kind: DropKind, folder: Result<Directory, FileSystemError>,
            claimFolder: Result<Directory, FileSystemError>
        ) {
            self.request = request
            self.kind = kind
            self.folder = folder
            self.claimFolder = claimFolder
            self.source = request.source
        }

        /// The file's name within its folder.
        var name: String { source.name }

        /// The folder the file is in now.
        var currentFolder: Result<Directory, FileSystemError> { source.claimed ? claimFolder : folder }

        /// The size of the source as read, once prepared.
        var sourceBytes: Int { identity?.size ?? 0 }
    }

    /// What phase 1 made of a file.
    enum Prepared: Sendable {
        /// Nothing to do: gone already, or work in progress.
        case skipped(String)
        /// To be set aside with this reason.
        case reject(String)
        /// The output could not be written; keep the source and retry.
        case retry(FileSystemError)
        /// Not taken yet (see `FilingOutcome.Deferral`).
        case deferred(FilingOutcome.Deferral)
        /// The PNG is written, at this path.
        case image(path: String)
        /// A config's bytes, written in phase 2 in drop order.
        case config(bytes: [UInt8], identity: FileSystem.FileIdentity)
        /// Scalar lines, appended in phase 2.
        case scalars(appends: [LocalVisBackend.ScalarAppend], records: Int, identity: FileSystem.FileIdentity)
    }

    private func prepareInParallel(_ items: inout [Item]) {
        // Work in progress has no backend and is never read; a failed backend set `prepared`.
        let pending = items.indices.compactMap { index in
            items[index].prepared == nil ? items[index].backend.map { (index, $0) } : nil
        }
        for index in items.indices where items[index].prepared == nil && items[index].backend == nil {
            items[index].prepared = .skipped("work in progress")
        }
        guard !pending.isEmpty else { return }
        let shared = Mutex(items)
        let preparation = self.preparation
        Self.forEachIndexInParallel(pending.count, threads: workerThreads) { position in
            let (index, backend) = pending[position]
            let item = shared.withLock { $0[index] }
            let outcome = preparation.prepare(item, backend: backend)
            shared.withLock { items in
                items[index].prepared = outcome.prepared
                if let source = outcome.source { items[index].source = source }
                items[index].identity = outcome.identity
                items[index].checkBeforeRemoval = outcome.checkBeforeRemoval
            }
        }
        items = shared.withLock { $0 }
    }

    /// Calls `body` once with every index in `0..<count`, on up to `threads` threads at once
    /// (the calling thread among them); returns when all calls are done.
    static func forEachIndexInParallel(_ count: Int, threads: Int, _ body: @Sendable (Int) -> Void) {
        guard count > 0 else { return }
        // One file (a lone drop) or one thread: here, without waking a worker (and without
        // libdispatch reading /sys/devices/system/cpu/online for every apply).
        if count == 1 || threads <= 1 {
            for position in 0..<count { body(position) }
            return
        }
        let next = Atomic(0)
        DispatchQueue.concurrentPerform(iterations: min(max(threads, 1), count)) { _ in
            while true {
                let position = next.add(1, ordering: .relaxed).oldValue
                guard position < count else { return }
                body(position)
            }
        }
    }

    static func prepared(for error: FilingError, kind: DropKind) -> Prepared {
        switch error {
        case .fileSystem(let failure) where failure.isTransient: return .retry(failure)
        default: return .reject(error.description)
        }
    }

    // MARK: - Phase 2: configs and scalar lines, in drop order

    /// Writes configs, appends all scalar lines (journaled) and sets rejected files aside.
    private func writeInOrder(_ items: [Item]) -> [FilingOutcome] {
        var outcomes: [FilingOutcome] = []
        outcomes.reserveCapacity(items.count)
        // The lines for each target file, in the order the targets first occur; a burst appends to
        // the same target file after file, so the last one is tried before the lookup.
        var targetOrder: [String] = []
        var targetLines: [[UInt8]] = []
        var targetIndex: [String: Int] = [:]
        var sources: [ScalarJournal.Source] = []
        for item in items {
            switch item.prepared {
            case .none: outcomes.append(.skipped(reason: "not prepared"))
            case .skipped(let reason): outcomes.append(.skipped(reason: reason))
            case .reject(let reason):
                outcomes.append(reject(item.source, kind: item.kind, reason: reason))
            case .retry(let error): outcomes.append(.retry(error))
            case .deferred(let deferral): outcomes.append(.deferred(deferral))
            case .image(let path): outcomes.append(.filed(kind: item.kind, outputs: [path], records: 0))
            case .config(let bytes, _):
                outcomes.append(writeConfig(bytes, item: item))
            case .scalars(let appends, let records, let identity):
                for planned in appends {
                    let index: Int
                    if let last = targetOrder.indices.last, targetOrder[last] == planned.path {
                        index = last
                    } else if let known = targetIndex[planned.path] {
                        index = known
                    } else {
                        index = targetOrder.count
                        targetIndex[planned.path] = index
                        targetOrder.append(planned.path)
                        targetLines.append([])
                    }
                    targetLines[index] += planned.bytes
                }
                sources.append(
                    .init(path: Path.join(options.dropDirectory, item.source.currentPath), identity: identity)
                )
                outcomes.append(.filed(kind: item.kind, outputs: appends.map(\.path), records: records))
            }
        }
        guard !sources.isEmpty else { return outcomes }
        // Each target is opened once: its length now goes into the journal, the batch's lines
        // are written through it, and `finish` flushes it.
        var files: [AppendableFile] = []
        var intent = ScalarJournal.Intent(sources: sources, targets: [])
        do {
            for target in targetOrder {
                let file = try AppendableFile(path: target)
                files.append(file)
                intent.targets.append(.init(path: target, length: file.lengthWhenOpened))
            }
            try journal.begin(intent)
            for (file, lines) in zip(files, targetLines) { try file.append(lines, durable: false) }
        } catch {
            undoScalars(intent, &outcomes, items, because: error)
            return outcomes
        }
        pendingIntent = intent
        pendingTargets = Dictionary(files.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        return outcomes
    }

    /// The batch's journal intent between phase 2 and the end of phase 3.
    var pendingIntent: ScalarJournal.Intent? {
        // Its targets' descriptors go with it.
        didSet { if pendingIntent == nil { pendingTargets = [:] } }
    }
    /// The scalar files the batch appended to, open until `finish` has flushed them.
    var pendingTargets: [String: AppendableFile] = [:]

    private func writeConfig(_ bytes: [UInt8], item: Item) -> FilingOutcome {
        guard let backend = item.backend, case .config(let format) = item.kind else {
            return .skipped(reason: "not a config")
        }
        do throws(FilingError) {
            switch format {
            case .python:
                try FilePreparation.backendCall { () throws(LocalVisBackendError) in
                    try backend.addConfig(pythonSource: bytes)
                }
            case .json, .yaml:
                let config = try preparation.configObject(bytes, format: format)
                try FilePreparation.backendCall { () throws(LocalVisBackendError) in
                    try backend.addConfig(config)
                }
            }
        } catch {
            switch Self.prepared(for: error, kind: item.kind) {
            case .retry(let failure): return .retry(failure)
            default: return reject(item.source, kind: item.kind, reason: error.description)
            }
        }
        return .filed(
            kind: item.kind, outputs: [Path.join(backend.saveDirectory ?? "", backend.configSaveFile)],
            records: 0)
    }

    /// Turns every scalar outcome of the batch into a retry after the appends were cut back.
    func undoScalars(
        _ intent: ScalarJournal.Intent, _ outcomes: inout [FilingOutcome], _ items: [Item],
        because error: FileSystemError
    ) {
        do { try journal.rollBack(intent) } catch {
            logger.error(
                "could not cut back a failed append; the next start will",
                metadata: ["error": "\(LogText.escaped(error.description))"])
        }
        for (index, item) in items.enumerated() {
            if case .scalars = item.prepared, case .filed = outcomes[index] {
                outcomes[index] = .retry(error)
            }
        }
        pendingIntent = nil
    }
}
