/// The byte-level JSON reader behind `JSONParser`, following the grammar of Python's `json.loads`.
///
/// It reads `bytes[position..<end]`; offsets in errors count from the start of `bytes`, so a JSON Lines
/// line scanned in place reports positions within the whole file. Nesting is handled with explicit stacks,
/// never with recursion, so deep input cannot overflow the call stack.
struct JSONScanner {
    /// Python's default `sys.get_int_max_str_digits()`: `json.loads` rejects longer integer literals.
    static let integerDigitLimit = 4300

    let bytes: UnsafeBufferPointer<UInt8>
    let end: Int
    let maximumDepth: Int
    var position: Int

    /// One open array or object: where its elements start on the shared stacks.
    private struct OpenContainer {
        let isObject: Bool
        let firstValue: Int
        let firstKey: Int
    }

    init(bytes: UnsafeBufferPointer<UInt8>, start: Int, end: Int, maximumDepth: Int) {
        self.bytes = bytes
        self.position = start
        self.end = end
        self.maximumDepth = maximumDepth
    }

    /// Calls `body` with a scanner over each line of `bytes[start...]` (lines end at `\n`) that
    /// holds more than whitespace, positioned at its first other byte; stops, returning `false`,
    /// as soon as `body` does.
    static func forEachNonBlankLine<Failure: Error>(
        in bytes: UnsafeBufferPointer<UInt8>, from start: Int, maximumDepth: Int,
        _ body: (inout JSONScanner) throws(Failure) -> Bool
    ) throws(Failure) -> Bool {
        var lineStart = start
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count, bytes[lineEnd] != UInt8(ascii: "\n") { lineEnd += 1 }
            var scanner = JSONScanner(
                bytes: bytes, start: lineStart, end: lineEnd, maximumDepth: maximumDepth)
            if !scanner.isAtEndAfterWhitespace() {
                guard try body(&scanner) else { return false }
            }
            lineStart = lineEnd + 1
        }
        return true
    }

    /// Whether only whitespace remains before `end`, after skipping it.
    mutating func isAtEndAfterWhitespace() -> Bool {
        skipWhitespace()
        return position >= end
    }

    /// Reads exactly one value surrounded by optional whitespace, up to `end`.
    mutating func parseDocument() throws(JSONParseError) -> JSONValue {
        let value = try parseValue()
        skipWhitespace()
        guard position >= end else { throw .extraData(at: location(of: position)) }
        return value
    }

    /// Reads one value (with leading whitespace) without recursion.
    mutating func parseValue() throws(JSONParseError) -> JSONValue {
        var containers: [OpenContainer] = []
        var values: [JSONValue] = []
        var keys: [String] = []
        nextValue: while true {
            skipWhitespace()
            guard position < end else {
                throw .unexpectedEndOfInput(expecting: .value, at: location(of: position))
            }
            var value: JSONValue
            switch bytes[position] {
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                let isObject = bytes[position] == UInt8(ascii: "{")
                guard containers.count < maximumDepth else {
                    throw .nestingTooDeep(limit: maximumDepth, at: location(of: position))
                }
                position += 1
                skipWhitespace()
                if position < end, bytes[position] == (isObject ? UInt8(ascii: "}") : UInt8(ascii: "]")) {
                    position += 1
                    value = isObject ? .object(JSONObject()) : .array([])
                } else {
                    containers.append(
                        OpenContainer(isObject: isObject, firstValue: values.count, firstKey: keys.count))
                    if isObject { keys.append(try parseKeyAndColon()) }
                    continue nextValue
                }
            case UInt8(ascii: "\""):
                value = .string(try parseString())
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                value = try parseNumber()
            case UInt8(ascii: "t"):
                try expectLiteral("true")
                value = .bool(true)
            case UInt8(ascii: "f"):
                try expectLiteral("false")
                value = .bool(false)
            case UInt8(ascii: "n"):
                try expectLiteral("null")
                value = .null
            case UInt8(ascii: "N"):
                try expectLiteral("NaN")
                value = .float(.nan)
            case UInt8(ascii: "I"):
                try expectLiteral("Infinity")
                value = .float(.infinity)
            default:
                throw unexpectedCharacter(expecting: .value)
            }
            // A value is complete: add it to the innermost container, closing containers as they end.
            while let container = containers.last {
                values.append(value)
                skipWhitespace()
                let expectation: JSONParseError.Expectation =
                    container.isObject ? .commaOrClosingBrace : .commaOrClosingBracket
                guard position < end else {
                    throw .unexpectedEndOfInput(expecting: expectation, at: location(of: position))
                }
                let byte = bytes[position]
                if byte == UInt8(ascii: ",") {
                    position += 1
                    if container.isObject { keys.append(try parseKeyAndColon()) }
                    continue nextValue
                }
                if container.isObject, byte == UInt8(ascii: "}") {
                    value = .object(
                        JSONObject(keys: keys[container.firstKey...], values: values[container.firstValue...])
                    )
                    keys.removeSubrange(container.firstKey...)
                } else if !container.isObject, byte == UInt8(ascii: "]") {
                    value = .array(Array(values[container.firstValue...]))
                } else {
                    throw unexpectedCharacter(expecting: expectation)
                }
                position += 1
                values.removeSubrange(container.firstValue...)
                containers.removeLast()
            }
            return value
        }
    }

    mutating func skipWhitespace() {
        while position < end {
            switch bytes[position] {
            case UInt8(ascii: " "), UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\t"):
                position += 1
            default:
                return
            }
        }
    }

    /// Reads `"key"` and the `:` after it, with the whitespace around them.
    private mutating func parseKeyAndColon() throws(JSONParseError) -> String {
        skipWhitespace()
        guard position < end else {
            throw .unexpectedEndOfInput(expecting: .propertyName, at: location(of: position))
        }
        guard bytes[position] == UInt8(ascii: "\"") else {
            throw unexpectedCharacter(expecting: .propertyName)
        }
        let key = try parseString()
        skipWhitespace()
        guard position < end else {
            throw .unexpectedEndOfInput(expecting: .colon, at: location(of: position))
        }
        guard bytes[position] == UInt8(ascii: ":") else { throw unexpectedCharacter(expecting: .colon) }
        position += 1
        return key
    }

    /// Consumes `literal` at `position`, which starts with its first character.
    mutating func expectLiteral(_ literal: StaticString, startingAt start: Int? = nil)
        throws(JSONParseError)
    {
        let literalStart = start ?? position
        let count = literal.utf8CodeUnitCount
        guard end - position >= count else { throw .invalidLiteral(at: location(of: literalStart)) }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: count)
        for index in 0..<count where bytes[position + index] != expected[index] {
            throw .invalidLiteral(at: location(of: literalStart))
        }
        position += count
    }

    /// A number's text as matched, before it becomes a value.
    enum NumberToken {
        /// `-?(0|[1-9][0-9]*)`.
        case integer(UnsafeBufferPointer<UInt8>)
        /// A number with a fraction or an exponent.
        case float(UnsafeBufferPointer<UInt8>)
        /// The bare word `-Infinity`.
        case negativeInfinity
    }

    /// Reads a number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?` or `-Infinity`.
    private mutating func parseNumber() throws(JSONParseError) -> JSONValue {
        let start = position
        switch try scanNumber() {
        case .negativeInfinity:
            return .float(-.infinity)
        case .integer(let text):
            try checkIntegerLength(text, start: start)
            return .integer(JSONInteger(validatedBytes: text))
        case .float(let text):
            guard let double = Self.double(text) else {
                throw .invalidNumber(.unconvertible, at: location(of: start))
            }
            return .float(double)
        }
    }

    /// Refuses an integer literal longer than Python's default limit, as `json.loads` does.
    private func checkIntegerLength(_ text: UnsafeBufferPointer<UInt8>, start: Int) throws(JSONParseError) {
        let digitCount = text.count - (text.first == UInt8(ascii: "-") ? 1 : 0)
        guard digitCount <= Self.integerDigitLimit else {
            throw .integerTooLong(
                digitCount: digitCount, limit: Self.integerDigitLimit, at: location(of: start))
        }
    }

    /// The correctly rounded `Double` of a float's matched text (an infinity when it overflows).
    static func double(_ text: UnsafeBufferPointer<UInt8>) -> Double? {
        Double(String(decoding: text, as: UTF8.self))
    }

    /// Matches a number's grammar at `position` (a `-` or a digit) and moves past it.
    mutating func scanNumber() throws(JSONParseError) -> NumberToken {
        let start = position
        let isNegative = bytes[position] == UInt8(ascii: "-")
        if isNegative {
            position += 1
            if position < end, bytes[position] == UInt8(ascii: "I") {
                try expectLiteral("Infinity", startingAt: start)
                return .negativeInfinity
            }
            guard isDigit(at: position) else {
                throw .invalidNumber(.missingDigitAfterMinus, at: location(of: start))
            }
        }
        if bytes[position] == UInt8(ascii: "0") {
            position += 1
            if isDigit(at: position) { throw .invalidNumber(.leadingZero, at: location(of: position)) }
        } else {
            skipDigits()
        }
        var isInteger = true
        if position < end, bytes[position] == UInt8(ascii: ".") {
            let decimalPoint = position
            position += 1
            guard isDigit(at: position) else {
                throw .invalidNumber(.missingFractionDigit, at: location(of: decimalPoint))
            }
            skipDigits()
            isInteger = false
        }
        if position < end, bytes[position] | 0x20 == UInt8(ascii: "e") {
            let exponentMarker = position
            position += 1
            if position < end, bytes[position] == UInt8(ascii: "+") || bytes[position] == UInt8(ascii: "-") {
                position += 1
            }
            guard isDigit(at: position) else {
                throw .invalidNumber(.missingExponentDigit, at: location(of: exponentMarker))
            }
            skipDigits()
            isInteger = false
        }
        let text = UnsafeBufferPointer(rebasing: bytes[start..<position])
        return isInteger ? .integer(text) : .float(text)
    }

    private func isDigit(at index: Int) -> Bool {
        index < end && bytes[index] &- UInt8(ascii: "0") < 10
    }

    private mutating func skipDigits() {
        while isDigit(at: position) { position += 1 }
    }

    /// The error for the character at `position`: `invalidUTF8` when it is not valid UTF-8.
    private func unexpectedCharacter(expecting expectation: JSONParseError.Expectation) -> JSONParseError {
        switch UTF8Decoder.decode(bytes, at: position, end: end) {
        case .scalar(let scalar, _):
            .unexpectedCharacter(scalar, expecting: expectation, at: location(of: position))
        case .invalid:
            .invalidUTF8(bytes[position], at: location(of: position))
        }
    }

    /// The line and column of a byte offset, computed only when an error is reported.
    func location(of offset: Int) -> JSONSourceLocation {
        var line = 1
        var lineStart = 0
        for index in 0..<offset where bytes[index] == UInt8(ascii: "\n") {
            line += 1
            lineStart = index + 1
        }
        var column = 1
        for index in lineStart..<offset where bytes[index] & 0xC0 != 0x80 {
            column += 1
        }
        return JSONSourceLocation(offset: offset, line: line, column: column)
    }
}
