internal import CInotifyTools
import Dispatch
import Logging
import Synchronization
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Watches a drop tree with inotify on a dedicated thread and reports complete files.
///
/// libinotifytools keeps global state, so one thread owns it from `inotifytools_initialize`
/// to `inotifytools_cleanup`; nothing else calls it. The thread blocks in the kernel (no
/// polling); for shutdown it is sent `SIGURG`, whose handler does nothing but interrupt the
/// blocking read (`EINTR`), so that the thread sees the stop request — no file in the user's
/// folders exists only to wake it. New directories are watched at once and then scanned, so
/// files written into them before the watch existed are reported too. When reading events
/// fails for good, the watcher says why (`failure`) and ends the event stream.
final class DropWatcher: Sendable {
    /// Why the watcher could not start, or stopped.
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    private let root: String
    private let logger: Logger
    /// Takes the folders inotify cannot see (network, cluster and FUSE file systems in `auto`
    /// mode) or has no watch left for.
    private let poller: DropPoller
    /// Folders handed to the poller for want of a watch; the first is logged as a warning.
    private let foldersWithoutWatch = Atomic<Int>(0)
    private let stopRequested = Atomic<Bool>(false)
    private let queue: EventQueue
    /// Filled by the watcher thread once its first watches exist (or it failed to start).
    private let startup = Mutex<Result<Void, StartError>>(.success(()))
    private let started = DispatchSemaphore(value: 0)
    /// Signalled when the watcher thread has left its loop.
    private let finished = DispatchSemaphore(value: 0)
    /// The watcher thread, for the wake-up signal.
    private let thread = Mutex<pthread_t?>(nil)
    /// Why reading events stopped, when it failed.
    private let failed = Mutex<StartError?>(nil)
    /// Test hook: after this many events, reading is treated as failed (`VISDROP_TEST_WATCHER_FAILS_AFTER`).
    private let failsAfterEvents: Int? = getenv("VISDROP_TEST_WATCHER_FAILS_AFTER").flatMap {
        Int(String(cString: $0))
    }

