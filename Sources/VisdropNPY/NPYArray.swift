/// An n-dimensional numpy array held in memory, normalized for easy consumption.
///
/// `data` is always little-endian and in C (row-major) order, whatever the file used; booleans are
/// exactly 0 or 1. Element `[i, j, k]` of a `(d0, d1, d2)` array starts at byte
/// `((i * d1 + j) * d2 + k) * elementType.byteWidth`.
public struct NPYArray: Sendable, Hashable {
    /// The type of every element.
    public let elementType: NPYElementType
    /// The dimensions, outermost first; empty for a 0-d (scalar) array.
    public let shape: [Int]
    /// The elements' bytes: little-endian, C order, `count * elementType.byteWidth` bytes.
    public let data: [UInt8]

    /// Wraps data already known to be normalized and of the right size.
    init(normalizedElementType elementType: NPYElementType, shape: [Int], data: [UInt8]) {
        self.elementType = elementType
        self.shape = shape
        self.data = data
    }

    /// Creates an array from little-endian, C-order bytes, checking that their size matches `shape`.
    ///
    /// Boolean bytes other than 0 are stored as 1.
    public init(elementType: NPYElementType, shape: [Int], data: [UInt8]) throws(NPYError) {
        let byteCount = try Self.byteCount(elementType: elementType, shape: shape)
        guard byteCount == data.count else {
            throw .dataSizeMismatch(expected: byteCount, actual: data.count)
        }
        var data = data
        if elementType == .bool { NPYLayoutConverter.normalizeBooleans(&data) }
        self.init(normalizedElementType: elementType, shape: shape, data: data)
    }

    /// Creates an array of `shape` from elements listed in C order.
    public init<Element: NPYElement>(shape: [Int], elements: [Element]) throws(NPYError) {
        let elementType = Element.npyElementType
        let byteCount = try Self.byteCount(elementType: elementType, shape: shape)
        let width = MemoryLayout<Element>.size
        guard width == elementType.byteWidth, elements.count &* width == byteCount else {
            throw .dataSizeMismatch(expected: byteCount, actual: elements.count &* width)
        }
        var data = elements.withUnsafeBytes { [UInt8]($0) }
        #if _endian(big)
            NPYLayoutConverter.swapBytesInPlace(&data, width: width)
        #endif
        if elementType == .bool { NPYLayoutConverter.normalizeBooleans(&data) }
        self.init(normalizedElementType: elementType, shape: shape, data: data)
    }

    /// The number of elements: the product of `shape`, 1 for a 0-d array.
    public var count: Int {
        data.count / elementType.byteWidth
    }

    /// The elements in C order as `Element`, or nil when `Element` is not the array's element type.
    public func elements<Element: NPYElement>(as type: Element.Type) -> [Element]? {
        guard Element.npyElementType == elementType, MemoryLayout<Element>.size == elementType.byteWidth
        else {
            return nil
        }
        var bytes = data
        #if _endian(big)
            NPYLayoutConverter.swapBytesInPlace(&bytes, width: elementType.byteWidth)
        #endif
        return [Element](unsafeUninitializedCapacity: count) { buffer, initializedCount in
            bytes.withUnsafeBytes { raw in
                UnsafeMutableRawBufferPointer(buffer).copyMemory(from: raw)
            }
            initializedCount = count
        }
    }

    /// Every element converted to `Double`, in C order.
    ///
    /// Conversion is exact except for 64-bit integers beyond 2^53, which round to the nearest double.
    /// Booleans become 0 or 1; float16 values (including subnormals, infinities and NaN) convert exactly.
    public func doubleValues() -> [Double] {
        data.withUnsafeBytes { raw in
            switch elementType {
            case .bool, .uint8: return raw.map { Double($0) }
            case .int8: return raw.map { Double(Int8(bitPattern: $0)) }
            case .int16: return Self.convert(raw, Int16.self) { Double($0) }
            case .int32: return Self.convert(raw, Int32.self) { Double($0) }
            case .int64: return Self.convert(raw, Int64.self) { Double($0) }
            case .uint16: return Self.convert(raw, UInt16.self) { Double($0) }
            case .uint32: return Self.convert(raw, UInt32.self) { Double($0) }
            case .uint64: return Self.convert(raw, UInt64.self) { Double($0) }
            case .float16: return Self.convert(raw, UInt16.self) { HalfPrecision.double(fromBits: $0) }
            case .float32: return Self.convert(raw, UInt32.self) { Double(Float(bitPattern: $0)) }
            case .float64: return Self.convert(raw, UInt64.self) { Double(bitPattern: $0) }
            }
        }
    }

