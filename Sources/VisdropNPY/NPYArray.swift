// Temporary stub of VisdropNPY's public types so VisdropPNG can be written in parallel.
// Drop this file at merge in favour of the real VisdropNPY module.

/// The element type of a `.npy` array.
public enum NPYElementType: Sendable, Hashable {
    case bool, int8, int16, int32, int64, uint8, uint16, uint32, uint64, float16, float32, float64
}

/// A decoded `.npy` array: native little-endian bytes in C order.
public struct NPYArray: Sendable {
    /// The element type.
    public let elementType: NPYElementType
    /// The dimensions, outermost first.
    public let shape: [Int]
    /// The raw element bytes, native little-endian, C order.
    public let data: [UInt8]

    /// Creates an array from its parts without validating them.
    public init(elementType: NPYElementType, shape: [Int], data: [UInt8]) {
        self.elementType = elementType
        self.shape = shape
        self.data = data
    }
}
