import VisdropJSON

/// PyYAML's YAML 1.1 scalar rules, as `yaml.safe_load` applies them.
enum PyYAMLScalar {
    /// The tags PyYAML's resolver assigns to plain scalars, and the explicit tags the loader understands.
    enum Tag: Equatable {
        case null, bool, int, float, string, merge, value, timestamp, yamlIndicator
        case binary, set, omap, pairs, map, seq
        case other(String)

        /// The tag for an explicit tag URI (`!!int` is `tag:yaml.org,2002:int`).
        init(uri: String) {
            let prefix = "tag:yaml.org,2002:"
            guard uri.hasPrefix(prefix) else {
                self = .other(uri)
                return
            }
            switch uri.dropFirst(prefix.count) {
            case "null": self = .null
            case "bool": self = .bool
            case "int": self = .int
            case "float": self = .float
            case "str": self = .string
            case "merge": self = .merge
            case "value": self = .value
            case "timestamp": self = .timestamp
            case "yaml": self = .yamlIndicator
            case "binary": self = .binary
            case "set": self = .set
            case "omap": self = .omap
            case "pairs": self = .pairs
            case "map": self = .map
            case "seq": self = .seq
            default: self = .other(uri)
            }
        }
    }

    /// Why a scalar has no value (the caller adds the position).
    struct Problem: Error {
        var what: String
    }

    /// The tag PyYAML's resolver gives the plain (unquoted, untagged) scalar `text`.
    static func implicitTag(of text: String) -> Tag {
        let bytes = Array(text.utf8)
        if boolValues[text] != nil { return .bool }
        if PyYAMLPatterns.isFloat(bytes) { return .float }
        if PyYAMLPatterns.isInt(bytes) { return .int }
        switch text {
        case "<<": return .merge
        case "~", "null", "Null", "NULL", "": return .null
        case "=": return .value
        case "!", "&", "*": return .yamlIndicator
        default: break
        }
        if PyYAMLPatterns.isTimestamp(bytes) { return .timestamp }
        return .string
    }

    /// The spellings PyYAML's resolver accepts as booleans.
    private static let boolValues: [String: Bool] = [
        "yes": true, "Yes": true, "YES": true, "no": false, "No": false, "NO": false,
        "true": true, "True": true, "TRUE": true, "false": false, "False": false, "FALSE": false,
        "on": true, "On": true, "ON": true, "off": false, "Off": false, "OFF": false,
    ]

    /// The value PyYAML's `SafeConstructor` builds for a scalar with tag `tag`.
    static func construct(_ text: String, tag: Tag) throws(Problem) -> JSONValue {
        switch tag {
        case .null: return .null
        case .string: return .string(text)
        case .bool:
            switch text.lowercased() {
            case "yes", "true", "on": return .bool(true)
            case "no", "false", "off": return .bool(false)
            default: throw Problem(what: "'\(text)' is not a YAML 1.1 boolean")
            }
        case .int: return .integer(try constructInteger(text))
        case .float: return .float(try constructFloat(text))
        case .timestamp:
            throw Problem(
                what:
                    "'\(text)' is a YAML timestamp, which has no JSON equivalent; quote it to keep it as a string"
            )
        case .merge: throw Problem(what: "the merge key '<<' can only be a mapping key")
        case .value: throw Problem(what: "'=' (the YAML 1.1 value key) can only be a mapping key; quote it")
        case .yamlIndicator: throw Problem(what: "'\(text)' is a bare YAML indicator; quote it")
        case .binary: throw Problem(what: "!!binary data has no JSON equivalent")
        case .set, .omap, .pairs, .map, .seq: throw Problem(what: "a scalar cannot have a collection tag")
        case .other(let uri): throw Problem(what: "unknown tag '\(uri)' (yaml.safe_load refuses it too)")
        }
    }

    /// PyYAML's `construct_yaml_int`: underscores dropped, then `0b`, `0x`, leading `0` (octal),
    /// `a:b:c` (base 60) or decimal.
    static func constructInteger(_ text: String) throws(Problem) -> JSONInteger {
        let invalid = Problem(what: "'\(text)' is not an integer")
        var digits = Substring(String(text.unicodeScalars.filter { $0 != "_" }))
        let isNegative = digits.first == "-"
        if digits.first == "-" || digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.unicodeScalars.allSatisfy(\.isASCII) else { throw invalid }
        var magnitude = DecimalAccumulator()
        if digits == "0" {
            return 0
        } else if digits.hasPrefix("0b") {
            guard magnitude.append(digits: digits.dropFirst(2), radix: 2) else { throw invalid }
        } else if digits.hasPrefix("0x") {
            guard magnitude.append(digits: digits.dropFirst(2), radix: 16) else { throw invalid }
        } else if digits.hasPrefix("0") {
            guard magnitude.append(digits: digits, radix: 8) else { throw invalid }
        } else if digits.contains(":") {
            for (index, part) in digits.split(separator: ":", omittingEmptySubsequences: false).enumerated() {
                if index > 0 { magnitude.multiply(by: 60) }
                var partValue = DecimalAccumulator()
                guard partValue.append(digits: part, radix: 10) else { throw invalid }
                magnitude.add(partValue)
            }
        } else {
            guard magnitude.append(digits: digits, radix: 10) else { throw invalid }
        }
        guard let integer = JSONInteger(decimalText: (isNegative ? "-" : "") + magnitude.decimalText) else {
            throw invalid
        }
        return integer
    }

    /// PyYAML's `construct_yaml_float`: underscores dropped, lowercased, `.inf`, `.nan`, `a:b:c.d` (base 60)
    /// or Python's `float()`.
    static func constructFloat(_ text: String) throws(Problem) -> Double {
        let invalid = Problem(what: "'\(text)' is not a float")
        var value = Substring(String(text.unicodeScalars.filter { $0 != "_" }).lowercased())
        var sign = 1.0
        if value.first == "-" { sign = -1 }
        if value.first == "-" || value.first == "+" { value = value.dropFirst() }
        if value == ".inf" { return sign * .infinity }
        if value == ".nan" { return .nan }
        if value.contains(":") {
            var total = 0.0
            var base = 1.0
            for part in value.split(separator: ":", omittingEmptySubsequences: false).reversed() {
                guard let digit = pythonFloat(part) else { throw invalid }
                total += digit * base
                base *= 60
            }
            return sign * total
        }
        guard let magnitude = pythonFloat(value) else { throw invalid }
        return sign * magnitude
    }

    /// Python's `float(text)` for the forms YAML produces (no hexadecimal, no surrounding spaces).
    private static func pythonFloat(_ text: Substring) -> Double? {
        guard !text.isEmpty, !text.contains("x"), !text.contains("p") else { return nil }
        return Double(text)
    }
}
