import Logging
import Synchronization
import VisdropBackend
import VisdropConfigText
import VisdropFileSystem
import VisdropJSON
import VisdropPNG

#if canImport(Glibc)
    import Glibc
#endif

// MARK: - Phase 3: flush, then the sources go

extension DropFiler {
    /// Makes the batch's outputs durable, then disposes of every filed source.
    func finish(_ items: [Item], _ outcomes: inout [FilingOutcome]) {
        let filed = outcomes.indices.filter {
            if case .filed = outcomes[$0] { return true } else { return false }
        }
        guard !filed.isEmpty else { return }
        TestTiming.widenCrashWindow()
        do {
            if options.durable { try flushOutputs(of: filed.map { outcomes[$0] }) }
            if pendingIntent != nil { try journal.markAppended() }
        } catch {
            // Nothing of this batch is known to be durable: keep every source for a retry.
            if let intent = pendingIntent { undoScalars(intent, &outcomes, items, because: error) }
            for index in filed { outcomes[index] = .retry(error) }
            return
        }
        var removal = SourceRemoval()
        // The batch's claimed sources by claim folder: a claim folder that holds nothing else
        // leaves for the trash whole, in one rename instead of one per file.
        var claimed: [ObjectIdentifier: ClaimedSources] = [:]
        for index in filed {
            let item = items[index]
            if item.checkBeforeRemoval, let changed = changedSinceRead(item) {
                keepChanged(item, changed)
                continue
            }
            if options.archiveDirectory == nil, item.source.claimed, case .success(let folder) = item.folder,
                case .success(let claimFolder) = item.claimFolder
            {
                claimed[
                    ObjectIdentifier(claimFolder), default: .init(folder: folder, claimFolder: claimFolder)
                ]
                .items.append(index)
                continue
            }
            disposeOne(item, &removal)
        }
        for group in claimed.values {
            if trashWhole(group, items, &removal) {
                // Its drop folder lost the claim folder's name: only that folder needs flushing.
                removal.folders[ObjectIdentifier(group.folder)] = group.folder
                removal.trashedBytes += group.items.reduce(0) { $0 + items[$1].sourceBytes }
                continue
            }
            for index in group.items { disposeOne(items[index], &removal) }
        }
        // On record before the journal forgets the batch: no later run files them again.
        do { try keepUnremoved(removal.unremoved) } catch {
            logger.error(
                "could not record filed sources that could not be removed; a restart may file them again",
                metadata: [
                    "count": "\(removal.unremoved.count)", "error": "\(LogText.escaped(error.description))",
                ])
        }
        TestTiming.widenCrashWindow()
        // Only the drop and claim folders need flushing, so that a filed source cannot come back
        // after a power loss; where it went in the trash does not matter.
        var removalsAreDurable = true
        if options.durable {
            for folder in removal.folders.values {
                do { try folder.sync() } catch {
                    removalsAreDurable = false
                    logger.error(
                        "could not flush the drop folder",
                        metadata: ["error": "\(LogText.escaped(error.description))"])
                }
            }
        }
        // Until the removals are on disk, the marked record must stay: after a power cut,
        // recovery removes the sources that came back instead of filing them again.
        if pendingIntent != nil, removalsAreDurable { journal.commit() }
        // Until then, a power cut could bring a source back for recovery to look into.
        if removalsAreDurable {
            for (names, folder) in removal.recyclable { trash.offer(names, in: folder) }
            if case .success(let trashFolder)? = removal.trashFolder {
                trash.offer(removal.trashedOneByOne, in: trashFolder)
            }
        }
        pendingIntent = nil
        if removal.trashFolder != nil { trash.ring(files: filed.count, bytes: removal.trashedBytes) }
    }