    private static func convert<Stored: FixedWidthInteger>(
        _ raw: UnsafeRawBufferPointer, _: Stored.Type, _ transform: (Stored) -> Double
    ) -> [Double] {
        let width = MemoryLayout<Stored>.size
        return (0..<(raw.count / width)).map { index in
            transform(Stored(littleEndian: raw.loadUnaligned(fromByteOffset: index * width, as: Stored.self)))
        }
    }

    /// The data size for `shape`, rejecting negative dimensions, too many dimensions and overflow.
    private static func byteCount(elementType: NPYElementType, shape: [Int]) throws(NPYError) -> Int {
        let shapeText = NPYWriter.pythonTuple(shape)
        guard shape.allSatisfy({ $0 >= 0 }) else {
            throw .invalidShape(shape: shapeText, reason: "dimensions must not be negative")
        }
        let limit = NPYLimits().maximumDimensions
        guard shape.count <= limit else { throw .tooManyDimensions(count: shape.count, limit: limit) }
        guard let count = NPYHeader.checkedProduct(shape),
            case (let bytes, false) = count.multipliedReportingOverflow(by: elementType.byteWidth)
        else { throw .shapeOverflow(shape: shapeText) }
        return bytes
    }
}

/// A Swift type whose values can be the elements of an `NPYArray`, with the same size and bit layout.
public protocol NPYElement: BitwiseCopyable, Sendable {
    /// The array element type this Swift type represents.
    static var npyElementType: NPYElementType { get }
}

extension Bool: NPYElement {
    /// `.bool`.
    public static var npyElementType: NPYElementType { .bool }
}
extension Int8: NPYElement {
    /// `.int8`.
    public static var npyElementType: NPYElementType { .int8 }
}
extension Int16: NPYElement {
    /// `.int16`.
    public static var npyElementType: NPYElementType { .int16 }
}
extension Int32: NPYElement {
    /// `.int32`.
    public static var npyElementType: NPYElementType { .int32 }
}
extension Int64: NPYElement {
    /// `.int64`.
    public static var npyElementType: NPYElementType { .int64 }
}
extension UInt8: NPYElement {
    /// `.uint8`.
    public static var npyElementType: NPYElementType { .uint8 }
}
extension UInt16: NPYElement {
    /// `.uint16`.
    public static var npyElementType: NPYElementType { .uint16 }
}
extension UInt32: NPYElement {
    /// `.uint32`.
    public static var npyElementType: NPYElementType { .uint32 }
}
extension UInt64: NPYElement {
    /// `.uint64`.
    public static var npyElementType: NPYElementType { .uint64 }
}
extension Float: NPYElement {
    /// `.float32`.
    public static var npyElementType: NPYElementType { .float32 }
}
extension Double: NPYElement {
    /// `.float64`.
    public static var npyElementType: NPYElementType { .float64 }
}
#if !((os(macOS) || targetEnvironment(macCatalyst)) && arch(x86_64))
    extension Float16: NPYElement {
        /// `.float16`.
        public static var npyElementType: NPYElementType { .float16 }
    }
#endif

/// IEEE 754 half-precision decoding that does not depend on the platform having `Float16`
/// (the one decoder of the package: VisdropPNG's float16 table uses it too).
package enum HalfPrecision {
    /// The exact `Double` value of the half-precision number with bit pattern `bits`.
    package static func double(fromBits bits: UInt16) -> Double {
        let sign: FloatingPointSign = bits & 0x8000 == 0 ? .plus : .minus
        let exponent = Int((bits >> 10) & 0x1F)
        let fraction = Double(bits & 0x3FF)
        switch exponent {
        case 0:
            return Double(sign: sign, exponent: -24, significand: fraction)
        case 0x1F:
            return fraction == 0 ? Double(sign: sign, exponent: 0, significand: .infinity) : .nan
        default:
            return Double(sign: sign, exponent: exponent - 25, significand: 1024 + fraction)
        }
    }
}
