/// What the drop-folder watcher (and the pipeline's own timers) report to the filing pipeline.
enum WatchEvent: Sendable, Equatable {
    /// A file written in place was closed after writing (`IN_CLOSE_WRITE`). It is taken once it
    /// has been quiet.
    case written(relativePath: String)
    /// A name was created in place (`IN_CREATE`: a new file, a hard link, a FIFO). It is taken
    /// once quiet too; where no lease can be had, only after the settle time, since no close
    /// was seen.
    case created(relativePath: String)
    /// A file was renamed into the tree (`IN_MOVED_TO`): complete, taken at once.
    case completed(relativePath: String)
    /// A file was found by scanning a directory (the backlog, a new directory, a rescan).
    case found(DropSource, modificationTime: Int64)
    /// The poller saw a file unchanged at two polls at least the settle time apart (a polled folder: a
    /// network, cluster or FUSE file system, or one inotify had no watch left for), or unchanged
    /// since then for the settle timeout.
    case settled(DropSource, PolledFile)
    /// A timer the pipeline set for `source` is due: its quiet time, a writer's wait, or a retry.
    case recheck(DropSource)
    /// The kernel's event queue overflowed: events were lost and the tree must be rescanned.
    case overflow
    /// Time to log what was filed since the last summary line.
    case summaryDue
}
