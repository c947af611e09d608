import VisdropFileSystem

// MARK: - Filed sources that could not be removed

extension DropFiler {
    /// A filed source that could not be removed, and why.
    struct UnremovedSource {
        var source: DropSource
        /// Its identity when it was read, if known.
        var identity: FileSystem.FileIdentity?
        var error: FileSystemError
    }

    /// Enters filed sources that could not be removed in the ledger, in one write, so that no run
    /// files them again, and says so in one line; throws when the ledger cannot be written.
    func keepUnremoved(_ unremoved: [UnremovedSource]) throws(FileSystemError) {
        guard let first = unremoved.first else { return }
        logger.error(
            "filed, but \(unremoved.count) source(s) could not be removed; they stay where they are, are not filed again, and their removal is tried again at the next start",
            metadata: [
                "first": "\(first.source)", "error": "\(LogText.escaped(first.error.description))",
                "ledger": "\(LogText.escaped(ledger.path))",
            ])
        var entries: [(path: String, identity: FileSystem.FileIdentity)] = []
        for kept in unremoved {
            let path = Path.join(options.dropDirectory, kept.source.currentPath)
            // Gone after all when it has no identity now.
            if let identity = kept.identity ?? FileSystem.identity(at: path) {
                entries.append((path, identity))
            }
        }
        try ledger.keep(entries)
    }

    /// True when `source` is a filed source the ledger keeps: it is never filed again. An entry
    /// whose path holds another file now (the kept one was removed by hand, and a new one dropped
    /// under its name) is forgotten, and the new file filed.
    func isKeptAfterFiling(_ source: DropSource) -> Bool {
        guard !ledger.entries.isEmpty else { return false }
        let path = Path.join(options.dropDirectory, source.currentPath)
        guard ledger.entries[path] != nil else { return false }
        if ledger.holdsKeptFile(path) { return true }
        forgetKept([path])
        return false
    }

    /// Tries again to remove the filed sources the ledger keeps (at start). A source removed now
    /// leaves the ledger once its folder is flushed; an entry whose path no longer holds its file
    /// is forgotten; one under another drop folder (an earlier `--drop`) is left alone.
    func retryKeptRemovals() {
        guard !ledger.entries.isEmpty else { return }
        var settled: [String] = []
        var stillKept: [String] = []
        for path in ledger.entries.keys {
            guard ledger.holdsKeptFile(path) else {
                settled.append(path)
                continue
            }
            guard let source = DropSource(recordedPath: path, beneath: options.dropDirectory) else {
                continue
            }
            do throws(FileSystemError) {
                try dispose(source)
                if options.durable { try FileSystem.syncDirectory(Path.directory(of: path)) }
                settled.append(path)
            } catch {
                stillKept.append(LogText.escaped(path) + ": " + LogText.escaped(error.description))
            }
        }
        forgetKept(settled)
        if stillKept.isEmpty {
            guard !settled.isEmpty else { return }
            logger.notice(
                "the filed sources an earlier run could not remove are gone now (removed now, or by hand)",
                metadata: ["count": "\(settled.count)"])
        } else {
            logger.error(
                "filed sources an earlier run could not remove still cannot be removed; they are not filed again",
                metadata: ["count": "\(stillKept.count)", "first": "\(stillKept[0])"])
        }
    }

    private func forgetKept(_ paths: [String]) {
        do { try ledger.forget(paths) } catch {
            logger.error(
                "could not update the ledger of filed sources that could not be removed",
                metadata: [
                    "ledger": "\(LogText.escaped(ledger.path))",
                    "error": "\(LogText.escaped(error.description))",
                ])
        }
    }
}