    /// Where a batch's filed sources went, as `finish` removes them.
    private struct SourceRemoval {
        /// The trash folder, set on first use (see `openTrash`).
        var trashFolder: Result<Directory, FileSystemError>?
        /// The folders the sources left, as the batch opened them (no second path walk): the claim
        /// folder, and the drop folder the claim took the name from.
        var folders: [ObjectIdentifier: Directory] = [:]
        var trashedBytes = 0
        /// Claim folders moved into the trash whole, and their files: new images may be written
        /// into those files once their removal from the drop folders is durable.
        var recyclable: [(names: [String], folder: Directory)] = []
        /// The names of the sources moved into the trash folder one by one, likewise.
        var trashedOneByOne: [String] = []
        /// Filed sources that could not be removed: entered in the ledger together.
        var unremoved: [UnremovedSource] = []
    }

    /// The fewest filed sources for which their claim folder goes to the trash whole (see
    /// `trashWhole`); measured with lone files (README, Performance).
    static let fewestFilesToTrashClaimFolderWhole = 4

    /// A claim folder and the batch's filed sources in it.
    private struct ClaimedSources {
        var folder: Directory
        var claimFolder: Directory
        var items: [Int] = []
    }

    /// Moves `group`'s claim folder into the trash whole when it holds exactly the batch's filed
    /// sources from it (nothing waiting there for a later batch); true when it did, with the
    /// folder, as it is in the trash now, added to `recyclable`. The next batch that claims a file
    /// in the drop folder makes a new claim folder.
    ///
    /// Only the agent puts files into a claim folder, on this thread, so nothing can join the
    /// folder between its listing and its rename.
    private func trashWhole(_ group: ClaimedSources, _ items: [Item], _ removal: inout SourceRemoval) -> Bool
    {
        // A few files go one by one: trashing their folder costs a listing, an open, a new claim
        // folder for the next batch and its removal in the sweeper, more than the renames saved.
        guard group.items.count >= Self.fewestFilesToTrashClaimFolderWhole,
            let entries = try? group.claimFolder.listNames(), entries.count == group.items.count
        else {
            return false
        }
        let names = Set(group.items.map { items[$0].name })
        guard names.count == entries.count, entries.allSatisfy({ names.contains($0.name) }) else {
            return false
        }
        do {
            let trashedName = trash.nextName()
            let trashDirectory = try moveIntoTrash(&removal) { (folder) throws(FileSystemError) in
                try group.folder.moveEntry(DropSource.claimFolderName, to: trashedName, in: folder)
            }
            // Their inodes can carry the next images (see `FileRecycler`).
            if let trashed = try? trashDirectory.openSubdirectory(trashedName, creating: false) {
                removal.recyclable.append((Array(names), trashed))
            }
            return true
        } catch {
            // On another file system than the trash (EXDEV), or not movable: file by file.
            return false
        }
    }

    /// The trash folder for this batch (`removal.trashFolder`, set on first use): the one an
    /// earlier batch opened, or else opened (and made) now and kept.
    private func openTrash(_ removal: inout SourceRemoval) throws(FileSystemError) -> Directory {
        let opened =
            removal.trashFolder ?? keptTrashFolder.map { .success($0) }
            ?? Result { () throws(FileSystemError) in
                try Directory.open(TrashSweeper.folderName, beneath: options.dropDirectory, creating: true)
            }
        removal.trashFolder = opened
        keptTrashFolder = try? opened.get()
        return try opened.get()
    }

    /// Runs `move` with the trash folder and returns the folder; when it finds no entry and the
    /// folder was one kept from an earlier batch — somebody removed the trash folder since — the
    /// trash is opened (and made) anew and `move` tried once more.
    @discardableResult
    private func moveIntoTrash(
        _ removal: inout SourceRemoval, _ move: (Directory) throws(FileSystemError) -> Void
    ) throws(FileSystemError) -> Directory {
        let wasKept = removal.trashFolder == nil && keptTrashFolder != nil
        do {
            let folder = try openTrash(&removal)
            try move(folder)
            return folder
        } catch  where error.code == ENOENT && wasKept {
            keptTrashFolder = nil
            removal.trashFolder = nil
            // Those went into the folder that is gone.
            removal.trashedOneByOne = []
            let folder = try openTrash(&removal)
            try move(folder)
            return folder
        }
    }

