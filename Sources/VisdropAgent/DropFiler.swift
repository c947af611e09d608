import Logging
import VisdropBackend
import VisdropConfigText
import VisdropFileSystem
import VisdropJSON
import VisdropNPY
import VisdropPNG

/// Files one dropped file: read it safely, decode it by kind, call the LocalVisBackend,
/// then remove (or archive) the source — or set it aside in `DROP/.rejected` with its reason.
///
/// Used by one task at a time (the pipeline files in order), so it needs no locking.
final class DropFiler {
    private let options: AgentOptions
    private let logger: Logger
    private let journal: ScalarJournal
    private let npyReader: NPYReader
    private let jsonParser = JSONParser()
    private let pngEncoder: PNGEncoder
    private var backends: [String: LocalVisBackend] = [:]

    init(options: AgentOptions, journal: ScalarJournal, logger: Logger) {
        self.options = options
        self.journal = journal
        self.logger = logger
        self.npyReader = NPYReader(limits: NPYLimits(maximumDataBytes: options.maximumFileBytes))
        self.pngEncoder = PNGEncoder(compressionLevel: options.pngCompressionLevel)
    }

    /// Files the file at `relativePath` inside the drop folder.
    func file(_ relativePath: String) -> FilingOutcome {
        let name = Path.lastComponent(of: relativePath)
        let kind = DropClassifier.classify(name)
        if kind == .workInProgress { return .skipped(reason: "work in progress") }
        let source = Path.join(options.dropDirectory, relativePath)
        let contents: FileSystem.RegularFileContents
        do {
            contents = try FileSystem.readRegularFile(at: source, maximumBytes: options.maximumFileBytes)
        } catch {
            if error.kind == .notFound { return .skipped(reason: "already gone") }
            return reject(relativePath, kind: kind, reason: error.description)
        }
        if case .unknown(let reason) = kind { return reject(relativePath, kind: kind, reason: reason) }

        let saveDirectory = Path.directory(of: relativePath)
        do throws(FilingError) {
            let backend = try backend(for: saveDirectory)
            let filed = try store(contents, kind: kind, source: relativePath, in: backend)
            try dispose(relativePath)
            journal.commit()
            return .filed(kind: kind, destination: filed.destination, records: filed.records)
        } catch .fileSystem(let error) where error.isTransient {
            return .retry(error)
        } catch {
            return reject(relativePath, kind: kind, reason: error.description)
        }
    }

    private struct Stored {
        var destination: String
        var records: Int
    }

    private func store(
        _ contents: FileSystem.RegularFileContents, kind: DropKind, source: String,
        in backend: LocalVisBackend
    ) throws(FilingError) -> Stored {
        let bytes = contents.bytes
        switch kind {
        case .image(let name, let step):
            let array: NPYArray
            do { array = try npyReader.read(bytes) } catch { throw .content(error.description) }
            let path = try backendCall { () throws(LocalVisBackendError) in
                try backend.addImage(name: name, image: array, step: step)
            }
            return Stored(destination: path ?? "", records: 0)
        case .config(let format):
            switch format {
            case .python:
                try backendCall { () throws(LocalVisBackendError) in
                    try backend.addConfig(pythonSource: bytes)
                }
            case .json, .yaml:
                let config = try configObject(bytes, format: format)
                try backendCall { () throws(LocalVisBackendError) in try backend.addConfig(config) }
            }
            return Stored(
                destination: Path.join(backend.saveDirectory ?? "", backend.configSaveFile), records: 0)
        case .scalars(let filePath):
            let records = try scalarRecords(bytes)
            if let filePath {
                try backendCall { () throws(LocalVisBackendError) in try backend.validate(filePath: filePath)
                }
            }
            let targets = backend.scalarTargets(filePath: filePath)
            let intent = ScalarJournal.Intent(
                source: Path.join(options.dropDirectory, source), identity: contents.identity,
                targets: targets.map { .init(path: $0, length: FileSystem.size(at: $0) ?? 0) })
            do { try journal.begin(intent) } catch { throw .fileSystem(error) }
            do {
                try backendCall { () throws(LocalVisBackendError) in
                    try backend.addScalars(batch: records, filePath: filePath)
                }
            } catch {
                // Leave no line of a file that is not filed whole.
                journal.rollBack(intent)
                throw error
            }
            return Stored(destination: targets.joined(separator: ", "), records: records.count)
        case .workInProgress, .unknown:
            throw .content("not a kind visdrop files")
        }
    }

