import Dispatch
import Logging
import Synchronization
import VisdropFileSystem

/// Looks at the parts of the drop tree inotify cannot see, and now and then at all of it.
///
/// Two jobs, on one dedicated thread that sleeps between them:
/// - **Polling** the folders handed to it (`poll(_:because:)`): folders on network, cluster and
///   FUSE file systems, where writes from elsewhere raise no inotify event, and folders inotify
///   had no watch left for. Every `poll-interval` it lists the folders whose change stamp moved
///   (and those holding files it is settling; every `fullPassEvery` polls, all of them), and
///   reports a file as `.settled` once its stamp (device, inode, size, mtime and ctime) stayed
///   the same over two polls and the settle time. Whether it is complete for its kind is for the
///   filer to tell.
/// - **Rescanning** the whole tree every `rescan-interval` and on `rescanNow()` (`SIGHUP`), so
///   that files no event named (a write through another mount namespace, a lost event) are filed
///   too, as found by a scan.
final class DropPoller: Sendable {
    /// Every this many polls, every polled folder is listed, changed stamp or not (a network file
    /// system's attribute cache can hide a folder's change).
    static let fullPassEvery = 30

    /// A folder handed to the poller, and what its files' leases are worth.
    struct PolledFolder: Sendable, Equatable {
        /// Why it is polled, for the log.
        var reason: String
        /// False on network, cluster and FUSE file systems: a lease granted there says nothing of
        /// writers elsewhere.
        var leaseIsEvidence: Bool
    }

    private struct Shared {
        var folders: [String: PolledFolder] = [:]
        var rescanRequested = false
        var stopped = false
    }

