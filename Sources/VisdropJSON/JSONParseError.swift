/// A position in parsed input: byte offset plus the line and column a text editor shows.
public struct JSONSourceLocation: Sendable, Hashable, CustomStringConvertible {
    /// The 0-based byte offset from the start of the input.
    public var offset: Int
    /// The 1-based line number (lines end at `\n`).
    public var line: Int
    /// The 1-based column, counted in characters (Unicode scalars) like Python's `json` errors.
    public var column: Int

    /// Creates a location.
    public init(offset: Int, line: Int, column: Int) {
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// The location as `line L, column C (byte offset O)`.
    public var description: String {
        "line \(line), column \(column) (byte offset \(offset))"
    }
}

/// Why `JSONParser` rejected its input, and where.
public enum JSONParseError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input (or, for JSON Lines, the line) ended where more was required.
    case unexpectedEndOfInput(expecting: Expectation, at: JSONSourceLocation)
    /// A character that cannot appear here.
    case unexpectedCharacter(Unicode.Scalar, expecting: Expectation, at: JSONSourceLocation)
    /// A word that starts like a literal but is not `true`, `false`, `null`, `NaN`, `Infinity` or `-Infinity`.
    case invalidLiteral(at: JSONSourceLocation)
    /// More data after a complete value (a document, or a JSON Lines line, holds exactly one value).
    case extraData(at: JSONSourceLocation)
    /// A malformed number such as `01`, `1.`, `1e` or `-x`.
    ///
    /// The location is where Python's `json` points: the extra digit after a leading `0`, the `.`,
    /// the exponent letter, or the `-`.
    case invalidNumber(NumberProblem, at: JSONSourceLocation)
    /// An integer literal longer than Python's default limit of 4300 digits (`sys.get_int_max_str_digits()`).
    case integerTooLong(digitCount: Int, limit: Int, at: JSONSourceLocation)
    /// A string without its closing quote; the location is the opening quote.
    case unterminatedString(at: JSONSourceLocation)
    /// A raw control character (below U+0020) inside a string.
    case controlCharacterInString(UInt8, at: JSONSourceLocation)
    /// A backslash followed by a character that is not a JSON escape; the location is the backslash.
    case invalidEscape(Unicode.Scalar, at: JSONSourceLocation)
    /// A `\u` not followed by four hex digits; the location is the `u`, as Python reports it.
    case invalidUnicodeEscape(at: JSONSourceLocation)
    /// A `\uXXXX` escape of a UTF-16 surrogate without its partner, which a Swift `String` cannot hold.
    case loneSurrogate(UInt16, at: JSONSourceLocation)
    /// Bytes that are not valid UTF-8; the location is the first byte of the bad sequence, as Python reports it.
    case invalidUTF8(UInt8, at: JSONSourceLocation)
    /// Arrays and objects nested deeper than the parser's `maximumDepth`; the location is the opening bracket.
    case nestingTooDeep(limit: Int, at: JSONSourceLocation)

    /// What the parser was looking for when it failed.
    public enum Expectation: Sendable, Hashable, CustomStringConvertible {
        /// Any JSON value.
        case value
        /// An object key (a double-quoted string).
        case propertyName
        /// The `:` after an object key.
        case colon
        /// A `,` or `]` after an array element.
        case commaOrClosingBracket
        /// A `,` or `}` after an object member.
        case commaOrClosingBrace

        /// A phrase such as `a value`.
        public var description: String {
            switch self {
            case .value: "a value (number, string, true, false, null, array or object)"
            case .propertyName: "an object key in double quotes"
            case .colon: "':' after the object key"
            case .commaOrClosingBracket: "',' or ']' after the array element"
            case .commaOrClosingBrace: "',' or '}' after the object member"
            }
        }
    }