    /// Disposes of one filed source (`dispose(_:_:)`), noting the folders to flush and the bytes
    /// trashed, or the source that could not be removed.
    private func disposeOne(_ item: Item, _ removal: inout SourceRemoval) {
        do {
            try dispose(item, &removal)
            for case .success(let folder) in [item.currentFolder, item.folder] {
                // The batch opened each folder once, so the object names it (no path hashed).
                removal.folders[ObjectIdentifier(folder)] = folder
            }
            removal.trashedBytes += item.sourceBytes
        } catch {
            removal.unremoved.append(.init(source: item.source, identity: item.identity, error: error))
        }
    }

    /// Flushes what the batch wrote, then every directory holding an output, for the new names in
    /// them. The writes started their writeback already, so each flush mostly waits for the disk
    /// and the file system's journal: the files are flushed on up to `maximumFlushThreads`
    /// threads at once, whose waits overlap and whose journal commits the file system groups.
    private func flushOutputs(of outcomes: [FilingOutcome]) throws(FileSystemError) {
        // A scalar file that existed before the batch gained lines, not a name: its folder needs
        // no flush (the journal's intent recorded which targets were empty or new).
        let existingTargets = Set((pendingIntent?.targets ?? []).filter { $0.length > 0 }.map(\.path))
        var files = Set<String>()
        var directories = Set<String>()
        // A burst of scalar files names the same few outputs thousands of times: each new name
        // is hashed once, not once per file.
        var lastOutputs: [String] = []
        for outcome in outcomes {
            guard case .filed(_, let outputs, _) = outcome, outputs != lastOutputs else { continue }
            lastOutputs = outputs
            for output in outputs where files.insert(output).inserted {
                if !existingTargets.contains(output) { directories.insert(Path.directory(of: output)) }
            }
        }
        let paths = Array(files)
        let openTargets = pendingTargets
        let failure = Mutex<FileSystemError?>(nil)
        Self.forEachIndexInParallel(paths.count, threads: Self.maximumFlushThreads) { position in
            do throws(FileSystemError) {
                // A scalar file through the descriptor its lines were written with.
                if let file = openTargets[paths[position]] {
                    try file.sync()
                } else {
                    try FileSystem.syncFile(at: paths[position])
                }
            } catch {
                // An output somebody removed since it was written has nothing left to flush.
                if error.kind == .notFound { return }
                failure.withLock { if $0 == nil { $0 = error } }
            }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        for directory in directories { try FileSystem.syncDirectory(directory) }
    }

    /// How many flushes wait for the disk at once.
    static let maximumFlushThreads = 8

    /// Removes a filed source through the folder the batch opened, or archives it.
    ///
    /// Removing is a rename into the trash (opened on first use), deleted in the background:
    /// even a small file's `unlink` waits for the disk when the file system discards freed blocks
    /// (ext4 mounted with `discard`), measured here as most of an agent's time per scalar file. A drop directory on another file system than the trash (a mount) has its
    /// sources unlinked instead. The batch's flush of the drop directories follows in `finish`.
    private func dispose(_ item: Item, _ removal: inout SourceRemoval) throws(FileSystemError) {
        guard options.archiveDirectory == nil, case .success(let folder) = item.currentFolder else {
            return try dispose(item.source)
        }
        do {
            let trashedName = trash.nextName()
            try moveIntoTrash(&removal) { (trashDirectory) throws(FileSystemError) in
                try folder.moveEntry(item.name, to: trashedName, in: trashDirectory)
            }
            removal.trashedOneByOne.append(trashedName)
        } catch  where error.code == EXDEV {
            try folder.removeEntry(item.name)
        }
    }

    /// Removes a filed source (by a rename into the trash), or moves it to the archive folder at
    /// the path it was dropped at (with `.1`, `.2`… appended when an earlier one has that name).
    ///
    /// Paths beneath the drop folder are walked without following links (the batch's flush of the
    /// drop directories follows in `finish`).
    func dispose(_ source: DropSource) throws(FileSystemError) {
        if let archive = options.archiveDirectory {
            _ = try FileSystem.moveAside(
                source.currentPath, beneath: options.dropDirectory, into: source.directory, beneath: archive,
                durable: false)
            return
        }
        do {
            try FileSystem.move(
                source.currentPath, beneath: options.dropDirectory, to: trash.nextName(),
                beneath: Path.join(options.dropDirectory, TrashSweeper.folderName), durable: false)
        } catch  where error.code == EXDEV {
            try FileSystem.removeFile(source.currentPath, beneath: options.dropDirectory, durable: false)
        }
    }

    /// How the file differs now from what was read, when it does (a writer without a lease, or
    /// through another name, added to it after the read).
    private func changedSinceRead(_ item: Item) -> String? {
        guard case .success(let folder) = item.currentFolder, let read = item.identity else { return nil }
        guard let now = folder.identity(of: item.name), now != read else { return nil }
        return "it was \(read.size) bytes when read and is \(now.size) bytes now"
    }

    /// Sets aside a filed source that changed after it was read, so that what was added to it is
    /// kept (and said), never deleted.
    private func keepChanged(_ item: Item, _ change: String) {
        let reason =
            "changed after it was filed (\(change)): its first \(item.sourceBytes) bytes were filed; "
            + "the file is kept here whole, and what was added after them was not filed"
        logger.error(
            "a writer added to a file after it was read; kept in .rejected",
            metadata: ["file": "\(item.source)", "reason": "\(LogText.escaped(reason))"])
        _ = reject(item.source, kind: item.kind, reason: reason)
    }
}

// MARK: - Decoding and the backend

extension DropFiler {
    func backend(for relativeDirectory: String) throws(FilingError) -> LocalVisBackend {
        if let backend = backends[relativeDirectory] { return backend }
        // The filer flushes each batch as a whole (`finish`), so the backend writes without
        // flushing; images go into filed sources waiting in the trash where it can.
        var backendOptions = LocalVisBackendOptions(
            durable: false, pngEncoder: PNGEncoder(compressionLevel: options.pngCompressionLevel))
        backendOptions.fileRecycler = trash
        let backend = try FilePreparation.backendCall { () throws(LocalVisBackendError) in
            try LocalVisBackend(
                saveDirectory: Path.join(options.outputDirectory, relativeDirectory),
                imageSaveDirectory: options.imageSaveDirectory, configSaveFile: options.configSaveFile,
                scalarSaveFile: options.scalarSaveFile,
                options: backendOptions, logger: logger)
        }
        backends[relativeDirectory] = backend
        return backend
    }

