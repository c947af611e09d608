extension JSONScanner {
    /// Reads a string literal starting at its opening quote, validating UTF-8 and decoding escapes.
    mutating func parseString() throws(JSONParseError) -> String {
        let openingQuote = position
        position += 1
        let contentStart = position
        // Fast path: no escapes, so the bytes between the quotes are the string.
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                let string = String(
                    decoding: UnsafeBufferPointer(rebasing: bytes[contentStart..<position]), as: UTF8.self)
                position += 1
                return string
            }
            if byte == UInt8(ascii: "\\") { break }
            try skipStringCharacter(byte)
        }
        guard position < end else { throw .unterminatedString(at: location(of: openingQuote)) }
        var decoded: [UInt8] = []
        decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[contentStart..<position]))
        while position < end {
            let byte = bytes[position]
            if byte == UInt8(ascii: "\"") {
                position += 1
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte == UInt8(ascii: "\\") {
                try appendEscape(to: &decoded, openingQuote: openingQuote)
            } else {
                let characterStart = position
                try skipStringCharacter(byte)
                decoded.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[characterStart..<position]))
            }
        }
        throw .unterminatedString(at: location(of: openingQuote))
    }

    /// Moves past one unescaped character (`byte` is its first byte), rejecting control characters and bad UTF-8.
    private mutating func skipStringCharacter(_ byte: UInt8) throws(JSONParseError) {
        if byte >= 0x20, byte < 0x80 {
            position += 1
            return
        }
        if byte < 0x20 { throw .controlCharacterInString(byte, at: location(of: position)) }
        switch UTF8Decoder.decode(bytes, at: position, end: end) {
        case .scalar(_, let length):
            position += length
        case .invalid:
            throw .invalidUTF8(byte, at: location(of: position))
        }
    }

    /// Decodes the escape at `position` (a backslash) and appends its UTF-8 bytes.
    private mutating func appendEscape(to decoded: inout [UInt8], openingQuote: Int) throws(JSONParseError) {
        let backslash = position
        guard position + 1 < end else { throw .unterminatedString(at: location(of: openingQuote)) }
        let code = bytes[position + 1]
        position += 2
        switch code {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): decoded.append(code)
        case UInt8(ascii: "b"): decoded.append(0x08)
        case UInt8(ascii: "f"): decoded.append(0x0C)
        case UInt8(ascii: "n"): decoded.append(0x0A)
        case UInt8(ascii: "r"): decoded.append(0x0D)
        case UInt8(ascii: "t"): decoded.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try readHexQuad(escapeStart: backslash)
            var value = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed by a `\u` escape of a low surrogate (as Python pairs them).
                let secondEscape = position
                guard end - position >= 2, bytes[position] == UInt8(ascii: "\\"),
                    bytes[position + 1] == UInt8(ascii: "u")
                else { throw .loneSurrogate(unit, at: location(of: backslash)) }
                position += 2
                let low = try readHexQuad(escapeStart: secondEscape)
                guard (0xDC00...0xDFFF).contains(low) else {
                    throw .loneSurrogate(unit, at: location(of: backslash))
                }
                value = 0x1_0000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            }
            guard let scalar = Unicode.Scalar(value) else {
                throw .loneSurrogate(unit, at: location(of: backslash))
            }
            UTF8Decoder.append(scalar, to: &decoded)
        default:
            switch UTF8Decoder.decode(bytes, at: backslash + 1, end: end) {
            case .scalar(let scalar, _):
                throw .invalidEscape(scalar, at: location(of: backslash))
            case .invalid:
                throw .invalidUTF8(code, at: location(of: backslash + 1))
            }
        }
    }

    /// Reads the four hex digits after `\u`; errors point at the `u`, as Python's do.
    private mutating func readHexQuad(escapeStart: Int) throws(JSONParseError) -> UInt16 {
        guard end - position >= 4 else { throw .invalidUnicodeEscape(at: location(of: escapeStart + 1)) }
        var unit: UInt16 = 0
        for _ in 0..<4 {
            let byte = bytes[position]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw .invalidUnicodeEscape(at: location(of: escapeStart + 1))
            }
            unit = unit << 4 | UInt16(digit)
            position += 1
        }
        return unit
    }
}
