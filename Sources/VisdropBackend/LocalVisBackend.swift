public import Logging
import Synchronization
import VisdropConfigText
import VisdropFileSystem
public import VisdropJSON
public import VisdropNPY
public import VisdropPNG

/// Writes a run's images, scalars and config to a local folder in the layout of
/// mmengine's `LocalVisBackend`.
///
/// The API mirrors mmengine's: `addImage` writes `saveDirectory/vis_image/{name}_{step}.png`,
/// `addScalar` and `addScalars` append one JSON object per line to `scalars.json` (byte for
/// byte what Python's `json.dump` writes), and `addConfig` writes `config.py`. Directories are
/// made on first use; with `saveDirectory == nil` nothing is stored. Unlike mmengine, images
/// and configs appear atomically (a reader never sees half a file) and each scalar line is
/// appended with one `write`.
public final class LocalVisBackend: Sendable {
    /// The run's folder, or nil to store nothing.
    public let saveDirectory: String?
    /// The image folder, relative to `saveDirectory` (mmengine's `img_save_dir`).
    public let imageSaveDirectory: String
    /// The config file name, relative to `saveDirectory` (mmengine's `config_save_file`).
    public let configSaveFile: String
    /// The scalar file name, relative to `saveDirectory` (mmengine's `scalar_save_file`).
    public let scalarSaveFile: String
    /// How files are written.
    public let options: LocalVisBackendOptions

    private let logger: Logger
    private let environmentReady = Mutex(false)
    /// The image folder was made (or found): later images skip the `mkdir -p`, and make it
    /// again only when a write finds it gone.
    private let imageDirectoryReady = Mutex(false)

