import Logging
import VisdropBackend
import VisdropConfigText
import VisdropFileSystem
import VisdropJSON
import VisdropPNG

// MARK: - Phase 3: flush, then the sources go

extension DropFiler {
    /// Makes the batch's outputs durable, then disposes of every filed source.
    func finish(_ items: [Item], _ outcomes: inout [FilingOutcome]) {
        let filed = outcomes.indices.filter {
            if case .filed = outcomes[$0] { return true } else { return false }
        }
        guard !filed.isEmpty else { return }
        CrashWindow.widen()
        do {
            if options.durable { try flushOutputs(of: filed.map { outcomes[$0] }) }
            if pendingIntent != nil { try journal.markAppended() }
        } catch {
            // Nothing of this batch is known to be durable: keep every source for a retry.
            if let intent = pendingIntent { undoScalars(intent, &outcomes, items, because: error) }
            for index in filed { outcomes[index] = .retry(error) }
            return
        }
        var directories = Set<String>()
        for index in filed {
            let relativePath = items[index].relativePath
            do {
                try dispose(relativePath)
                directories.insert(Path.directory(of: relativePath))
            } catch {
                logger.error(
                    "filed, but the source could not be removed; it stays in the drop folder",
                    metadata: [
                        "file": "\(LogText.escaped(relativePath))",
                        "error": "\(LogText.escaped(error.description))",
                    ])
                keptAfterFiling.insert(relativePath)
            }
        }
        CrashWindow.widen()
        if options.durable {
            for directory in directories {
                do { try FileSystem.syncDirectory(Path.join(options.dropDirectory, directory)) } catch {
                    logger.error("could not flush the drop folder", metadata: ["error": "\(error)"])
                }
            }
        }
        if pendingIntent != nil { journal.commit() }
        pendingIntent = nil
    }

    /// Flushes what the batch wrote and is not flushed yet: configs and scalar targets (the workers
    /// flushed the images), and every directory holding an output, for the new names in them.
    private func flushOutputs(of outcomes: [FilingOutcome]) throws(FileSystemError) {
        var files = Set<String>()
        var directories = Set<String>()
        for outcome in outcomes {
            guard case .filed(let kind, let outputs, _) = outcome else { continue }
            for output in outputs {
                if case .image = kind {} else { files.insert(output) }
                directories.insert(Path.directory(of: output))
            }
        }
        for file in files { try FileSystem.syncFile(at: file) }
        for directory in directories { try FileSystem.syncDirectory(directory) }
    }

    /// Removes a filed source, or moves it to the archive folder at the same relative path.
    ///
    /// Paths beneath the drop folder are walked without following links (the batch's flush of the
    /// drop directories follows in `finish`).
    func dispose(_ relativePath: String) throws(FileSystemError) {
        if let archive = options.archiveDirectory {
            try FileSystem.move(
                relativePath, beneath: options.dropDirectory, to: relativePath, beneath: archive,
                durable: false)
        } else {
            try FileSystem.removeFile(relativePath, beneath: options.dropDirectory, durable: false)
        }
    }
}

// MARK: - Decoding and the backend

extension DropFiler {
    func backend(for relativeDirectory: String) throws(FilingError) -> LocalVisBackend {
        if let backend = backends[relativeDirectory] { return backend }
        let backend = try FilePreparation.backendCall { () throws(LocalVisBackendError) in
            // The filer flushes each batch as a whole (`finish`), so the backend writes without flushing.
            try LocalVisBackend(
                saveDirectory: Path.join(options.outputDirectory, relativeDirectory),
                imageSaveDirectory: options.imageSaveDirectory, configSaveFile: options.configSaveFile,
                scalarSaveFile: options.scalarSaveFile,
                options: LocalVisBackendOptions(
                    durable: false, pngEncoder: PNGEncoder(compressionLevel: options.pngCompressionLevel)),
                logger: logger)
        }
        backends[relativeDirectory] = backend
        return backend
    }

    /// Moves the source to `DROP/.rejected/<rel>` with a `.reason.txt` beside it; never deletes it.
    ///
    /// The entry is renamed as it is (a link stays a link, a FIFO a FIFO), and no link on the way
    /// into `.rejected` is followed; a reason file's name is shortened to fit when needed.
    func reject(_ relativePath: String, kind: DropKind, reason: String) -> FilingOutcome {
        let rejected = Path.join(AgentOptions.rejectedFolderName, Path.directory(of: relativePath))
        do {
            let destination = try FileSystem.moveAside(
                relativePath, beneath: options.dropDirectory, into: rejected, beneath: options.dropDirectory,
                durable: options.durable)
            let name = Path.lastComponent(of: destination)
            let reasonFile = Path.join(rejected, Path.fitting(name, suffix: ".reason.txt") + ".reason.txt")
            let text = "\(relativePath): \(reason)\n"
            try FileSystem.writeAtomically(
                Array(text.utf8), to: reasonFile, beneath: options.dropDirectory, durable: options.durable)
        } catch {
            logger.error(
                "could not set a rejected file aside",
                metadata: [
                    "file": "\(LogText.escaped(relativePath))",
                    "error": "\(LogText.escaped(error.description))",
                ])
        }
        return .rejected(kind: kind, reason: reason)
    }
}