    private let root: String
    private let queue: EventQueue
    private let logger: Logger
    private let pollIntervalNanoseconds: UInt64
    private let rescanIntervalNanoseconds: UInt64?
    private let settleNanoseconds: Int64
    private let shared = Mutex(Shared())
    private let wake = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)

    init(root: String, options: AgentOptions, queue: EventQueue, logger: Logger) {
        self.root = root
        self.queue = queue
        self.logger = logger
        self.pollIntervalNanoseconds = UInt64(options.pollIntervalMilliseconds) * 1_000_000
        self.rescanIntervalNanoseconds =
            options.rescanIntervalMilliseconds > 0
            ? UInt64(options.rescanIntervalMilliseconds) * 1_000_000 : nil
        self.settleNanoseconds = Int64(options.settleMilliseconds) * 1_000_000
    }

    /// Polls `relativeDirectory` and everything below it from now on.
    func poll(_ relativeDirectory: String, because folder: PolledFolder) {
        let added = shared.withLock { shared in
            // A folder below one polled already is polled with it.
            if shared.folders.keys.contains(where: { Self.contains($0, relativeDirectory) }) { return false }
            shared.folders = shared.folders.filter { !Self.contains(relativeDirectory, $0.key) }
            shared.folders[relativeDirectory] = folder
            return true
        }
        if added { wake.signal() }
    }

    /// The folders polled now, by path relative to the drop folder.
    var polledFolders: [String: PolledFolder] { shared.withLock { $0.folders } }

    /// Asks for a rescan of the whole tree as soon as possible (`SIGHUP`).
    func rescanNow() {
        shared.withLock { $0.rescanRequested = true }
        wake.signal()
    }

    /// Starts the poller's thread.
    func start() throws(DedicatedThread.StartError) {
        running.store(true, ordering: .sequentiallyConsistent)
        try DedicatedThread.start("poller") { [self] in
            var state = PollState()
            run(&state)
            finished.signal()
        }
    }

    /// Stops the thread and waits until it has.
    func stop() {
        guard running.load(ordering: .sequentiallyConsistent) else { return }
        shared.withLock { $0.stopped = true }
        wake.signal()
        finished.wait()
    }

    /// What the poller's thread keeps from one look to the next.
    private struct PollState {
        /// Each listed folder's own change stamp, and its visible subfolders.
        var folders: [String: (stamp: [Int64], subfolders: [String])] = [:]
        /// Files seen and not filed yet.
        var files: [String: TrackedFile] = [:]
        var polls = 0
    }

    /// A file seen by a poll, until it leaves its folder.
    private struct TrackedFile {
        var stamp: [Int64]
        /// When the poller first saw the file (wall clock), which the settle timeout counts from.
        var firstSeen: Int64
        /// When the stamp was first seen as it is now.
        var stableSince: Int64
        /// Polls since then that saw the same stamp.
        var stablePolls = 0
        /// Reported as settled with this stamp.
        var reported = false
        var folder: String
    }

    private func run(_ state: inout PollState) {
        let start = DispatchTime.now().uptimeNanoseconds
        var nextRescan = rescanIntervalNanoseconds.map { start + $0 }
        var nextPoll = start
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            let (folders, rescan, stopped) = shared.withLock { shared in
                defer { shared.rescanRequested = false }
                return (shared.folders, shared.rescanRequested, shared.stopped)
            }
            if stopped { return }
            if rescan || nextRescan.map({ now >= $0 }) == true {
                rescanTree(skipping: Set(folders.keys))
                nextRescan = rescanIntervalNanoseconds.map { DispatchTime.now().uptimeNanoseconds + $0 }
            }
            if !folders.isEmpty, now >= nextPoll {
                pollOnce(folders, &state)
                nextPoll = DispatchTime.now().uptimeNanoseconds + pollIntervalNanoseconds
            }
            var wakeAt = nextRescan ?? UInt64.max
            if !folders.isEmpty { wakeAt = min(wakeAt, nextPoll) }
            if wakeAt == UInt64.max {
                wake.wait()
            } else {
                _ = wake.wait(timeout: DispatchTime(uptimeNanoseconds: wakeAt))
            }
        }
    }

    /// One look at every polled folder: settled files go to the queue, oldest first.
    private func pollOnce(_ folders: [String: PolledFolder], _ state: inout PollState) {
        state.polls += 1
        defer { AgentMetrics.foldersPolled(state.folders.count) }
        let fullPass = state.polls % Self.fullPassEvery == 1
        let now = FilePreparation.wallClockNanoseconds()
        let foldersWithFiles = Set(state.files.values.map(\.folder))
        var settled: [(path: String, modificationTime: Int64, firstSeen: Int64, leaseIsEvidence: Bool)] = []
        for (top, polled) in folders {
            var pending = [top]
            while let folder = pending.popLast() {
                guard let stamp = FileSystem.identity(at: Path.join(root, folder)) else {
                    forget(folder, &state)
                    continue
                }
                let folderStamp = [
                    Int64(bitPattern: stamp.device), Int64(bitPattern: stamp.inode), stamp.modificationTime,
                ]
                if !fullPass, let known = state.folders[folder], known.stamp == folderStamp,
                    !foldersWithFiles.contains(folder)
                {
                    pending += known.subfolders
                    continue
                }
                let entries: [FileSystem.DirectoryEntry]
                do {
                    entries = try FileSystem.listDirectory(Path.join(root, folder))
                } catch {
                    logger.debug(
                        "cannot list a polled folder; looking again at the next poll",
                        metadata: ["folder": "\(LogText.escaped(folder))", "error": "\(error)"])
                    continue
                }
                var subfolders: [String] = []
                var present = Set<String>()
                for entry in entries where !DropClassifier.isHidden(entry.name) {
                    let path = Path.join(folder, entry.name)
                    if entry.type == .directory {
                        subfolders.append(path)
                        continue
                    }
                    if DropClassifier.isWorkInProgress(entry.name) { continue }
                    present.insert(path)
                    if observe(path, in: folder, entry.changeStamp, now: now, &state),
                        let file = state.files[path]
                    {
                        settled.append((path, entry.modificationTime, file.firstSeen, polled.leaseIsEvidence))
                    }
                }
                for (path, file) in state.files where file.folder == folder && !present.contains(path) {
                    state.files[path] = nil
                }
                let gone = Set(state.folders[folder]?.subfolders ?? []).subtracting(subfolders)
                for subfolder in gone { forget(subfolder, &state) }
                state.folders[folder] = (folderStamp, subfolders)
                pending += subfolders
            }
        }
        guard !settled.isEmpty else { return }
        var order = settled.map { (path: $0.path, modificationTime: $0.modificationTime) }
        ScanOrder.sort(&order)
        let byPath = Dictionary(settled.map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        for entry in order {
            guard let file = byPath[entry.path] else { continue }
            queue.push(
                .settled(
                    DropSource(relativePath: entry.path, claimed: false),
                    PolledFile(firstSeen: file.firstSeen, leaseIsEvidence: file.leaseIsEvidence)))
        }
    }

    /// Notes a file's stamp; true when it has just settled (the same stamp over two polls and the
    /// settle time).
    private func observe(
        _ path: String, in folder: String, _ stamp: [Int64], now: Int64, _ state: inout PollState
    ) -> Bool {
        guard var file = state.files[path] else {
            state.files[path] = TrackedFile(stamp: stamp, firstSeen: now, stableSince: now, folder: folder)
            return false
        }
        if file.stamp == stamp {
            file.stablePolls += 1
        } else {
            file.stamp = stamp
            file.stableSince = now
            file.stablePolls = 0
            file.reported = false
        }
        let settled = !file.reported && file.stablePolls >= 2 && now - file.stableSince >= settleNanoseconds
        if settled { file.reported = true }
        state.files[path] = file
        return settled
    }

    /// Drops what is known of `folder` and everything below it (it is gone).
    private func forget(_ folder: String, _ state: inout PollState) {
        state.folders = state.folders.filter { !Self.contains(folder, $0.key) }
        state.files = state.files.filter { !Self.contains(folder, $0.value.folder) }
    }

    /// A full scan of the tree but the polled folders (which their polls cover): every file in
    /// it goes to the pipeline as found, which files what no event named.
    private func rescanTree(skipping polled: Set<String>) {
        let start = DispatchTime.now().uptimeNanoseconds
        var found: [DropScan.Found] = []
        var folders = 0
        var pending = [""]
        while let folder = pending.popLast() {
            if polled.contains(where: { Self.contains($0, folder) }) { continue }
            guard let listing = try? DropScan.list(folder, in: root) else { continue }
            folders += 1
            pending += listing.directories
            found += listing.files.filter { !$0.source.claimed }
        }
        for file in found { queue.push(.found(file.source, modificationTime: file.modificationTime)) }
        let elapsed = FilingStatistics.milliseconds(nanoseconds: DispatchTime.now().uptimeNanoseconds - start)
        let metadata: Logger.Metadata = [
            "folders": "\(folders)", "files": "\(found.count)", "took": "\(elapsed)",
        ]
        if found.isEmpty {
            logger.debug("rescan: nothing left to file", metadata: metadata)
        } else {
            logger.info("rescan: files no event named are filed as found by the scan", metadata: metadata)
        }
    }

    /// Whether `path` is `folder` or below it (paths relative to the drop folder, "" its root).
    static func contains(_ folder: String, _ path: String) -> Bool {
        folder.isEmpty || path == folder || path.hasPrefix(folder + "/")
    }
}

/// What the poller knows of a file it reports as settled.
struct PolledFile: Sendable, Equatable, Hashable {
    /// When the poller first saw it (wall clock, nanoseconds): the settle timeout counts from here.
    var firstSeen: Int64
    /// False on network, cluster and FUSE file systems (see `DropPoller.PolledFolder`).
    var leaseIsEvidence: Bool
}