    /// The ways a number literal can be malformed.
    public enum NumberProblem: Sendable, Hashable, CustomStringConvertible {
        /// A digit after a leading `0`, as in `01`.
        case leadingZero
        /// A `-` not followed by a digit (or `Infinity`).
        case missingDigitAfterMinus
        /// A `.` not followed by a digit, as in `1.`.
        case missingFractionDigit
        /// An exponent marker not followed by a digit, as in `1e` or `1e+`.
        case missingExponentDigit
        /// Text that matched the number grammar but could not be converted (should not happen).
        case unconvertible

        /// A phrase such as `leading zeros are not allowed`.
        public var description: String {
            switch self {
            case .leadingZero: "leading zeros are not allowed"
            case .missingDigitAfterMinus: "'-' must be followed by a digit"
            case .missingFractionDigit: "'.' must be followed by a digit"
            case .missingExponentDigit: "the exponent needs at least one digit"
            case .unconvertible: "the number could not be converted"
            }
        }
    }

    /// Where the error happened.
    public var location: JSONSourceLocation {
        switch self {
        case .unexpectedEndOfInput(_, let location), .unexpectedCharacter(_, _, let location),
            .invalidLiteral(let location), .extraData(let location), .invalidNumber(_, let location),
            .integerTooLong(_, _, let location), .unterminatedString(let location),
            .controlCharacterInString(_, let location), .invalidEscape(_, let location),
            .invalidUnicodeEscape(let location), .loneSurrogate(_, let location),
            .invalidUTF8(_, let location),
            .nestingTooDeep(_, let location):
            location
        }
    }

    /// What is wrong and how to fix it, without the location.
    public var reason: String {
        switch self {
        case .unexpectedEndOfInput(let expectation, _):
            "unexpected end of input, expecting \(expectation)"
        case .unexpectedCharacter(let scalar, let expectation, _):
            "unexpected character \(Self.quoted(scalar)), expecting \(expectation)"
        case .invalidLiteral:
            "invalid literal: expected true, false, null, NaN, Infinity or -Infinity"
        case .extraData:
            "extra data after the JSON value: a document holds exactly one value (JSON Lines: one per line)"
        case .invalidNumber(let problem, _):
            "invalid number: \(problem)"
        case .integerTooLong(let digitCount, let limit, _):
            "integer literal has \(digitCount) digits, more than Python's limit of \(limit); write it as a string"
        case .unterminatedString:
            "unterminated string starting here: add the closing '\"'"
        case .controlCharacterInString(let byte, _):
            "raw control character \(Self.hex(byte)) in a string: write it as an escape such as \\n or \\u00XX"
        case .invalidEscape(let scalar, _):
            "invalid escape '\\\(scalar.escaped(asASCII: true))': valid escapes are \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX"
        case .invalidUnicodeEscape:
            "invalid \\uXXXX escape: '\\u' must be followed by four hex digits"
        case .loneSurrogate(let unit, _):
            "escape \\u\(Self.hex4(unit)) is a lone UTF-16 surrogate, which a string cannot hold: "
                + "pair a \\ud800-\\udbff escape with a following \\udc00-\\udfff escape"
        case .invalidUTF8(let byte, _):
            "invalid UTF-8 byte \(Self.hex(byte)): save the file as UTF-8"
        case .nestingTooDeep(let limit, _):
            "arrays and objects are nested deeper than the limit of \(limit)"
        }
    }

    /// The reason followed by the location.
    public var description: String {
        "\(reason) at \(location)"
    }

    private static func quoted(_ scalar: Unicode.Scalar) -> String {
        let code = String(scalar.value, radix: 16, uppercase: true)
        let padded = String(repeating: "0", count: max(0, 4 - code.count)) + code
        return "'\(scalar.escaped(asASCII: false))' (U+\(padded))"
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = String(byte, radix: 16, uppercase: true)
        return "0x" + (digits.count < 2 ? "0" : "") + digits
    }

    private static func hex4(_ unit: UInt16) -> String {
        let digits = String(unit, radix: 16)
        return String(repeating: "0", count: 4 - digits.count) + digits
    }
}
