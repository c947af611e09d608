/// Encodes arrays as `.npy` files byte for byte as `numpy.save` does for little-endian C-order arrays.
public enum NPYWriter {
    /// numpy pads the header so the data starts at a multiple of this many bytes.
    static let alignment = 64
    /// numpy leaves room for the growth axis to reach this many digits (`GROWTH_AXIS_MAX_DIGITS`).
    static let growthAxisMaximumDigits = 21

    /// The complete `.npy` file (version 1.0, little-endian, C order) holding `array`.
    public static func encode(_ array: NPYArray) -> [UInt8] {
        let shapeText = pythonTuple(array.shape)
        var header =
            "{'descr': '\(array.elementType.littleEndianDescr)', 'fortran_order': False, 'shape': \(shapeText), }"
        if let first = array.shape.first {
            header += String(
                repeating: " ", count: max(0, growthAxisMaximumDigits - String(first).utf8.count))
        }
        var headerBytes = Array(header.utf8)
        // Version 1.0 stores the length in two bytes: magic (6) + version (2) + length (2) = 10.
        let preludeLength = NPYHeader.magic.count + 4
        let padding = alignment - (preludeLength + headerBytes.count + 1) % alignment
        headerBytes += [UInt8](repeating: UInt8(ascii: " "), count: padding)
        headerBytes.append(UInt8(ascii: "\n"))
        let headerLength = headerBytes.count
        var file = NPYHeader.magic
        file.reserveCapacity(preludeLength + headerLength + array.data.count)
        file += [1, 0, UInt8(truncatingIfNeeded: headerLength), UInt8(truncatingIfNeeded: headerLength >> 8)]
        file += headerBytes
        file += array.data
        return file
    }

    /// The Python `repr` of a tuple of integers: `()`, `(5,)`, `(2, 3)` — how numpy writes a shape,
    /// in the header and in the package's error messages.
    package static func pythonTuple(_ values: [Int]) -> String {
        if values.count == 1 { return "(\(values[0]),)" }
        return "(" + values.map { String($0) }.joined(separator: ", ") + ")"
    }
}
