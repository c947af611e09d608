import Logging
import VisdropFileSystem
import Yams

extension AgentOptions {
    /// The keys a configuration file may set: the long names of the command-line options.
    public static let configurationKeys = [
        "drop", "out", "archive", "quiet-ms", "settle-ms", "max-file-bytes", "max-config-bytes",
        "max-scalar-bytes",
        "durable", "workers", "png-compression", "img-save-dir",
        "config-save-file", "scalar-save-file", "log-level",
    ]

    /// The accepted range of every whole-number option, by its long name: the command line and
    /// the configuration file check the same bounds.
    public static let integerBounds: [String: ClosedRange<Int>] = [
        "quiet-ms": 0...3_600_000, "settle-ms": 0...3_600_000,
        "max-file-bytes": 1...(1 << 40), "max-config-bytes": 1...(1 << 40), "max-scalar-bytes": 1...(1 << 40),
        "workers": 0...256, "png-compression": 0...9,
    ]

    /// Why `value` is out of bounds for the whole-number option `name`, or nil when it is within.
    public static func boundsViolation(of name: String, _ value: Int) -> String? {
        guard let bounds = integerBounds[name], !bounds.contains(value) else { return nil }
        return "must be a whole number from \(bounds.lowerBound) to \(bounds.upperBound)"
    }

    /// Reads options from a YAML (or JSON) file whose keys are the command-line option names.
    ///
    /// Keys not given keep their defaults; an unknown key or a value of the wrong type is an
    /// error naming the file and the key.
    public static func load(configurationFile path: String) throws(AgentSetupError) -> AgentOptions {
        let text: String
        do {
            let contents = try FileSystem.readRegularFile(at: path, maximumBytes: 1 << 20)
            guard let decoded = String(validating: contents.bytes, as: UTF8.self) else {
                throw AgentSetupError("\(path) is not valid UTF-8")
            }
            text = decoded
        } catch let error as AgentSetupError {
            throw error
        } catch {
            throw AgentSetupError("cannot read the configuration file: \(error)")
        }
        let document: Node?
        do {
            document = try Yams.compose(yaml: text)
        } catch {
            throw AgentSetupError("\(path) is not valid YAML: \(error)")
        }
        var options = AgentOptions()
        guard let document else { return options }
        guard let mapping = document.mapping else {
            throw AgentSetupError("\(path) must be a mapping of option names to values")
        }
        for (key, value) in mapping {
            guard let name = key.string else {
                throw AgentSetupError("\(path): option names must be strings")
            }
            try options.set(name, to: value, source: path)
        }
        return options
    }

    private mutating func set(_ key: String, to value: Node, source: String) throws(AgentSetupError) {
        func string() throws(AgentSetupError) -> String {
            guard value.scalar?.style != nil, value.null == nil, let text = value.string, !text.isEmpty else {
                throw wrongType(key, "a non-empty string", source)
            }
            return text
        }
        func integer() throws(AgentSetupError) -> Int {
            let bounds = Self.integerBounds[key] ?? Int.min...Int.max
            guard let number = value.int, bounds.contains(number) else {
                throw wrongType(
                    key, "a whole number from \(bounds.lowerBound) to \(bounds.upperBound)", source)
            }
            return number
        }
        switch key {
        case "drop": dropDirectory = try string()
        case "out": outputDirectory = try string()
        case "archive": archiveDirectory = value.null != nil ? nil : try string()
        case "quiet-ms": quietMilliseconds = try integer()
        case "settle-ms": settleMilliseconds = try integer()
        case "max-file-bytes": maximumFileBytes = try integer()
        case "max-config-bytes": maximumConfigBytes = try integer()
        case "max-scalar-bytes": maximumScalarBytes = try integer()
        case "durable":
            guard let flag = value.bool else { throw wrongType(key, "true or false", source) }
            durable = flag
        case "workers": workers = try integer()
        case "png-compression": pngCompressionLevel = try integer()
        case "img-save-dir": imageSaveDirectory = try string()
        case "config-save-file": configSaveFile = try string()
        case "scalar-save-file": scalarSaveFile = try string()
        case "log-level":
            guard let level = Logger.Level(rawValue: try string()) else {
                throw wrongType(key, "one of trace, debug, info, notice, warning, error, critical", source)
            }
            logLevel = level
        default:
            throw AgentSetupError(
                "\(source): unknown option '\(key)'; known options: \(Self.configurationKeys.joined(separator: ", "))"
            )
        }
    }

    private func wrongType(_ key: String, _ expected: String, _ source: String) -> AgentSetupError {
        AgentSetupError("\(source): option '\(key)' must be \(expected)")
    }
}
