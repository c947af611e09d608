import Testing
import VisdropJSON

/// Bad input gives the right error case at the position python3's json reports (from `errors.jsonl`);
/// where Python accepts the input or names no position, the position is specified here.
@Suite struct JSONParseErrorTests {
    private struct Expected {
        /// The location when Python's json does not give one.
        var location: JSONSourceLocation?
        var error: @Sendable (JSONSourceLocation) -> JSONParseError

        init(
            at location: JSONSourceLocation? = nil,
            _ error: @escaping @Sendable (JSONSourceLocation) -> JSONParseError
        ) {
            self.location = location
            self.error = error
        }
    }

    private static let expectations: [String: Expected] = [
        "empty input": Expected { .unexpectedEndOfInput(expecting: .value, at: $0) },
        "whitespace only": Expected { .unexpectedEndOfInput(expecting: .value, at: $0) },
        "truncated array": Expected { .unexpectedEndOfInput(expecting: .commaOrClosingBracket, at: $0) },
        "truncated object": Expected { .unexpectedEndOfInput(expecting: .commaOrClosingBrace, at: $0) },
        "truncated after colon": Expected { .unexpectedEndOfInput(expecting: .value, at: $0) },
        "truncated key": Expected { .unexpectedEndOfInput(expecting: .propertyName, at: $0) },
        "unterminated string": Expected { .unterminatedString(at: $0) },
        "unterminated after backslash": Expected { .unterminatedString(at: $0) },
        "trailing garbage": Expected { .extraData(at: $0) },
        "two values": Expected { .extraData(at: $0) },
        "bad escape": Expected { .invalidEscape("x", at: $0) },
        "bad unicode escape": Expected { .invalidUnicodeEscape(at: $0) },
        "short unicode escape": Expected { .invalidUnicodeEscape(at: $0) },
        "lone high surrogate": Expected(at: .init(offset: 1, line: 1, column: 2)) {
            .loneSurrogate(0xD800, at: $0)
        },
        "lone low surrogate": Expected(at: .init(offset: 3, line: 1, column: 4)) {
            .loneSurrogate(0xDC00, at: $0)
        },
        "high surrogate then non-surrogate": Expected(at: .init(offset: 1, line: 1, column: 2)) {
            .loneSurrogate(0xD800, at: $0)
        },
        "invalid UTF-8 byte in string": Expected { .invalidUTF8(0xFF, at: $0) },
        "truncated UTF-8 sequence in string": Expected { .invalidUTF8(0xC3, at: $0) },
        "overlong UTF-8 in string": Expected { .invalidUTF8(0xE0, at: $0) },
        "invalid UTF-8 outside string": Expected { .invalidUTF8(0xFF, at: $0) },
        "encoded surrogate in string": Expected(at: .init(offset: 1, line: 1, column: 2)) {
            .invalidUTF8(0xED, at: $0)
        },
        "leading zero": Expected { .invalidNumber(.leadingZero, at: $0) },
        "missing fraction digit": Expected { .invalidNumber(.missingFractionDigit, at: $0) },
        "missing exponent digit": Expected { .invalidNumber(.missingExponentDigit, at: $0) },
        "leading decimal point": Expected { .unexpectedCharacter(".", expecting: .value, at: $0) },
        "leading plus": Expected { .unexpectedCharacter("+", expecting: .value, at: $0) },
        "lone minus": Expected { .invalidNumber(.missingDigitAfterMinus, at: $0) },
        "minus letter": Expected { .invalidNumber(.missingDigitAfterMinus, at: $0) },
        "trailing comma in array": Expected { .unexpectedCharacter("]", expecting: .value, at: $0) },
        "trailing comma in object": Expected { .unexpectedCharacter("}", expecting: .propertyName, at: $0) },
        "truncated literal": Expected { .invalidLiteral(at: $0) },
        "minus Inf": Expected { .invalidLiteral(at: $0) },
        "raw newline in string": Expected { .controlCharacterInString(0x0A, at: $0) },
        "number key": Expected { .unexpectedCharacter("1", expecting: .propertyName, at: $0) },
        "missing colon": Expected { .unexpectedCharacter("1", expecting: .colon, at: $0) },
        "missing comma": Expected { .unexpectedCharacter("1", expecting: .commaOrClosingBracket, at: $0) },
        "integer beyond python digit limit": Expected(at: .init(offset: 0, line: 1, column: 1)) {
            .integerTooLong(digitCount: 4301, limit: 4300, at: $0)
        },
        "multi-line missing colon": Expected { .unexpectedCharacter("2", expecting: .colon, at: $0) },
        "non-ASCII column": Expected { .unexpectedCharacter("x", expecting: .value, at: $0) },
        "lines: bad third line": Expected { .unexpectedCharacter("}", expecting: .value, at: $0) },
        "lines: two values on a line": Expected { .extraData(at: $0) },
        "lines: value spanning lines": Expected { .unexpectedEndOfInput(expecting: .value, at: $0) },
    ]

