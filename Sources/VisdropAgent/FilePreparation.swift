import VisdropBackend
import VisdropConfigText
import VisdropFileSystem
import VisdropJSON
import VisdropNPY

/// What the filer's worker threads need to read and decode a dropped file: nothing mutable.
struct FilePreparation: Sendable {
    let options: AgentOptions
    let npyReader: NPYReader
    let jsonParser = JSONParser()

    init(options: AgentOptions) {
        self.options = options
        self.npyReader = NPYReader(limits: NPYLimits(maximumDataBytes: options.maximumFileBytes))
    }

    /// Phase 1 for one file: read it, decode it, and write it when it is an image.
    func prepare(_ item: DropFiler.Item) -> DropFiler.Prepared {
        if item.kind == .workInProgress { return .skipped("work in progress") }
        let source = Path.join(options.dropDirectory, item.relativePath)
        let contents: FileSystem.RegularFileContents
        do {
            contents = try FileSystem.readRegularFile(at: source, maximumBytes: options.maximumFileBytes)
        } catch {
            return error.kind == .notFound ? .skipped("already gone") : .reject(error.description)
        }
        guard let backend = item.backend else { return .reject("no save directory") }
        do throws(FilingError) {
            switch item.kind {
            case .image(let name, let step):
                let array: NPYArray
                do { array = try npyReader.read(contents.bytes) } catch { throw .content(error.description) }
                let path = try Self.backendCall { () throws(LocalVisBackendError) in
                    try backend.addImage(name: name, image: array, step: step)
                }
                // Flushed here, by the worker, so a batch's images are flushed in parallel.
                if options.durable, let path {
                    do { try FileSystem.syncFile(at: path) } catch { throw .fileSystem(error) }
                }
                return .image(path: path ?? "")
            case .config:
                return .config(bytes: contents.bytes, identity: contents.identity)
            case .scalars(let filePath):
                let records = try scalarRecords(contents.bytes)
                let appends = try Self.backendCall { () throws(LocalVisBackendError) in
                    try backend.scalarAppends(batch: records, filePath: filePath)
                }
                return .scalars(appends: appends, records: records.count, identity: contents.identity)
            case .unknown(let reason):
                return .reject(reason)
            case .workInProgress:
                return .skipped("work in progress")
            }
        } catch {
            return DropFiler.prepared(for: error, kind: item.kind)
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

    /// One JSON object per file, or one per line (JSON Lines); anything else is rejected whole.
    func scalarRecords(_ bytes: [UInt8]) throws(FilingError) -> [JSONObject] {
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
