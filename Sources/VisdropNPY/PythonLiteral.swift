/// One value of the Python literal subset a `.npy` header may contain, with where it came from.
struct PythonLiteral: Sendable, Equatable {
    /// The shape of the value.
    enum Kind: Sendable, Equatable {
        /// A quoted string (without escapes: numpy never writes them, and this parser refuses them).
        case string(String)
        /// A decimal integer; `value` is nil when it does not fit in `Int`.
        case integer(value: Int?, isNegative: Bool)
        /// `True` or `False`.
        case boolean(Bool)
        /// A parenthesised tuple such as `(3, 4)`, `(3,)` or `()`.
        case tuple([PythonLiteral])
        /// A bracketed list such as `[('x', '<f4')]` (only structured dtypes use these).
        case list([PythonLiteral])
    }

    /// What the value is.
    let kind: Kind
    /// The byte offset of its first character in the file.
    let offset: Int
    /// The source text of the value, for error messages.
    let text: String
}

/// A hand-written parser for exactly the Python dictionary literal a `.npy` header holds.
///
/// Grammar: `{` (string `:` value (`,` string `:` value)* `,`?)? `}` surrounded by whitespace, where a
/// value is a single- or double-quoted string without backslash escapes, a decimal integer (optionally negative; with a Python 2
/// `L` suffix in versions 1.0 and 2.0), `True`, `False`, a tuple or a list of values. Nothing is evaluated.
struct PythonLiteralParser {
    /// Deepest nesting of tuples and lists accepted; real headers nest at most three levels.
    static let maximumNesting = 16

    private let bytes: [UInt8]
    private let end: Int
    private let isUTF8: Bool
    private let acceptsLongSuffix: Bool
    private var position: Int

    /// Prepares to parse `bytes[range]`; `isUTF8` selects UTF-8 (version 3.0) over Latin-1 text.
    init(bytes: [UInt8], range: Range<Int>, isUTF8: Bool, acceptsLongSuffix: Bool) {
        self.bytes = bytes
        self.end = range.upperBound
        self.position = range.lowerBound
        self.isUTF8 = isUTF8
        self.acceptsLongSuffix = acceptsLongSuffix
    }

