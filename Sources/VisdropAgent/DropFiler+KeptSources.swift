import VisdropFileSystem

// MARK: - Filed sources that could not be removed

extension DropFiler {
    /// Enters a filed source that could not be removed in the ledger, so that no run files it
    /// again, and says so; throws when the ledger cannot be written.
    func keepUnremoved(
        _ source: DropSource, identity: FileSystem.FileIdentity?, because error: FileSystemError
    )
        throws(FileSystemError)
    {
        let path = Path.join(options.dropDirectory, source.currentPath)
        logger.error(
            "filed, but the source could not be removed; it stays where it is, is not filed again, and its removal is tried again at the next start",
            metadata: [
                "file": "\(source)", "error": "\(LogText.escaped(error.description))",
                "ledger": "\(LogText.escaped(ledger.path))",
            ])
        guard let identity = identity ?? FileSystem.identity(at: path) else { return }  // Gone after all.
        try ledger.keep(path, identity: identity)
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
        let dropPrefix = options.dropDirectory + "/"
        var settled: [String] = []
        var stillKept: [String] = []
        for path in ledger.entries.keys {
            guard ledger.holdsKeptFile(path) else {
                settled.append(path)
                continue
            }
            guard path.hasPrefix(dropPrefix) else { continue }
            do throws(FileSystemError) {
                try dispose(DropSource(currentPath: String(path.dropFirst(dropPrefix.count))))
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
