/// The element types a `.npy` file may hold for this reader: booleans, integers and IEEE floats.
public enum NPYElementType: Sendable, Hashable, CaseIterable {
    /// numpy `bool` (`|b1`): one byte, 0 or 1.
    case bool
    /// numpy `int8` (`|i1`).
    case int8
    /// numpy `int16` (`<i2`).
    case int16
    /// numpy `int32` (`<i4`).
    case int32
    /// numpy `int64` (`<i8`).
    case int64
    /// numpy `uint8` (`|u1`).
    case uint8
    /// numpy `uint16` (`<u2`).
    case uint16
    /// numpy `uint32` (`<u4`).
    case uint32
    /// numpy `uint64` (`<u8`).
    case uint64
    /// numpy `float16` (`<f2`), IEEE 754 half precision.
    case float16
    /// numpy `float32` (`<f4`).
    case float32
    /// numpy `float64` (`<f8`).
    case float64

    /// The size of one element in bytes.
    public var byteWidth: Int {
        switch self {
        case .bool, .int8, .uint8: return 1
        case .int16, .uint16, .float16: return 2
        case .int32, .uint32, .float32: return 4
        case .int64, .uint64, .float64: return 8
        }
    }

    /// numpy's name for the type, as in `numpy.dtype(name)`: `"uint8"`, `"float32"`, ...
    public var numpyName: String {
        switch self {
        case .bool: return "bool"
        case .int8: return "int8"
        case .int16: return "int16"
        case .int32: return "int32"
        case .int64: return "int64"
        case .uint8: return "uint8"
        case .uint16: return "uint16"
        case .uint32: return "uint32"
        case .uint64: return "uint64"
        case .float16: return "float16"
        case .float32: return "float32"
        case .float64: return "float64"
        }
    }

    /// The little-endian descriptor numpy writes for this type: `"|u1"`, `"<f4"`, `"|b1"`, ...
    public var littleEndianDescr: String {
        let order = byteWidth == 1 ? "|" : "<"
        return order + String(kindCharacter) + String(byteWidth)
    }

    /// True for the integer types, signed or not.
    public var isInteger: Bool {
        switch self {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: return true
        case .bool, .float16, .float32, .float64: return false
        }
    }

    /// True for float16, float32 and float64.
    public var isFloatingPoint: Bool {
        switch self {
        case .float16, .float32, .float64: return true
        default: return false
        }
    }

    /// numpy's kind character: `b` (bool), `i` (signed), `u` (unsigned) or `f` (float).
    var kindCharacter: Character {
        switch self {
        case .bool: return "b"
        case .int8, .int16, .int32, .int64: return "i"
        case .uint8, .uint16, .uint32, .uint64: return "u"
        case .float16, .float32, .float64: return "f"
        }
    }
}
