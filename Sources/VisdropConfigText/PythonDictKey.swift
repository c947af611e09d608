import VisdropJSON

/// A scalar dict key compared the way Python compares them: `1`, `1.0` and `True` are one key, `0`, `-0.0`
/// and `False` another, strings compare by code point and every NaN is a key of its own.
enum PythonDictKey: Hashable {
    case string([UInt8])
    case none
    case integer(String)
    case float(UInt64)
    /// NaN keys never equal each other; the caller numbers them.
    case nan(Int)

    /// The key for a scalar value (lists and mappings are never keys).
    init(_ value: JSONValue) {
        switch value {
        case .string(let text): self = .string(Array(text.utf8))
        case .null: self = .none
        case .bool(let flag): self = .integer(flag ? "1" : "0")
        case .integer(let integer): self = .integer(integer.description)
        case .float(let double):
            if double.isNaN {
                self = .nan(0)
            } else if double.isFinite, double == double.rounded(), double.magnitude < 0x1p63 {
                self = .integer(String(Int64(double)))
            } else {
                self = .float(double.bitPattern)
            }
        case .array, .object: self = .string([])
        }
    }

    /// The key as `json.dumps` writes a non-string key: `null`, `true`, `false`, the int's digits,
    /// `repr(float)`, `NaN`, `Infinity` or `-Infinity`.
    static func jsonText(of value: JSONValue) -> String {
        switch value {
        case .string(let text): text
        case .null: "null"
        case .bool(let flag): flag ? "true" : "false"
        case .integer(let integer): integer.description
        case .float(let double):
            if double.isNaN {
                "NaN"
            } else if double.isInfinite {
                double < 0 ? "-Infinity" : "Infinity"
            } else {
                JSONWriter.pythonFloatRepr(double)
            }
        case .array, .object: ""
        }
    }
}