    /// Moves the source to `DROP/.rejected/<rel>` with a `.reason.txt` beside it (written first);
    /// never deletes it.
    ///
    /// The entry is renamed as it is (a link stays a link, a FIFO a FIFO), and no link on the way
    /// into `.rejected` is followed; a reason file's name is shortened to fit when needed.
    func reject(_ source: DropSource, kind: DropKind, reason: String) -> FilingOutcome {
        // The reason is written first: the rejected file never shows up without it.
        let text = "\(source.relativePath): \(reason)\n"
        func moveAside(into folder: String) throws(FileSystemError) {
            _ = try FileSystem.moveAside(
                source.currentPath, beneath: options.dropDirectory, into: folder,
                beneath: options.dropDirectory, durable: options.durable,
                companion: (suffix: ".reason.txt", bytes: Array(text.utf8)))
        }
        do {
            do {
                try moveAside(into: Path.join(AgentOptions.rejectedFolderName, source.directory))
            } catch  where error.code == EXDEV {
                // Its folder is another mount (a network or FUSE file system under the drop
                // folder): set aside on that mount, in a `.rejected` folder beside it.
                try moveAside(into: Path.join(source.directory, AgentOptions.rejectedFolderName))
            }
        } catch {
            logger.error(
                "could not set a rejected file aside",
                metadata: [
                    "file": "\(source)", "error": "\(LogText.escaped(error.description))",
                ])
        }
        return .rejected(kind: kind, reason: reason)
    }
}