    /// Creates a backend; no file or folder is touched until the first call that stores data.
    ///
    /// - Throws: `LocalVisBackendError` when `configSaveFile` does not end in `.py` or
    ///   `scalarSaveFile` does not end in `.json`, as mmengine asserts.
    public init(
        saveDirectory: String?,
        imageSaveDirectory: String = "vis_image",
        configSaveFile: String = "config.py",
        scalarSaveFile: String = "scalars.json",
        options: LocalVisBackendOptions = LocalVisBackendOptions(),
        logger: Logger = Logger(label: "visdrop.backend", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws(LocalVisBackendError) {
        guard Self.extension(of: configSaveFile) == "py" else { throw .invalidConfigSaveFile(configSaveFile) }
        guard Self.extension(of: scalarSaveFile) == "json" else {
            throw .invalidScalarSaveFile(scalarSaveFile)
        }
        self.saveDirectory = saveDirectory
        self.imageSaveDirectory = imageSaveDirectory
        self.configSaveFile = configSaveFile
        self.scalarSaveFile = scalarSaveFile
        self.scalarFilePath = saveDirectory.map { Path.join($0, scalarSaveFile) }
        self.options = options
        self.logger = logger
    }

    /// The backend itself (mmengine's `experiment` property); makes the save directory.
    public var experiment: LocalVisBackend {
        get throws(LocalVisBackendError) {
            _ = try prepareEnvironment()
            return self
        }
    }

    /// The path of the scalar file, or nil when nothing is stored (joined once: every scalar
    /// file filed names it).
    public let scalarFilePath: String?

    /// Saves an array as `vis_image/{name}_{step}.png`; returns the path written, if any.
    ///
    /// mmengine accepts only RGB `uint8`; visdrop also takes gray, RGBA, bool, `uint16`,
    /// float (clamped to [0, 1]) and channel-first arrays (see `ImageConversion`).
    @discardableResult
    public func addImage(name: String, image: NPYArray, step: Int = 0) throws(LocalVisBackendError) -> String?
    {
        let pixels: PixelImage
        do { pixels = try ImageConversion.pixelImage(from: image) } catch { throw .image(error) }
        return try addImage(name: name, pixels: pixels, step: step)
    }

    /// Saves decoded pixels as `vis_image/{name}_{step}.png`; returns the path written, if any.
    @discardableResult
    public func addImage(name: String, pixels: PixelImage, step: Int = 0) throws(LocalVisBackendError)
        -> String?
    {
        guard !name.contains("/"), !name.contains("\0") else { throw .invalidImageName(name) }
        guard let saveDirectory = try prepareEnvironment() else { return nil }
        let png: [UInt8]
        do { png = try options.pngEncoder.encode(pixels) } catch { throw .png(error) }
        let directory = Path.join(saveDirectory, imageSaveDirectory)
        let path = Path.join(directory, "\(name)_\(step).png")
        do {
            if !imageDirectoryReady.withLock({ $0 }) {
                try FileSystem.makeDirectories(directory)
                imageDirectoryReady.withLock { $0 = true }
            }
            do {
                try FileSystem.writeAtomically(
                    png, to: path, durable: options.durable, recycler: options.fileRecycler)
            } catch  where error.kind == .notFound {
                // Somebody removed the folder since: make it again, once.
                try FileSystem.makeDirectories(directory)
                try FileSystem.writeAtomically(
                    png, to: path, durable: options.durable, recycler: options.fileRecycler)
            }
        } catch {
            throw .fileSystem(error)
        }
        logger.trace("wrote image", metadata: ["path": "\(path)", "bytes": "\(png.count)"])
        return path
    }

    /// Appends `{"<name>": value, "step": step}` to the scalar file.
    public func addScalar(name: String, value: JSONValue, step: Int = 0) throws(LocalVisBackendError) {
        // Python builds the dict literal {name: value, 'step': step}: a name of "step"
        // is overwritten by the step, keeping its place.
        var record = JSONObject()
        record[name] = value
        record["step"] = .integer(JSONInteger(step))
        guard try prepareEnvironment() != nil, let path = scalarFilePath else { return }
        try append(Self.line(for: record), to: path)
    }

    /// Appends `{"<name>": value, "step": step}` to the scalar file.
    public func addScalar(name: String, value: Double, step: Int = 0) throws(LocalVisBackendError) {
        try addScalar(name: name, value: .float(value), step: step)
    }

    /// Appends `{"<name>": value, "step": step}` to the scalar file.
    public func addScalar(name: String, value: Int, step: Int = 0) throws(LocalVisBackendError) {
        try addScalar(name: name, value: .integer(JSONInteger(value)), step: step)
    }

    /// Appends the record with `"step"` added last (unless it has one) to the scalar file,
    /// and first to `filePath` inside the save directory when given.
    public func addScalars(_ scalars: JSONObject, step: Int = 0, filePath: String? = nil)
        throws(LocalVisBackendError)
    {
        try addScalars(scalars, step: .integer(JSONInteger(step)), filePath: filePath)
    }

    /// Like `addScalars(_:step:filePath:)` with any JSON value as the default step.
    public func addScalars(_ scalars: JSONObject, step: JSONValue, filePath: String? = nil)
        throws(LocalVisBackendError)
    {
        try addScalars(batch: [scalars], step: step, filePath: filePath)
    }

    /// Appends many records at once: each becomes the line `addScalars` would write, and all
    /// lines go to each file in one `write` (a file's records are filed whole or not at all).
    public func addScalars(
        batch records: [JSONObject], step: JSONValue = .integer(JSONInteger(0)), filePath: String? = nil
    ) throws(LocalVisBackendError) {
        for planned in try scalarAppends(batch: records, step: step, filePath: filePath) {
            try append(planned.bytes, to: planned.path)
        }
    }

    /// The bytes one file receives from an `addScalars` call.
    package struct ScalarAppend: Sendable, Equatable {
        /// The file appended to.
        package var path: String
        /// The lines appended, each ending in a newline.
        package var bytes: [UInt8]
    }

    /// The appends `addScalars(batch:step:filePath:)` would make, in its order, without making them.
    ///
    /// The save directory is created, as the first append would create it; empty when nothing is
    /// stored.
    private func scalarAppends(
        batch records: [JSONObject], step: JSONValue = .integer(JSONInteger(0)), filePath: String? = nil
    ) throws(LocalVisBackendError) -> [ScalarAppend] {
        if let filePath { try validate(filePath: filePath) }
        let lines = JSONRecords.pythonLines(of: records, settingDefault: "step", to: step)
        return try appends(of: lines.bytes, filePath: filePath)
    }

    /// The appends `addScalars` would make for each record of `jsonText` — one JSON object, or
    /// JSON Lines of objects — and how many records it holds, without making them.
    ///
    /// The lines are the same as parsing the records and calling `scalarAppends(batch:)`, but
    /// flat records of numbers and plain names are re-spelled straight from their text. For callers
    /// that commit many files' records together (the agent's group commit).
    package func scalarAppends(
        jsonRecords jsonText: [UInt8], step: JSONValue = .integer(JSONInteger(0)), filePath: String? = nil
    ) throws(LocalVisBackendError) -> (appends: [ScalarAppend], records: Int) {
        if let filePath { try validate(filePath: filePath) }
        let lines: JSONRecords.PythonLines
        do { lines = try JSONRecords.pythonLines(jsonText, settingDefault: "step", to: step) } catch {
            throw .records(error)
        }
        return (try appends(of: lines.bytes, filePath: filePath), lines.count)
    }

    /// The appends of `lines` to the scalar file, and first to `filePath` when given (already validated).
    private func appends(of lines: [UInt8], filePath: String?) throws(LocalVisBackendError) -> [ScalarAppend]
    {
        guard let saveDirectory = try prepareEnvironment(), let scalarPath = scalarFilePath else { return [] }
        let file = filePath.map { ScalarAppend(path: Path.join(saveDirectory, $0), bytes: lines) }
        return (file.map { [$0] } ?? []) + [ScalarAppend(path: scalarPath, bytes: lines)]
    }

    /// Writes `config.py` (replacing it atomically) from a config dictionary.
    ///
    /// The text loads back with mmengine's `Config.fromfile` to a dictionary equal to `config`.
    public func addConfig(_ config: JSONObject) throws(LocalVisBackendError) {
        let text: String
        do { text = try ConfigTextWriter.render(config) } catch { throw .config(error) }
        try addConfig(pythonSource: Array(text.utf8))
    }

    /// Writes `config.py` (replacing it atomically) with Python source copied byte for byte.
    public func addConfig(pythonSource: [UInt8]) throws(LocalVisBackendError) {
        guard let saveDirectory = try prepareEnvironment() else { return }
        let path = Path.join(saveDirectory, configSaveFile)
        do {
            try FileSystem.writeAtomically(pythonSource, to: path, durable: options.durable)
        } catch {
            throw .fileSystem(error)
        }
    }

    /// The exact bytes of a scalar line: Python's `json.dumps(record)` and a newline.
    private static func line(for record: JSONObject) -> [UInt8] {
        var bytes: [UInt8] = []
        JSONWriter.appendPythonJSON(.object(record), to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Checks an `addScalars` `filePath` the way mmengine does, and keeps it inside the save directory.
    private func validate(filePath: String) throws(LocalVisBackendError) {
        guard Self.extension(of: filePath) == "json" else {
            throw .invalidFilePath(filePath, reason: "must end in .json")
        }
        guard Path.isSafeRelative(filePath) else {
            throw .invalidFilePath(filePath, reason: "must be a relative path inside the save directory")
        }
        guard filePath != scalarSaveFile else {
            throw .invalidFilePath(
                filePath, reason: "is the scalar file itself; set file_path to another name")
        }
    }

    private func append(_ line: [UInt8], to path: String) throws(LocalVisBackendError) {
        do {
            try FileSystem.append(line, to: path, durable: options.durable)
        } catch {
            throw .fileSystem(error)
        }
    }

    /// Makes the save directory on first use (mmengine's `_init_env`); nil when nothing is stored.
    private func prepareEnvironment() throws(LocalVisBackendError) -> String? {
        guard let saveDirectory else { return nil }
        let ready = environmentReady.withLock { $0 }
        if !ready {
            do { try FileSystem.makeDirectories(saveDirectory) } catch { throw .fileSystem(error) }
            environmentReady.withLock { $0 = true }
        }
        return saveDirectory
    }

    /// The text after the last `.`, as mmengine's `name.split('.')[-1]` gives it.
    private static func `extension`(of name: String) -> Substring {
        name.split(separator: ".", omittingEmptySubsequences: false).last ?? ""
    }
}