    private static let directoryMask: Int32 = Int32(
        bitPattern: UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_ONLYDIR)
            | UInt32(IN_DONT_FOLLOW))

    /// The signal that interrupts the watcher thread's read; its default action is to ignore it,
    /// so a stray one harms nothing.
    private static let wakeSignal = SIGURG

    /// Creates a watcher for `root`.
    init(root: String, poller: DropPoller, queue: EventQueue, logger: Logger) {
        self.root = root
        self.poller = poller
        self.queue = queue
        self.logger = logger
    }

    /// Why the watcher stopped reading events on its own, if it did.
    var failure: StartError? { failed.withLock { $0 } }

    /// Starts the watcher thread and waits until the whole tree is watched.
    func start() throws(StartError) {
        _ = Self.installWakeHandler
        do {
            try DedicatedThread.start("watcher") { [self] in
                // Threads inherit the mask of the thread that made them, and Swift's pool threads
                // block every signal: let the wake-up signal through on this one.
                var wake = sigset_t()
                sigemptyset(&wake)
                sigaddset(&wake, Self.wakeSignal)
                pthread_sigmask(SIG_UNBLOCK, &wake, nil)
                thread.withLock { $0 = pthread_self() }
                self.run()
                finished.signal()
            }
        } catch {
            throw StartError(description: error.description)
        }
        started.wait()
        try startup.withLock { $0 }.get()
    }

    /// Asks the watcher thread to stop and waits until it has.
    func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        // The signal may come just before the thread blocks in its read: send it until the thread is out.
        repeat {
            if let thread = thread.withLock({ $0 }) { pthread_kill(thread, Self.wakeSignal) }
        } while finished.wait(timeout: .now() + .milliseconds(50)) == .timedOut
    }

    /// A handler that does nothing, installed without `SA_RESTART`: the signal interrupts a
    /// blocking read instead of being ignored.
    private static let installWakeHandler: Void = {
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in }
        sigemptyset(&action.sa_mask)
        action.sa_flags = 0
        sigaction(wakeSignal, &action, nil)
    }()

    /// Records why reading stopped and ends the event stream: the agent stops, saying why.
    private func fail(_ reason: String) {
        logger.error("the watcher stopped; the agent stops too", metadata: ["error": "\(reason)"])
        failed.withLock { $0 = StartError(description: reason) }
        queue.stop()
    }

    private func failStartup(_ failure: StartError) {
        startup.withLock { $0 = .failure(failure) }
        started.signal()
    }

    private func run() {
        guard inotifytools_initialize() != 0 else {
            failStartup(StartError(description: "inotify could not be initialised: \(Self.errorText())"))
            return
        }
        defer { inotifytools_cleanup() }
        if let failure = watchTree("", reportFiles: false) {
            failStartup(failure)
            return
        }
        started.signal()
        logger.debug(
            "watching", metadata: ["root": "\(root)", "watches": "\(inotifytools_get_num_watches())"])

        var events = 0
        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            guard let event = inotifytools_next_event(-1) else {
                let code = inotifytools_error()
                if code == EINTR || code == 0 { continue }
                fail("reading inotify events failed: \(Self.errorText())")
                return
            }
            handle(event)
            events += 1
            if let failsAfterEvents, events >= failsAfterEvents {
                fail(
                    "reading inotify events failed: test hook VISDROP_TEST_WATCHER_FAILS_AFTER=\(failsAfterEvents)"
                )
                return
            }
        }
    }

    private func handle(_ event: UnsafeMutablePointer<inotify_event>) {
        let mask = event.pointee.mask
        if mask & UInt32(IN_Q_OVERFLOW) != 0 {
            logger.warning("the inotify queue overflowed; rescanning the drop folder")
            queue.push(.overflow)
            _ = watchTree("", reportFiles: true)
            return
        }
        guard let watchedCString = inotifytools_filename_from_wd(event.pointee.wd) else { return }
        let watched = String(cString: watchedCString)
        let name = String(cString: visdrop_inotify_event_name(event))
        if name.isEmpty { return }
        guard let relativeDirectory = relative(watched) else { return }
        let relativePath = Path.join(relativeDirectory, name)
        if mask & UInt32(IN_ISDIR) != 0 {
            if mask & (UInt32(IN_CREATE) | UInt32(IN_MOVED_TO)) != 0, !DropClassifier.isHidden(name) {
                _ = watchTree(relativePath, reportFiles: true)
            }
            return
        }
        // Work in progress (the temporary names of writers that rename) is never a candidate.
        if DropClassifier.isWorkInProgress(name) { return }
        if mask & UInt32(IN_MOVED_TO) != 0 {
            queue.push(.completed(relativePath: relativePath))
        } else if mask & UInt32(IN_CLOSE_WRITE) != 0 {
            queue.push(.written(relativePath: relativePath))
        } else if mask & UInt32(IN_CREATE) != 0 {
            // A new name: a file created in place, a hard link (which raises nothing else), a
            // link or a FIFO (set aside). The pipeline takes it once quiet.
            queue.push(.created(relativePath: relativePath))
        }
    }

    /// Watches `relativeDirectory` and every visible directory below it, then (when asked)
    /// reports the files found, so that nothing written before the watch existed is missed: in a
    /// new directory, the files changed before its watch existed (later ones raise events, which
    /// keep their order); after an overflow, every file.
    private func watchTree(_ relativeDirectory: String, reportFiles: Bool) -> StartError? {
        // After an overflow, events were lost: every file found is reported.
        let rescanning = reportFiles && relativeDirectory.isEmpty
        var pending: [(directory: String, parentDevice: UInt64?)] = [
            (relativeDirectory, relativeDirectory.isEmpty ? nil : parentDevice(of: relativeDirectory))
        ]
        while let (directory, parentDevice) = pending.popLast() {
            let absolute = Path.join(root, directory)
            let device = FileSystem.identity(at: absolute)?.device
            // Another node's writes raise no event on a blind file system: its folder is polled.
            if device != parentDevice, poller.pollIfBlind(directory, foundBy: nil) { continue }
            // Watch first, then list: a file created in between is seen by both, never by neither.
            // No trailing slash below the root: it would make the kernel follow a link that replaced
            // the directory, despite IN_DONT_FOLLOW.
            let watched = directory.isEmpty ? absolute + "/" : absolute
            if inotifytools_watch_file(watched, Self.directoryMask) == 0 {
                let code = inotifytools_error()
                if code == ENOSPC || code == EMFILE || code == ENOMEM {
                    pollForWantOfWatch(directory, code: code)
                    continue
                }
                let failure = StartError(description: "cannot watch \(absolute): \(Self.errorText())")
                if directory.isEmpty { return failure }
                logger.warning(
                    "cannot watch a directory",
                    metadata: [
                        "path": "\(LogText.escaped(absolute))",
                        "error": "\(LogText.escaped(failure.description))",
                    ])
                continue
            }
            // A new directory's files renamed or written in after its watch exists are its events'.
            let watchedAt = FilePreparation.wallClockNanoseconds()
            let listing: DropScan.Listing
            do {
                listing = try DropScan.list(
                    directory, in: root, changedBefore: reportFiles && !rescanning ? watchedAt : nil)
            } catch {
                logger.warning(
                    "cannot list a directory",
                    metadata: [
                        "path": "\(LogText.escaped(absolute))",
                        "error": "\(LogText.escaped(error.description))",
                    ])
                continue
            }
            pending += listing.directories.map { ($0, device) }
            AgentMetrics.foldersWatched(Int(inotifytools_get_num_watches()))
            guard reportFiles else { continue }
            for file in listing.files {
                queue.push(.found(file.source, modificationTime: file.modificationTime))
            }
        }
        return nil
    }

    /// The device of the folder holding `relativeDirectory`.
    private func parentDevice(of relativeDirectory: String) -> UInt64? {
        FileSystem.identity(at: Path.directory(of: Path.join(root, relativeDirectory)))?.device
    }

    /// Hands a folder inotify has no watch for to the poller; the first time, says which limit to
    /// raise.
    private func pollForWantOfWatch(_ directory: String, code: Int32) {
        let limit = code == ENOSPC ? "fs.inotify.max_user_watches" : "fs.inotify.max_user_instances"
        let reason = "no inotify watch left (\(limit))"
        guard poller.poll(directory, because: .init(reason: reason, leaseIsEvidence: true)) else { return }
        let count = foldersWithoutWatch.add(1, ordering: .relaxed).newValue
        let metadata: Logger.Metadata = [
            "folder": "\(LogText.escaped(Path.join(root, directory)))",
            "error": "\(FileSystemError.reason(for: code))",
            "watches": "\(inotifytools_get_num_watches())", "limit": "\(limit)=\(Self.sysctl(limit) ?? "?")",
            "polled-for-want-of-watches": "\(count)",
        ]
        if count == 1 {
            let raise = (Self.sysctl(limit).flatMap { Int($0) }).map { "\(max($0 * 4, 524_288))" } ?? "524288"
            logger.warning(
                "inotify has no watch left: this folder and any more like it are polled instead; to watch them, raise the limit: sysctl \(limit)=\(raise)",
                metadata: metadata)
        } else {
            logger.debug("no inotify watch left; polling the folder", metadata: metadata)
        }
    }

    /// A `/proc/sys` value, e.g. `fs.inotify.max_user_watches`.
    private static func sysctl(_ name: String) -> String? {
        let path = "/proc/sys/" + name.replacingDots()
        // One read from the start: /proc reports a size of 0, and its values are a few bytes.
        guard let bytes = try? RegularFile.open(at: path).read(upTo: 64) else { return nil }
        return String(decoding: bytes, as: UTF8.self).filter { !$0.isWhitespace }
    }

    private func relative(_ watchedDirectory: String) -> String? {
        var directory = watchedDirectory
        if directory.hasSuffix("/") { directory.removeLast() }
        if directory == root { return "" }
        let prefix = root.hasSuffix("/") ? root : root + "/"
        guard directory.hasPrefix(prefix) else { return nil }
        return String(directory.dropFirst(prefix.count))
    }

    private static func errorText() -> String {
        FileSystemError.reason(for: inotifytools_error())
    }
}

extension String {
    fileprivate func replacingDots() -> String {
        String(map { $0 == "." ? "/" : $0 })
    }
}
