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
        func integer(_ range: ClosedRange<Int>) throws(AgentSetupError) -> Int {
            guard let number = value.int, range.contains(number) else {
                throw wrongType(key, "a whole number from \(range.lowerBound) to \(range.upperBound)", source)
            }
            return number
        }
        switch key {
        case "drop": dropDirectory = try string()
        case "out": outputDirectory = try string()
        case "archive": archiveDirectory = value.null != nil ? nil : try string()
        case "quiet-ms": quietMilliseconds = try integer(0...3_600_000)
        case "settle-ms": settleMilliseconds = try integer(0...3_600_000)
        case "max-file-bytes": maximumFileBytes = try integer(1...(1 << 40))
        case "max-config-bytes": maximumConfigBytes = try integer(1...(1 << 40))
        case "max-scalar-bytes": maximumScalarBytes = try integer(1...(1 << 40))
        case "durable":
            guard let flag = value.bool else { throw wrongType(key, "true or false", source) }
            durable = flag
        case "workers": workers = try integer(0...256)
        case "png-compression": pngCompressionLevel = try integer(0...9)
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
