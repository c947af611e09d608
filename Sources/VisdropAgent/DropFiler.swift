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
        let file: RegularFile
        do {
            file = try RegularFile.open(relativePath, beneath: options.dropDirectory)
        } catch {
            switch error.kind {
            case .notFound: return .skipped(reason: "already gone")
            case .symbolicLink where error.path != source, .unsafePath:
                // A directory on the way is a link (it is set aside on its own event): touch nothing.
                logger.warning(
                    "not following a link on the way to a dropped file",
                    metadata: [
                        "file": "\(LogText.escaped(relativePath))",
                        "reason": "\(LogText.escaped(error.description))",
                    ])
                return .skipped(reason: error.description)
            default: return reject(relativePath, kind: kind, reason: error.description)
            }
        }
        if case .unknown(let reason) = kind { return reject(relativePath, kind: kind, reason: reason) }
        let contents: Contents
        do {
            contents = try read(file, kind: kind)
        } catch {
            return reject(relativePath, kind: kind, reason: error.description)
        }

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

    /// A dropped file as read for its kind, with the identity of the file it came from.
    private struct Contents {
        enum Payload {
            /// An image's array, its data read straight into the array's storage.
            case array(NPYArray)
            /// The whole file, for the text kinds.
            case bytes([UInt8])
        }
        var payload: Payload
        var identity: FileSystem.FileIdentity
    }

    /// Reads a dropped file once it passed the checks that cost no more than a few KiB: the size
    /// cap of its kind, and for an array its header against the file's size (so a junk or lying
    /// `.npy` is refused after reading its first 64 KiB at most).
    private func read(_ file: consuming RegularFile, kind: DropKind) throws(FilingError) -> Contents {
        let cap = sizeCap(for: kind)
        guard file.size <= cap.limit else {
            throw .content(
                "the file is \(file.size) bytes, over the limit of \(cap.limit) bytes for \(cap.what) "
                    + "(raise \(cap.option) to accept it)")
        }
        do {
            guard case .image = kind else {
                return Contents(
                    payload: .bytes(try file.readAll(maximumBytes: cap.limit)), identity: file.identity)
            }
            let prefix = try file.read(upTo: 12 + npyReader.limits.maximumHeaderLength)
            let header: NPYHeader
            do {
                header = try npyReader.readHeader(prefix)
                try npyReader.checkDataSize(header, fileSize: file.size)
            } catch {
                throw FilingError.content(error.description)
            }
            let data = try file.read(upTo: header.dataByteCount, at: header.dataOffset)
            do {
                return Contents(
                    payload: .array(try npyReader.read(header: header, data: data)), identity: file.identity)
            } catch {
                throw FilingError.content(error.description)
            }
        } catch let error as FilingError {
            throw error
        } catch {
            // A file that cannot be read is set aside like one that cannot be decoded.
            throw .content("\(error)")
        }
    }

    /// The largest file of `kind` read, and the option that sets it.
    private func sizeCap(for kind: DropKind) -> (limit: Int, option: String, what: String) {
        switch kind {
        case .config:
            return (
                min(options.maximumConfigBytes, options.maximumFileBytes), "max-config-bytes", "config files"
            )
        case .scalars:
            return (
                min(options.maximumScalarBytes, options.maximumFileBytes), "max-scalar-bytes", "scalar files"
            )
        default:
            return (options.maximumFileBytes, "max-file-bytes", "dropped files")
        }
    }

    private struct Stored {
        var destination: String
        var records: Int
    }

    private func store(
        _ contents: Contents, kind: DropKind, source: String, in backend: LocalVisBackend
    ) throws(FilingError) -> Stored {
        let bytes: [UInt8]
        switch contents.payload {
        case .array(let array):
            guard case .image(let name, let step) = kind else { throw .content("not a kind visdrop files") }
            let path = try backendCall { () throws(LocalVisBackendError) in
                try backend.addImage(name: name, image: array, step: step)
            }
            return Stored(destination: path ?? "", records: 0)
        case .bytes(let whole): bytes = whole
        }
        switch kind {
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
        case .image, .workInProgress, .unknown:
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
        do {
            if let archive = options.archiveDirectory {
                try FileSystem.move(
                    relativePath, beneath: options.dropDirectory, to: relativePath, beneath: archive,
                    durable: options.durable)
            } else {
                try FileSystem.removeFile(
                    relativePath, beneath: options.dropDirectory, durable: options.durable)
            }
        } catch {
            throw .fileSystem(error)
        }
    }

    /// Moves the source to `DROP/.rejected/<rel>` with a `.reason.txt` beside it; never deletes it.
    ///
    /// The entry is renamed as it is (a link stays a link, a FIFO a FIFO), and no link on the way
    /// into `.rejected` is followed.
    private func reject(_ relativePath: String, kind: DropKind, reason: String) -> FilingOutcome {
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