    @Test func errorCasesMatchPythonPositions() throws {
        let cases = try Fixtures.rows("errors.jsonl", as: ErrorCase.self)
        #expect(Set(cases.map(\.name)) == Set(Self.expectations.keys))
        for errorCase in cases {
            let expected = try #require(Self.expectations[errorCase.name], "\(errorCase.name)")
            let location: JSONSourceLocation
            if let python = errorCase.python, let offset = python.offset, let line = python.line,
                let column = python.column
            {
                #expect(expected.location == nil, "\(errorCase.name): Python gives the location")
                location = JSONSourceLocation(offset: offset, line: line, column: column)
            } else {
                location = try #require(expected.location, "\(errorCase.name): Python gives no location")
            }
            let parser = JSONParser()
            do {
                if errorCase.mode == "lines" {
                    let values = try parser.parseLines(errorCase.inputBytes)
                    Issue.record("\(errorCase.name): parsed \(values)")
                } else {
                    let value = try parser.parse(errorCase.inputBytes)
                    Issue.record("\(errorCase.name): parsed \(value)")
                }
            } catch {
                #expect(error == expected.error(location), "\(errorCase.name)")
                #expect(error.location == location, "\(errorCase.name)")
            }
        }
    }

    @Test func deepNestingFailsCleanly() {
        let input = [UInt8](repeating: UInt8(ascii: "["), count: 200_000)
        #expect(
            throws: JSONParseError.nestingTooDeep(limit: 512, at: .init(offset: 512, line: 1, column: 513))
        ) {
            try JSONParser().parse(input)
        }
        let objects = Array(String(repeating: #"{"a":"#, count: 200_000).utf8)
        #expect(
            throws: JSONParseError.nestingTooDeep(limit: 512, at: .init(offset: 2560, line: 1, column: 2561))
        ) {
            try JSONParser().parseLines(objects)
        }
    }

    @Test func nestingUpToTheLimitIsAccepted() throws {
        let depth512 = String(repeating: "[", count: 512) + String(repeating: "]", count: 512)
        #expect(JSONWriter.pythonJSON(try JSONParser().parse(depth512)) == depth512)
        let depth513 = "[" + depth512 + "]"
        #expect(
            throws: JSONParseError.nestingTooDeep(limit: 512, at: .init(offset: 512, line: 1, column: 513))
        ) {
            try JSONParser().parse(depth513)
        }
    }

    @Test func customMaximumDepth() throws {
        let parser = JSONParser(maximumDepth: 3)
        #expect(try parser.parse(#"[{"a": []}]"#) == [["a": []]])
        #expect(throws: JSONParseError.nestingTooDeep(limit: 3, at: .init(offset: 8, line: 1, column: 9))) {
            try parser.parse(#"[{"a": [{}]}]"#)
        }
    }

    @Test func descriptionNamesReasonAndPosition() {
        do {
            _ = try JSONParser().parseLines(Array("[1]\n\n  [1, \"a\\qb\"]\n".utf8))
            Issue.record("bad escape accepted")
        } catch {
            #expect(error == .invalidEscape("q", at: .init(offset: 13, line: 3, column: 9)))
            #expect(error.description.hasPrefix("invalid escape '\\q'"))
            #expect(error.description.hasSuffix("at line 3, column 9 (byte offset 13)"))
        }
    }
}
