/// What the drop-folder watcher reports to the filing pipeline.
enum WatchEvent: Sendable, Equatable {
    /// A file was closed after writing, or renamed into the tree: it is complete.
    case completed(relativePath: String)
    /// A file was found by scanning a directory; it may still be being written.
    case found(relativePath: String, modificationTime: Int64)
    /// A file found by scanning has been quiet for the settle time: check it again.
    case settled(relativePath: String)
    /// The kernel's event queue overflowed: events were lost and the tree must be rescanned.
    case overflow
}
