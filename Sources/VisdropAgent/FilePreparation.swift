import Logging
import VisdropBackend
import VisdropConfigText
import VisdropFileSystem
import VisdropJSON
import VisdropNPY

/// What the filer's worker threads need to read and decode a dropped file: nothing mutable.
struct FilePreparation: Sendable {
    let options: AgentOptions
    let logger: Logger
    let npyReader: NPYReader
    let jsonParser = JSONParser()

    init(options: AgentOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        self.npyReader = NPYReader(limits: NPYLimits(maximumDataBytes: options.maximumFileBytes))
    }

    /// Phase 1 for one file: read it, decode it, and write it when it is an image.
    ///
    /// The file is opened beneath the drop folder without following any link (see `RegularFile`);
    /// an unknown kind is refused without reading it, and the others only after their size cap
    /// (and for an array, its header) are checked.
    func prepare(_ item: DropFiler.Item) -> DropFiler.Prepared {
        if item.kind == .workInProgress { return .skipped("work in progress") }
        let source = Path.join(options.dropDirectory, item.relativePath)
        let file: RegularFile
        do {
            guard let folder = item.folder else { return .skipped("no folder") }
            file = try folder.get().openFile(item.name)
        } catch {
            switch error.kind {
            case .notFound: return .skipped("already gone")
            case .symbolicLink where error.path != source, .unsafePath:
                // A directory on the way is a link (it is set aside on its own event): touch nothing.
                logger.warning(
                    "not following a link on the way to a dropped file",
                    metadata: [
                        "file": "\(LogText.escaped(item.relativePath))",
                        "reason": "\(LogText.escaped(error.description))",
                    ])
                return .skipped(error.description)
            default: return .reject(error.description)
            }
        }
        if case .unknown(let reason) = item.kind { return .reject(reason) }
        guard let backend = item.backend else { return .reject("no save directory") }
        let contents: Contents
        do {
            contents = try read(file, kind: item.kind)
        } catch {
            return .reject(error.description)
        }
        do throws(FilingError) {
            switch (item.kind, contents.payload) {
            case (.image(let name, let step), .array(let array)):
                let path = try Self.backendCall { () throws(LocalVisBackendError) in
                    try backend.addImage(name: name, image: array, step: step)
                }
                return .image(path: path ?? "", sourceBytes: contents.identity.size)
            case (.config, .bytes(let bytes)):
                return .config(bytes: bytes, identity: contents.identity)
            case (.scalars(let filePath), .bytes(let bytes)):
                let planned = try Self.backendCall { () throws(LocalVisBackendError) in
                    try backend.scalarAppends(jsonRecords: bytes, filePath: filePath)
                }
                return .scalars(
                    appends: planned.appends, records: planned.records, identity: contents.identity)
            default:
                return .reject("not a kind visdrop files")
            }
        } catch {
            return DropFiler.prepared(for: error, kind: item.kind)
        }
    }

    /// A dropped file as read for its kind, with the identity of the file it came from.
    struct Contents {
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

    /// The largest file of `kind` read, the option that sets it, and what it applies to.
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

    func configObject(_ bytes: [UInt8], format: DropKind.ConfigFormat) throws(FilingError) -> JSONObject {
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

    static func backendCall<T>(_ body: () throws(LocalVisBackendError) -> T) throws(FilingError) -> T {
        do {
            return try body()
        } catch .fileSystem(let error) {
            throw .fileSystem(error)
        } catch {
            throw .content(error.description)
        }
    }
}
