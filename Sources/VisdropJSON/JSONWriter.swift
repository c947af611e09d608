/// Writes JSON byte for byte as Python's `json.dumps(value)` does with default arguments.
///
/// That means separators `", "` and `": "`, object keys in their stored order, `ensure_ascii=True`
/// (every character outside U+0020...U+007E escaped, lowercase hex, non-BMP characters as surrogate pairs),
/// floats as `repr(float)`, and the bare words `NaN`, `Infinity` and `-Infinity` for non-finite floats.
/// Writing recurses once per nesting level; values from `JSONParser` are bounded by its `maximumDepth`.
public enum JSONWriter {
    /// Returns `json.dumps(value)`.
    public static func pythonJSON(_ value: JSONValue) -> String {
        var buffer: [UInt8] = []
        appendPythonJSON(value, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    /// Appends the UTF-8 (in fact ASCII) bytes of `json.dumps(value)` to `buffer`.
    public static func appendPythonJSON(_ value: JSONValue, to buffer: inout [UInt8]) {
        switch value {
        case .null:
            buffer.append(contentsOf: "null".utf8)
        case .bool(let flag):
            buffer.append(contentsOf: (flag ? "true" : "false").utf8)
        case .integer(let integer):
            buffer.append(contentsOf: integer.decimalText.utf8)
        case .float(let double):
            appendPythonJSON(float: double, to: &buffer)
        case .string(let string):
            appendPythonJSONString(string, to: &buffer)
        case .array(let elements):
            buffer.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { buffer.append(contentsOf: ", ".utf8) }
                appendPythonJSON(element, to: &buffer)
            }
            buffer.append(UInt8(ascii: "]"))
        case .object(let object):
            buffer.append(UInt8(ascii: "{"))
            for (index, entry) in object.enumerated() {
                if index > 0 { buffer.append(contentsOf: ", ".utf8) }
                appendPythonJSONString(entry.key, to: &buffer)
                buffer.append(contentsOf: ": ".utf8)
                appendPythonJSON(entry.value, to: &buffer)
            }
            buffer.append(UInt8(ascii: "}"))
        }
    }

    /// Appends `json.dumps(float)`: `repr`, or the bare words `NaN`, `Infinity` and `-Infinity`.
    static func appendPythonJSON(float double: Double, to buffer: inout some ByteSink & ~Copyable) {
        if double.isNaN {
            PythonFloatFormatter.append("NaN", to: &buffer)
        } else if double.isInfinite {
            PythonFloatFormatter.append(double < 0 ? "-Infinity" : "Infinity", to: &buffer)
        } else {
            PythonFloatFormatter.appendRepr(of: double, to: &buffer)
        }
    }

    /// Appends `string` as a quoted JSON string with Python's `ensure_ascii=True` escaping.
    public static func appendPythonJSONString(_ string: String, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\""))
        for scalar in string.unicodeScalars {
            let value = scalar.value
            switch value {
            case 0x22: buffer.append(contentsOf: #"\""#.utf8)
            case 0x5C: buffer.append(contentsOf: #"\\"#.utf8)
            case 0x0A: buffer.append(contentsOf: #"\n"#.utf8)
            case 0x0D: buffer.append(contentsOf: #"\r"#.utf8)
            case 0x09: buffer.append(contentsOf: #"\t"#.utf8)
            case 0x08: buffer.append(contentsOf: #"\b"#.utf8)
            case 0x0C: buffer.append(contentsOf: #"\f"#.utf8)
            case 0x20...0x7E: buffer.append(UInt8(value))
            case 0x1_0000...:
                let offset = value - 0x1_0000
                appendUnicodeEscape(UInt16(0xD800 + (offset >> 10)), to: &buffer)
                appendUnicodeEscape(UInt16(0xDC00 + (offset & 0x3FF)), to: &buffer)
            default:
                appendUnicodeEscape(UInt16(value), to: &buffer)
            }
        }
        buffer.append(UInt8(ascii: "\""))
    }

    /// Returns Python's `repr(value)`: shortest round-trip digits, `nan`, `inf`, `-inf`, `-0.0`, `1e-05`, `100.0`.
    public static func pythonFloatRepr(_ value: Double) -> String {
        var buffer: [UInt8] = []
        PythonFloatFormatter.appendRepr(of: value, to: &buffer)
        return String(decoding: buffer, as: UTF8.self)
    }

    private static let lowercaseHexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    private static func appendUnicodeEscape(_ unit: UInt16, to buffer: inout [UInt8]) {
        buffer.append(UInt8(ascii: "\\"))
        buffer.append(UInt8(ascii: "u"))
        for shift in stride(from: 12, through: 0, by: -4) {
            buffer.append(lowercaseHexDigits[Int(unit >> UInt16(shift) & 0xF)])
        }
    }
}
