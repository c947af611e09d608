import Logging
import VisdropFileSystem
import Yams

extension AgentOptions {
    /// The keys a configuration file may set: the long names of the command-line options.
    public static let configurationKeys = [
        "drop", "out", "archive", "quiet-ms", "settle-ms", "max-file-bytes", "max-config-bytes",
        "max-scalar-bytes",
        "durable", "workers", "png-compression", "img-save-dir",
        "config-save-file", "scalar-save-file", "watch-mode", "poll-interval", "settle-timeout",
        "rescan-interval", "log-level",
    ]

    /// The accepted range of every whole-number option, by its long name: the command line and
    /// the configuration file check the same bounds.
    public static let integerBounds: [String: ClosedRange<Int>] = [
        "quiet-ms": 0...3_600_000, "settle-ms": 0...3_600_000,
        "max-file-bytes": 1...(1 << 40), "max-config-bytes": 1...(1 << 40), "max-scalar-bytes": 1...(1 << 40),
        "workers": 0...256, "png-compression": 0...9,
    ]

    /// The accepted range of every duration option, in milliseconds, by its long name.
    public static let durationBounds: [String: ClosedRange<Int>] = [
        "poll-interval": 10...3_600_000, "settle-timeout": 1_000...604_800_000,
        "rescan-interval": 0...86_400_000,
    ]

    /// `text` as milliseconds: a whole number with the unit `ms`, `s`, `m` or `h` (`500ms`, `2s`,
    /// `10m`), or a bare number of seconds (`1`, `0.5`); nil when it is none of these.
    public static func milliseconds(ofDuration text: String) -> Int? {
        let units: [(suffix: String, factor: Double)] = [
            ("ms", 1), ("s", 1_000), ("m", 60_000), ("h", 3_600_000),
        ]
        let trimmed = text.trimmingWhitespace
        var number = trimmed
        var factor = 1_000.0
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = String(trimmed.dropLast(unit.suffix.count))
            factor = unit.factor
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0, value * factor < 1e15 else {
            return nil
        }
        return Int((value * factor).rounded())
    }

    /// Why the duration `text` is not accepted for option `name`, or nil with its milliseconds.
    public static func duration(of name: String, _ text: String) -> Result<Int, DurationError> {
        guard let milliseconds = milliseconds(ofDuration: text) else {
            return .failure(DurationError(description: "must be a duration such as 500ms, 2s or 10m"))
        }
        if let bounds = durationBounds[name], !bounds.contains(milliseconds) {
            return .failure(
                DurationError(
                    description:
                        "must be from \(bounds.lowerBound) ms to \(bounds.upperBound) ms (\(text) is \(milliseconds) ms)"
                ))
        }
        return .success(milliseconds)
    }

    /// Why a duration option's value is refused.
    public struct DurationError: Error, CustomStringConvertible {
        /// What is wrong, for `--name VALUE` or the configuration file's key.
        public let description: String
    }

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
        func duration() throws(AgentSetupError) -> Int {
            // A bare YAML number is seconds, like on the command line.
            guard value.null == nil, let text = value.string else {
                throw wrongType(key, "a duration such as 500ms, 2s or 10m", source)
            }
            switch Self.duration(of: key, text) {
            case .success(let milliseconds): return milliseconds
            case .failure(let error): throw AgentSetupError("\(source): option '\(key)' \(error)")
            }
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
        case "watch-mode":
            guard let mode = WatchMode(rawValue: try string()) else {
                throw wrongType(key, "one of auto, inotify, poll", source)
            }
            watchMode = mode
        case "poll-interval": pollIntervalMilliseconds = try duration()
        case "settle-timeout": settleTimeoutMilliseconds = try duration()
        case "rescan-interval": rescanIntervalMilliseconds = try duration()
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

extension String {
    fileprivate var trimmingWhitespace: String {
        String(drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
    }
}