    private func configObject(_ bytes: [UInt8], format: DropKind.ConfigFormat) throws(FilingError)
        -> JSONObject
    {
        let value: JSONValue
        if format == .json {
            do { value = try jsonParser.parse(bytes) } catch { throw .content("invalid JSON: \(error)") }
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .content("the YAML file is not valid UTF-8")
            }
            do { value = try YAMLConfigLoader.load(text) } catch { throw .content(error.description) }
        }
        guard case .object(let object) = value else {
            throw .content("a config must be a mapping at the top level, not \(value.typeName)")
        }
        return object
    }

    /// One JSON object per file, or one per line (JSON Lines); anything else is rejected whole.
    private func scalarRecords(_ bytes: [UInt8]) throws(FilingError) -> [JSONObject] {
        let values: [JSONValue]
        do {
            values = [try jsonParser.parse(bytes)]
        } catch {
            do { values = try jsonParser.parseLines(bytes) } catch let lineError {
                throw .content("invalid JSON: \(bytes.contains(UInt8(ascii: "\n")) ? lineError : error)")
            }
        }
        var records: [JSONObject] = []
        records.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard case .object(let record) = value else {
                let place = values.count > 1 ? "record \(index + 1) is" : "the file holds"
                throw .content("\(place) a JSON \(value.typeName), but each scalar record must be an object")
            }
            records.append(record)
        }
        guard !records.isEmpty else { throw .content("the file holds no records") }
        return records
    }

    private func backend(for relativeDirectory: String) throws(FilingError) -> LocalVisBackend {
        if let backend = backends[relativeDirectory] { return backend }
        let backend = try backendCall { () throws(LocalVisBackendError) in
            try LocalVisBackend(
                saveDirectory: Path.join(options.outputDirectory, relativeDirectory),
                imageSaveDirectory: options.imageSaveDirectory, configSaveFile: options.configSaveFile,
                scalarSaveFile: options.scalarSaveFile,
                options: LocalVisBackendOptions(durable: options.durable, pngEncoder: pngEncoder),
                logger: logger)
        }
        backends[relativeDirectory] = backend
        return backend
    }

    private func backendCall<T>(_ body: () throws(LocalVisBackendError) -> T) throws(FilingError) -> T {
        do {
            return try body()
        } catch .fileSystem(let error) {
            throw .fileSystem(error)
        } catch {
            throw .content(error.description)
        }
    }

    /// Removes the filed source (or moves it to the archive), durably when asked.
    private func dispose(_ relativePath: String) throws(FilingError) {
        let source = Path.join(options.dropDirectory, relativePath)
        do {
            if let archive = options.archiveDirectory {
                let destination = Path.join(archive, relativePath)
                try FileSystem.makeDirectories(Path.directory(of: destination))
                try FileSystem.move(source, to: destination)
            } else {
                try FileSystem.removeFile(source)
            }
            if options.durable { try FileSystem.syncDirectory(containing: source) }
        } catch {
            throw .fileSystem(error)
        }
    }

    /// Moves the source to `DROP/.rejected/<rel>` with a `.reason.txt` beside it; never deletes it.
    private func reject(_ relativePath: String, kind: DropKind, reason: String) -> FilingOutcome {
        let source = Path.join(options.dropDirectory, relativePath)
        let directory = Path.join(options.rejectedDirectory, Path.directory(of: relativePath))
        let name = Path.lastComponent(of: relativePath)
        do {
            try FileSystem.makeDirectories(directory)
            var destination = Path.join(directory, name)
            var attempt = 1
            while FileSystem.entryType(at: destination) != nil {
                destination = Path.join(directory, "\(name).\(attempt)")
                attempt += 1
            }
            try FileSystem.move(source, to: destination)
            let text = "\(relativePath): \(reason)\n"
            try FileSystem.writeAtomically(
                Array(text.utf8), to: destination + ".reason.txt", durable: options.durable)
        } catch {
            logger.error(
                "could not set a rejected file aside", metadata: ["file": "\(source)", "error": "\(error)"])
        }
        return .rejected(kind: kind, reason: reason)
    }
}

/// Why filing one file failed: its content, or the file system.
enum FilingError: Error, CustomStringConvertible {
    case content(String)
    case fileSystem(FileSystemError)

    var description: String {
        switch self {
        case .content(let reason): return reason
        case .fileSystem(let error): return error.description
        }
    }
}