    /// Parses the whole range as one dictionary literal with string keys, in source order.
    mutating func parseDictionary() throws(NPYError) -> [(key: PythonLiteral, value: PythonLiteral)] {
        skipWhitespace()
        guard peek() == UInt8(ascii: "{") else {
            throw malformed("the header must start with '{' (a Python dictionary literal)")
        }
        position += 1
        var entries: [(key: PythonLiteral, value: PythonLiteral)] = []
        while true {
            skipWhitespace()
            if peek() == UInt8(ascii: "}") {
                position += 1
                break
            }
            guard let byte = peek() else { throw malformed("the header ends before the closing '}'") }
            guard byte == UInt8(ascii: "'") || byte == UInt8(ascii: "\"") else {
                throw malformed("expected a quoted key such as 'descr' or the closing '}'")
            }
            let key = try parseString()
            skipWhitespace()
            guard peek() == UInt8(ascii: ":") else {
                throw malformed("expected ':' after the key \(key.text)")
            }
            position += 1
            let value = try parseValue(depth: 0)
            entries.append((key, value))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                position += 1
            } else if peek() != UInt8(ascii: "}") {
                throw malformed("expected ',' or '}' after the value of \(key.text)")
            }
        }
        skipWhitespace()
        guard position == end else {
            throw malformed("unexpected text after the closing '}' (only spaces and a newline may follow)")
        }
        return entries
    }

    private mutating func parseValue(depth: Int) throws(NPYError) -> PythonLiteral {
        skipWhitespace()
        guard let byte = peek() else { throw malformed("the header ends where a value was expected") }
        switch byte {
        case UInt8(ascii: "'"), UInt8(ascii: "\""):
            return try parseString()
        case UInt8(ascii: "("):
            return try parseSequence(depth: depth, close: UInt8(ascii: ")"))
        case UInt8(ascii: "["):
            return try parseSequence(depth: depth, close: UInt8(ascii: "]"))
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return try parseInteger()
        case UInt8(ascii: "T"), UInt8(ascii: "F"):
            return try parseBoolean()
        default:
            throw malformed(
                "unexpected character \(describe(byte)): values must be quoted strings, integers, "
                    + "True, False, tuples or lists")
        }
    }

    /// Parses `(...)` or `[...]`. A parenthesised single value without a comma is that value, as in Python.
    private mutating func parseSequence(depth: Int, close: UInt8) throws(NPYError) -> PythonLiteral {
        let start = position
        guard depth < Self.maximumNesting else {
            throw malformed("tuples and lists are nested more than \(Self.maximumNesting) levels deep")
        }
        position += 1
        var elements: [PythonLiteral] = []
        var sawComma = false
        while true {
            skipWhitespace()
            if peek() == close {
                position += 1
                break
            }
            guard peek() != nil else {
                throw malformed("the header ends inside a \(close == UInt8(ascii: ")") ? "tuple" : "list")")
            }
            elements.append(try parseValue(depth: depth + 1))
            skipWhitespace()
            if peek() == UInt8(ascii: ",") {
                position += 1
                sawComma = true
            } else if peek() != close {
                throw malformed("expected ',' or '\(Character(Unicode.Scalar(close)))' in a sequence")
            }
        }
        if close == UInt8(ascii: "]") {
            return PythonLiteral(kind: .list(elements), offset: start, text: text(start..<position))
        }
        if elements.count == 1 && !sawComma {
            let inner = elements[0]
            return PythonLiteral(kind: inner.kind, offset: start, text: text(start..<position))
        }
        return PythonLiteral(kind: .tuple(elements), offset: start, text: text(start..<position))
    }

    private mutating func parseString() throws(NPYError) -> PythonLiteral {
        let start = position
        let quote = bytes[position]
        position += 1
        var content: [UInt8] = []
        while true {
            guard let byte = peek(), byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") else {
                throw NPYError.malformedHeader(reason: "unterminated string", offset: start)
            }
            position += 1
            if byte == quote { break }
            if byte == UInt8(ascii: "\\") {
                throw NPYError.malformedHeader(
                    reason: "backslash escapes in header strings are not supported (numpy never writes them)",
                    offset: position - 1)
            }
            content.append(byte)
        }
        return PythonLiteral(kind: .string(decode(content)), offset: start, text: text(start..<position))
    }

    private mutating func parseInteger() throws(NPYError) -> PythonLiteral {
        let start = position
        let isNegative = peek() == UInt8(ascii: "-")
        if isNegative {
            position += 1
            skipWhitespace()
        }
        let digitsStart = position
        var value: Int? = 0
        while let byte = peek(), byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") {
            position += 1
            if let current = value {
                let (times10, overflow1) = current.multipliedReportingOverflow(by: 10)
                let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - UInt8(ascii: "0")))
                value = overflow1 || overflow2 ? nil : sum
            }
        }
        let digitCount = position - digitsStart
        guard digitCount > 0 else { throw malformed("expected digits after '-'") }
        if digitCount > 1 && bytes[digitsStart] == UInt8(ascii: "0") {
            throw NPYError.malformedHeader(
                reason: "integers may not have leading zeros (Python rejects them)", offset: start)
        }
        if acceptsLongSuffix, peek() == UInt8(ascii: "L") || peek() == UInt8(ascii: "l") {
            position += 1
        }
        if let byte = peek(), isIdentifierOrNumberByte(byte) {
            throw malformed("numbers in the header must be plain decimal integers")
        }
        return PythonLiteral(
            kind: .integer(value: isNegative ? value.map { -$0 } : value, isNegative: isNegative),
            offset: start, text: text(start..<position))
    }

    private mutating func parseBoolean() throws(NPYError) -> PythonLiteral {
        let start = position
        while let byte = peek(), isIdentifierOrNumberByte(byte) { position += 1 }
        let word = text(start..<position)
        switch word {
        case "True":
            return PythonLiteral(kind: .boolean(true), offset: start, text: word)
        case "False":
            return PythonLiteral(kind: .boolean(false), offset: start, text: word)
        default:
            throw NPYError.malformedHeader(
                reason: "unexpected name '\(word)': the only names allowed are True and False", offset: start)
        }
    }

    // MARK: - Helpers

    private func peek() -> UInt8? {
        position < end ? bytes[position] : nil
    }

    private mutating func skipWhitespace() {
        while let byte = peek(),
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\t")
                || byte == UInt8(ascii: "\r") || byte == 0x0C
        {
            position += 1
        }
    }

    private func isIdentifierOrNumberByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
            || byte == UInt8(ascii: ".") || byte >= 0x80
    }

    private func malformed(_ reason: String) -> NPYError {
        .malformedHeader(reason: reason, offset: position)
    }

    private func describe(_ byte: UInt8) -> String {
        if byte >= 0x20 && byte < 0x7F { return "'\(Character(Unicode.Scalar(byte)))'" }
        return "byte 0x" + String(byte, radix: 16)
    }

    private func text(_ range: Range<Int>) -> String {
        decode(bytes[range])
    }

    /// Decodes header bytes as UTF-8 (version 3.0) or Latin-1 (versions 1.0 and 2.0), as numpy does.
    /// ASCII, which every header numpy writes is, reads the same both ways: decoded at once.
    private func decode<Bytes: Collection<UInt8>>(_ raw: Bytes) -> String {
        if isUTF8 || raw.allSatisfy({ $0 < 0x80 }) { return String(decoding: raw, as: UTF8.self) }
        var result = ""
        result.unicodeScalars.append(contentsOf: raw.map { Unicode.Scalar($0) })
        return result
    }
}
