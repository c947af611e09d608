import Dispatch
import Logging
import Synchronization
import VisdropFileSystem

/// Deletes filed sources in the background, when filing pauses.
///
/// A batch's filed sources leave the drop folder by a rename into `DROP/.visdrop-trash` (quick,
/// and flushed with the batch): their claim folder whole, or each file on its own; this sweeper
/// then deletes the trash on its own thread. On ext4
/// mounted with `discard`, deleting a file whose blocks are on disk can take milliseconds, and
/// doing it inline would hold up filing. Deleting during a burst would still take a processor
/// and the trash folder's lock from the filing thread (a quarter of the scalar rate, measured on
/// 2 cores), so the sweeper waits until no batch has been filed for `quietMilliseconds` — or
/// until the trash holds `maximumFiles` files or `maximumBytes` bytes, which bounds the disk it
/// keeps. Whatever is in the trash at start is deleted too.
final class TrashSweeper: Sendable {
    /// The trash folder's name inside the drop folder (hidden, so never watched or filed).
    static let folderName = ".visdrop-trash"

    private let directory: String
    private let logger: Logger
    private let doorbell = DispatchSemaphore(value: 0)
    private let stopped = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)
    /// Makes trash names unique within this run (with the process ID, across runs).
    private let counter = Atomic<UInt64>(0)
    private let processID = getpid()
    /// What was moved to the trash since the last sweep.
    private let pendingFiles = Atomic<Int>(0)
    private let pendingBytes = Atomic<Int>(0)
    /// How many entries the last sweep could not delete: said when it changes, not every sweep.
    private let undeletable = Atomic<Int>(0)

    /// Filed sources in the trash that new images may be written into (see `FileRecycler`),
    /// newest last, with the device they are on; each sweep empties it first.
    private let recyclable = Mutex<[RecyclableFolder]>([])
    /// The most folders `recyclable` holds (each keeps a descriptor open); the oldest go first.
    static let maximumRecyclableFolders = 16

    /// A folder in the trash and the names in it still offered.
    private struct RecyclableFolder {
        var device: UInt64
        var folder: Directory
        var names: [String]
    }

    /// How long filing must pause before the trash is deleted.
    static let quietMilliseconds = 100
    /// The trash is deleted at once, burst or not, when it holds this many files or bytes.
    static let maximumFiles = 65_536
    static let maximumBytes = 256 << 20

    init(dropDirectory: String, logger: Logger) {
        self.directory = Path.join(dropDirectory, Self.folderName)
        self.logger = logger
    }

    /// A fresh name for a source moved to the trash.
    func nextName() -> String {
        "\(processID)-\(counter.add(1, ordering: .relaxed).newValue)"
    }

    /// Deletes everything in the trash now, on the calling thread; returns how many files.
    @discardableResult
    func sweep() -> Int {
        // A file taken from here before the sweep is the taker's; one deleted under a taker only
        // makes it write a new file instead.
        recyclable.withLock { $0.removeAll() }
        pendingFiles.store(0, ordering: .relaxed)
        pendingBytes.store(0, ordering: .relaxed)
        guard let trash = try? Directory.open("", beneath: directory, creating: false) else { return 0 }
        var count = SweepCount()
        Self.removeContents(of: trash, depth: 0, into: &count)
        if undeletable.exchange(count.failed, ordering: .relaxed) != count.failed, count.failed > 0 {
            // An immutable file, say: filed already, so nothing is lost, but it stays.
            logger.warning(
                "could not delete what is left in the trash; it is tried again at every sweep",
                metadata: [
                    "count": "\(count.failed)", "folder": "\(LogText.escaped(directory))",
                    "first": "\(count.firstFailure ?? "")",
                ])
        }
        return count.removed
    }

    /// What a sweep deleted, and what it could not.
    private struct SweepCount {
        var removed = 0
        var failed = 0
        var firstFailure: String?

        mutating func failure(_ path: String, _ error: FileSystemError) {
            failed += 1
            if firstFailure == nil {
                firstFailure = LogText.escaped(path) + ": " + LogText.escaped(error.description)
            }
        }
    }

    /// How deep `removeContents` goes: the trash holds files, and claim folders of files.
    private static let maximumDepth = 4

    /// Removes what `folder` holds — files, and folders (a batch's claim folder, moved here whole)
    /// with what they hold — without following links, counting in `count`.
    private static func removeContents(of folder: Directory, depth: Int, into count: inout SweepCount) {
        // Names and types from the listing alone: a `stat` per file is one more directory lookup.
        let entries: [(name: String, type: FileSystem.EntryType)]
        do { entries = try folder.listNames() } catch {
            count.failure(folder.path, error)
            return
        }
        for entry in entries {
            let path = Path.join(folder.path, entry.name)
            do throws(FileSystemError) {
                if entry.type == .directory {
                    guard depth < maximumDepth else { continue }
                    let failedBefore = count.failed
                    removeContents(
                        of: try folder.openSubdirectory(entry.name, creating: false), depth: depth + 1,
                        into: &count)
                    // A folder still holding what could not be deleted is not one more failure.
                    guard count.failed == failedBefore else { continue }
                    try folder.removeSubdirectory(entry.name)
                } else {
                    try folder.removeEntry(entry.name)
                    count.removed += 1
                }
            } catch {
                count.failure(path, error)
            }
        }
    }

    /// Starts the background thread, which sweeps at start and after `ring()` once filing pauses.
    ///
    /// The thread runs at the lowest priority (nice 19): deleting what is already filed yields
    /// the processor to filing and to the training job, and catches up when they pause.
    func start() throws(DedicatedThread.StartError) {
        try DedicatedThread.start("trash sweeper", niceness: 19) { [self] in
            repeat {
                sweepAndLog()
                doorbell.wait()
                // Each ring is a batch filed: wait for a pause, unless the trash is large already.
                while !isStopped, !isFull,
                    doorbell.wait(timeout: .now() + .milliseconds(Self.quietMilliseconds)) == .success
                {}
            } while !isStopped
            sweepAndLog()
            finished.signal()
        }
    }

    /// Sweeps, and says at debug level how many files it deleted and how long that took.
    private func sweepAndLog() {
        let start = DispatchTime.now().uptimeNanoseconds
        let removed = sweep()
        guard removed > 0 else { return }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        logger.debug(
            "emptied the trash",
            metadata: [
                "files": "\(removed)", "duration": "\(FilingStatistics.milliseconds(nanoseconds: elapsed))",
            ])
    }

    /// Offers the files `names` in `folder` (a batch's claim folder, moved into the trash whole)
    /// to be written into instead of deleted, until the next sweep.
    func offer(_ names: [String], in folder: Directory) {
        guard !names.isEmpty, let device = folder.identity(of: ".")?.device else { return }
        recyclable.withLock { folders in
            folders.append(RecyclableFolder(device: device, folder: folder, names: names))
            if folders.count > Self.maximumRecyclableFolders { folders.removeFirst() }
        }
    }

    /// Says a batch moved `files` files of `bytes` bytes in all to the trash; they are deleted
    /// once filing pauses.
    func ring(files: Int, bytes: Int) {
        pendingFiles.add(files, ordering: .relaxed)
        pendingBytes.add(bytes, ordering: .relaxed)
        doorbell.signal()
    }

    private var isStopped: Bool { stopped.load(ordering: .sequentiallyConsistent) }

    private var isFull: Bool {
        pendingFiles.load(ordering: .relaxed) >= Self.maximumFiles
            || pendingBytes.load(ordering: .relaxed) >= Self.maximumBytes
    }

    /// Sweeps a last time and waits for the thread to end.
    func stop() {
        stopped.store(true, ordering: .sequentiallyConsistent)
        doorbell.signal()
        finished.wait()
    }
}

#if canImport(Glibc)
    import Glibc
#endif

extension TrashSweeper: FileRecycler {
    func takeFile(onDevice device: UInt64) -> RecycledFile? {
        recyclable.withLock { folders in
            guard let last = folders.indices.last, folders[last].device == device,
                let name = folders[last].names.popLast()
            else { return nil }
            let file = RecycledFile(folder: folders[last].folder, name: name)
            if folders[last].names.isEmpty { folders.removeLast() }
            return file
        }
    }
}
