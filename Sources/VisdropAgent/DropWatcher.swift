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
/// polling) and is woken for shutdown by touching a private wake-up file that it watches.
/// New directories are watched at once and then scanned, so files written into them
/// before the watch existed are reported too.
final class DropWatcher: Sendable {
    /// Why the watcher could not start.
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    private let root: String
    private let wakeFile: String
    private let logger: Logger
    private let stopRequested = Atomic<Bool>(false)
    private let queue: EventQueue
    /// Filled by the watcher thread once its first watches exist (or it failed to start).
    private let startup = Mutex<Result<Void, StartError>>(.success(()))
    private let started = DispatchSemaphore(value: 0)

    private static let directoryMask: Int32 = Int32(
        bitPattern: UInt32(IN_CLOSE_WRITE) | UInt32(IN_MOVED_TO) | UInt32(IN_CREATE) | UInt32(IN_ONLYDIR)
            | UInt32(IN_DONT_FOLLOW))

    /// Creates a watcher for `root`; `stateDirectory` holds its wake-up file.
    init(
        root: String, stateDirectory: String, queue: EventQueue, logger: Logger
    ) {
        self.root = root
        self.wakeFile = Path.join(stateDirectory, "watcher-wakeup")
        self.queue = queue
        self.logger = logger
    }

    /// Starts the watcher thread and waits until the whole tree is watched.
    func start() throws(StartError) {
        do {
            try FileSystem.writeAtomically([], to: wakeFile, durable: false)
        } catch {
            throw StartError(description: "cannot create the watcher's wake-up file: \(error)")
        }
        do {
            try DedicatedThread.start("watcher") { [self] in self.run() }
        } catch {
            throw StartError(description: error.description)
        }
        started.wait()
        try startup.withLock { $0 }.get()
    }

    /// Asks the watcher thread to stop; it finishes the event stream on its way out.
    func stop() {
        stopRequested.store(true, ordering: .sequentiallyConsistent)
        // Touching the wake-up file produces an event that unblocks the watcher thread.
        _ = try? FileSystem.writeAtomically([], to: wakeFile, durable: false)
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
        let wakeDirectory = Path.directory(of: wakeFile) + "/"
        guard
            inotifytools_watch_file(
                wakeDirectory, Int32(bitPattern: UInt32(IN_MOVED_TO) | UInt32(IN_ONLYDIR))) != 0
        else {
            failStartup(StartError(description: "cannot watch \(wakeDirectory): \(Self.errorText())"))
            return
        }
        let wakeWatch = inotifytools_wd_from_filename(wakeDirectory)
        if let failure = watchTree("", reportFiles: false) {
            failStartup(failure)
            return
        }
        started.signal()
        logger.debug(
            "watching", metadata: ["root": "\(root)", "watches": "\(inotifytools_get_num_watches())"])

        while !stopRequested.load(ordering: .sequentiallyConsistent) {
            guard let event = inotifytools_next_event(-1) else {
                let code = inotifytools_error()
                if code == EINTR || code == 0 { continue }
                logger.error("reading inotify events failed", metadata: ["error": "\(Self.errorText())"])
                return
            }
            if event.pointee.wd != wakeWatch { handle(event) }
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
    /// reports every file found, so that nothing written before the watch existed is missed.
    private func watchTree(_ relativeDirectory: String, reportFiles: Bool) -> StartError? {
        var pending = [relativeDirectory]
        while let directory = pending.popLast() {
            let absolute = Path.join(root, directory)
            // Watch first, then list: a file created in between is seen by both, never by neither.
            // No trailing slash below the root: it would make the kernel follow a link that replaced
            // the directory, despite IN_DONT_FOLLOW.
            let watched = directory.isEmpty ? absolute + "/" : absolute
            if inotifytools_watch_file(watched, Self.directoryMask) == 0 {
                let failure = StartError(description: "cannot watch \(absolute): \(Self.errorText())")
                if directory.isEmpty { return failure }
                logger.warning(
                    "cannot watch a directory", metadata: ["path": "\(absolute)", "error": "\(failure)"])
                continue
            }
            let listing: DropScan.Listing
            do {
                listing = try DropScan.list(directory, in: root)
            } catch {
                logger.warning(
                    "cannot list a directory", metadata: ["path": "\(absolute)", "error": "\(error)"])
                continue
            }
            pending += listing.directories
            guard reportFiles else { continue }
            for file in listing.files {
                queue.push(.found(file.source, modificationTime: file.modificationTime))
            }
        }
        return nil
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
