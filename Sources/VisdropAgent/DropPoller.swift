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
///   reports a file as `.settled` once two polls at least the settle time apart saw the same
///   stamp (device, inode, size, mtime and ctime). Whether it is complete for its kind is for the
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

    /// A file system under the tree that inotify cannot see, found by a rescan (mounted after the
    /// agent started): `auto` mode polls it.
    private let pollsBlindMounts: Bool

    private let root: String
    private let queue: EventQueue
    private let logger: Logger
    private let pollIntervalNanoseconds: UInt64
    private let rescanIntervalNanoseconds: UInt64?
    private let settleNanoseconds: Int64
    private let settleTimeoutNanoseconds: Int64
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
        self.settleNanoseconds = options.settleNanoseconds
        self.settleTimeoutNanoseconds = options.settleTimeoutNanoseconds
        self.pollsBlindMounts = options.watchMode == .auto
    }

    /// Polls `relativeDirectory` and everything below it from now on; false when it was polled
    /// already (it, or a folder above it).
    @discardableResult
    func poll(_ relativeDirectory: String, because folder: PolledFolder) -> Bool {
        let (added, first) = shared.withLock { shared in
            // A folder below one polled already is polled with it (its ancestors are looked up,
            // not every folder: a host may hand over thousands).
            if Self.ancestors(of: relativeDirectory).contains(where: { shared.folders[$0] != nil }) {
                return (false, false)
            }
            shared.folders[relativeDirectory] = folder
            return (true, shared.folders.count == 1)
        }
        // The first folder starts the polls; later ones are in the next poll.
        if first { wake.signal() }
        return added
    }

    /// `path` and each folder above it, up to the drop folder ("").
    static func ancestors(of path: String) -> [String] {
        var result = [path]
        var current = Substring(path)
        while let slash = current.lastIndex(of: "/") {
            current = current[..<slash]
            result.append(String(current))
        }
        if !path.isEmpty { result.append("") }
        return result
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
        try DedicatedThread.start("poller") { [self] in
            var state = PollState()
            run(&state)
            finished.signal()
        }
        running.store(true, ordering: .sequentiallyConsistent)
    }

    /// Stops the thread and waits until it has (once; later calls return at once).
    func stop() {
        guard running.exchange(false, ordering: .sequentiallyConsistent) else { return }
        shared.withLock { $0.stopped = true }
        wake.signal()
        finished.wait()
    }

    /// What the poller's thread keeps from one look to the next.
    private struct PollState {
        /// Each listed folder's own change stamp, and its visible subfolders.
        var folders: [String: (stamp: [Int64], subfolders: [String])] = [:]
        /// Files seen and not filed yet, by folder, then by path.
        var files: [String: [String: TrackedFile]] = [:]
        var polls = 0
    }

    /// A file seen by a poll, until it leaves its folder.
    private struct TrackedFile {
        var stamp: [Int64]
        /// When the stamp was first seen as it is now (wall clock): the settle timeout counts from here.
        var stableSince: Int64
        /// Polls since then that saw the same stamp.
        var stablePolls = 0
        /// Reported as settled with this stamp.
        var reported = false
        /// Reported again with this stamp, its settle timeout passed.
        var reportedTimedOut = false
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
            // A rescan asked for covers the polled folders too: a full pass, now.
            if !folders.isEmpty, now >= nextPoll || rescan {
                pollOnce(folders, fullPass: rescan, &state)
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
    private func pollOnce(_ folders: [String: PolledFolder], fullPass asked: Bool, _ state: inout PollState) {
        state.polls += 1
        defer { AgentMetrics.foldersPolled(state.folders.count) }
        let fullPass = asked || state.polls % Self.fullPassEvery == 1
        let now = FilePreparation.wallClockNanoseconds()
        var settled: [(path: String, modificationTime: Int64, polled: PolledFile)] = []
        // A folder handed over below one handed over before is polled with it, once.
        for (top, polled) in folders
        where !Self.ancestors(of: top).dropFirst().contains(where: { folders[$0] != nil }) {
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
                    state.files[folder]?.isEmpty ?? true
                {
                    pending += known.subfolders
                    continue
                }
                let entries: [FileSystem.DirectoryEntry]
                do {
                    // Hidden entries and work-in-progress files are never taken: not even statted.
                    entries = try FileSystem.listDirectory(Path.join(root, folder)) { name, type in
                        DropClassifier.isHidden(name)
                            || (type != .directory && DropClassifier.isWorkInProgress(name))
                    }
                } catch {
                    logger.debug(
                        "cannot list a polled folder; looking again at the next poll",
                        metadata: ["folder": "\(LogText.escaped(folder))", "error": "\(error)"])
                    continue
                }
                var subfolders: [String] = []
                var files: [String: TrackedFile] = [:]
                let known = state.files[folder] ?? [:]
                for entry in entries where !DropClassifier.isHidden(entry.name) {
                    let path = Path.join(folder, entry.name)
                    if entry.type == .directory {
                        subfolders.append(path)
                        continue
                    }
                    if DropClassifier.isWorkInProgress(entry.name) { continue }
                    let (file, justSettled) = observe(known[path], entry.changeStamp, now: now)
                    files[path] = file
                    if justSettled {
                        let seen = PolledFile(
                            unchangedSince: file.stableSince, size: entry.size,
                            modificationTime: entry.modificationTime, leaseIsEvidence: polled.leaseIsEvidence)
                        settled.append((path, entry.modificationTime, seen))
                    }
                }
                // Files no longer listed are gone (filed, or moved away): forgotten with the old table.
                state.files[folder] = files.isEmpty ? nil : files
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
            queue.push(.settled(DropSource(relativePath: entry.path, claimed: false), file.polled))
        }
    }

    /// A file's record after a look that saw `stamp`, and whether it is to be reported: it has just
    /// settled (the same stamp at two polls at least the settle time apart), or it has stayed as it
    /// settled for the settle timeout (a file still incomplete then is set aside; one that changes
    /// meanwhile is never set aside for the timeout, however long its writer takes).
    private func observe(_ known: TrackedFile?, _ stamp: [Int64], now: Int64) -> (TrackedFile, Bool) {
        guard var file = known else {
            return (TrackedFile(stamp: stamp, stableSince: now), false)
        }
        if file.stamp == stamp {
            file.stablePolls += 1
        } else {
            file.stamp = stamp
            file.stableSince = now
            file.stablePolls = 0
            file.reported = false
            file.reportedTimedOut = false
        }
        let unchangedFor = now - file.stableSince
        if !file.reported {
            // Two looks that saw the same stamp, at least the settle time apart.
            file.reported = file.stablePolls >= 1 && unchangedFor >= settleNanoseconds
            return (file, file.reported)
        }
        if !file.reportedTimedOut, unchangedFor >= settleTimeoutNanoseconds {
            file.reportedTimedOut = true
            return (file, true)
        }
        return (file, false)
    }

    /// Drops what is known of `folder` and everything below it (it is gone).
    private func forget(_ folder: String, _ state: inout PollState) {
        state.folders = state.folders.filter { !Self.contains(folder, $0.key) }
        state.files = state.files.filter { !Self.contains(folder, $0.key) }
    }

    /// A full scan of the tree but the polled folders (which their polls cover): every file in
    /// it goes to the pipeline as found, which files what no event named.
    private func rescanTree(skipping polled: Set<String>) {
        let start = DispatchTime.now().uptimeNanoseconds
        var found: [DropScan.Found] = []
        var folders = 0
        var pending: [(folder: String, parentDevice: UInt64?)] = [("", nil)]
        while let (folder, parentDevice) = pending.popLast() {
            if Self.ancestors(of: folder).contains(where: polled.contains) { continue }
            let device = FileSystem.identity(at: Path.join(root, folder))?.device
            if device != parentDevice, pollIfBlind(folder, foundBy: "a rescan") { continue }
            guard let listing = try? DropScan.list(folder, in: root) else { continue }
            folders += 1
            pending += listing.directories.map { ($0, device) }
            // Work-in-progress names are never taken: not worth an event each.
            found += listing.files.filter {
                !$0.source.claimed && !DropClassifier.isWorkInProgress($0.source.name)
            }
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

    /// In `auto` mode, hands `folder` to the polls when it is on a file system inotify cannot see:
    /// its files are then taken as polled files, never on the word of a lease. True when it is.
    /// The watcher asks the same of each folder it meets on another device than its parent's;
    /// `foundBy` names what found a mount made after the start. A folder polled already is not
    /// logged again (an overflow's rescan meets them all).
    func pollIfBlind(_ folder: String, foundBy: String?) -> Bool {
        let absolute = Path.join(root, folder)
        guard pollsBlindMounts, let type = try? FileSystemType.of(absolute), !type.isSeenByInotify else {
            return false
        }
        let reason = "\(type.name) is a network, cluster or FUSE file system"
        if poll(folder, because: .init(reason: reason, leaseIsEvidence: false)) {
            logger.info(
                "\("polling a folder inotify cannot see" + (foundBy.map { " (found by \($0))" } ?? ""))",
                metadata: [
                    "folder": "\(LogText.escaped(absolute))", "file-system": "\(type.name)",
                    "why":
                        "\(reason): writes from other machines (or behind a FUSE mount) raise no inotify event",
                ])
        }
        return true
    }

    /// Whether `path` is `folder` or below it (paths relative to the drop folder, "" its root).
    static func contains(_ folder: String, _ path: String) -> Bool {
        folder.isEmpty || path == folder || path.hasPrefix(folder + "/")
    }
}

/// What the poller knows of a file it reports as settled.
struct PolledFile: Sendable, Equatable, Hashable {
    /// Since when the poller has seen it unchanged (wall clock, nanoseconds): the settle timeout
    /// counts from here.
    var unchangedSince: Int64
    /// The size and modification time it settled with: a file read otherwise has changed since.
    var size: Int
    var modificationTime: Int64
    /// False on network, cluster and FUSE file systems (see `DropPoller.PolledFolder`).
    var leaseIsEvidence: Bool
}
