/// A JSON value as Python's `json` module reads and writes it.
///
/// Integers stay exact (`.integer`) and are distinct from floats (`.float`), as `1` and `1.0` are in Python;
/// floats may be `NaN` or infinite, which Python's `json` writes as the bare words `NaN`, `Infinity`, `-Infinity`.
/// Equality is structural: `.integer(1) != .float(1.0)`, object key order matters, and `.float(.nan)` follows
/// IEEE rules (it never equals itself).
public enum JSONValue: Sendable, Hashable {
    /// `null` (Python's `None`).
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// An exact integer of any size.
    case integer(JSONInteger)
    /// A binary64 float, including `NaN`, infinities and `-0.0`.
    case float(Double)
    /// A string of Unicode scalars.
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object with ordered string keys.
    case object(JSONObject)

    /// The value for `key` when this is an object, otherwise `nil`.
    public subscript(key: String) -> JSONValue? {
        if case .object(let object) = self { return object[key] }
        return nil
    }

    /// The JSON name of this value's type, for messages: null, boolean, integer, float, string, array, object.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .integer: return "integer"
        case .float: return "float"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }

    /// The object when this is `.object`, otherwise `nil`.
    public var objectValue: JSONObject? {
        if case .object(let object) = self { return object }
        return nil
    }

    /// The elements when this is `.array`, otherwise `nil`.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The string when this is `.string`, otherwise `nil`.
    public var stringValue: String? {
        if case .string(let string) = self { return string }
        return nil
    }

    /// The flag when this is `.bool`, otherwise `nil`.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// The exact integer when this is `.integer`, otherwise `nil`.
    public var integerValue: JSONInteger? {
        if case .integer(let integer) = self { return integer }
        return nil
    }

    /// The number as a `Double` when this is `.integer` or `.float` (not `.bool`), otherwise `nil`.
    public var doubleValue: Double? {
        switch self {
        case .integer(let integer): integer.doubleValue
        case .float(let double): double
        default: nil
        }
    }
}

extension JSONValue: ExpressibleByBooleanLiteral {
    /// Creates `.bool` from a literal.
    public init(booleanLiteral value: Bool) {
        self = .bool(value)
    }
}

extension JSONValue: ExpressibleByIntegerLiteral {
    /// Creates `.integer` from a literal.
    public init(integerLiteral value: Int) {
        self = .integer(JSONInteger(value))
    }
}

extension JSONValue: ExpressibleByFloatLiteral {
    /// Creates `.float` from a literal.
    public init(floatLiteral value: Double) {
        self = .float(value)
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    /// Creates `.string` from a literal.
    public init(stringLiteral value: String) {
        self = .string(value)
    }
}

extension JSONValue: ExpressibleByArrayLiteral {
    /// Creates `.array` from a literal.
    public init(arrayLiteral elements: JSONValue...) {
        self = .array(elements)
    }
}

extension JSONValue: ExpressibleByDictionaryLiteral {
    /// Creates `.object` from a literal; a repeated key keeps its first position and its last value.
    public init(dictionaryLiteral elements: (String, JSONValue)...) {
        self = .object(JSONObject(elements))
    }
}
