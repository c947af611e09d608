/// Strict UTF-8 decoding of one scalar, as Python's `bytes.decode("utf-8")` accepts it.
///
/// Rejects overlong forms, encoded surrogates (which no Swift `String` can hold) and values above U+10FFFF.
enum UTF8Decoder {
    /// The outcome of decoding the scalar at some offset.
    enum Outcome {
        /// A valid scalar and the number of bytes it took.
        case scalar(Unicode.Scalar, length: Int)
        /// The bytes at the offset do not start a valid sequence (Python's `UnicodeDecodeError` names that offset).
        case invalid
    }

    /// Decodes the scalar starting at `index`, reading no further than `end`.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int, end: Int) -> Outcome {
        let lead = bytes[index]
        if lead < 0x80 {
            return .scalar(Unicode.Scalar(lead), length: 1)
        }
        let length: Int
        let secondByteRange: ClosedRange<UInt8>
        switch lead {
        case 0xC2...0xDF: (length, secondByteRange) = (2, 0x80...0xBF)
        case 0xE0: (length, secondByteRange) = (3, 0xA0...0xBF)
        case 0xE1...0xEC, 0xEE...0xEF: (length, secondByteRange) = (3, 0x80...0xBF)
        case 0xED: (length, secondByteRange) = (3, 0x80...0x9F)
        case 0xF0: (length, secondByteRange) = (4, 0x90...0xBF)
        case 0xF1...0xF3: (length, secondByteRange) = (4, 0x80...0xBF)
        case 0xF4: (length, secondByteRange) = (4, 0x80...0x8F)
        default: return .invalid
        }
        guard end - index >= length, secondByteRange.contains(bytes[index + 1]) else { return .invalid }
        var value = UInt32(lead) & (0xFF >> (length + 1))
        value = value << 6 | UInt32(bytes[index + 1] & 0x3F)
        for offset in index + 2..<index + length {
            let byte = bytes[offset]
            guard byte & 0xC0 == 0x80 else { return .invalid }
            value = value << 6 | UInt32(byte & 0x3F)
        }
        guard let scalar = Unicode.Scalar(value) else { return .invalid }
        return .scalar(scalar, length: length)
    }

    /// Appends the UTF-8 encoding of `scalar` to `buffer`.
    static func append(_ scalar: Unicode.Scalar, to buffer: inout [UInt8]) {
        let value = scalar.value
        switch value {
        case ..<0x80:
            buffer.append(UInt8(value))
        case ..<0x800:
            buffer.append(UInt8(0xC0 | value >> 6))
            buffer.append(UInt8(0x80 | value & 0x3F))
        case ..<0x1_0000:
            buffer.append(UInt8(0xE0 | value >> 12))
            buffer.append(UInt8(0x80 | value >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | value & 0x3F))
        default:
            buffer.append(UInt8(0xF0 | value >> 18))
            buffer.append(UInt8(0x80 | value >> 12 & 0x3F))
            buffer.append(UInt8(0x80 | value >> 6 & 0x3F))
            buffer.append(UInt8(0x80 | value & 0x3F))
        }
    }
}
