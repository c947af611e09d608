import Testing

@testable import VisdropJSON

/// Scalar files as dropped (one object, or JSON Lines) against python3: `scalar_records.jsonl` holds
/// each text and the lines mmengine's `add_scalars` writes for it (`json.dumps` after
/// `setdefault('step', 0)`), or null where there are no records to write.
@Suite struct JSONRecordsTests {
    /// One row of `scalar_records.jsonl`.
    struct Case: Decodable, CustomTestStringConvertible {
        let name: String
        let input: String
        let expected: String?

        var testDescription: String { name }
        var bytes: [UInt8] { Array(input.utf8) }
        var expectedCount: Int { expected?.utf8.count(where: { $0 == UInt8(ascii: "\n") }) ?? 0 }
    }

    static let cases: [Case] = (try? Fixtures.rows("scalar_records.jsonl")) ?? []

    @Test func fixturesAreThere() {
        #expect(Self.cases.count >= 600)
        #expect(Self.cases.contains { $0.expected == nil })
    }

    @Test func pythonLinesMatchPython() throws {
        var failures = 0
        for testCase in Self.cases where failures < 20 {
            let outcome = Result { () throws(JSONRecordsError) in
                try JSONRecords.pythonLines(testCase.bytes, settingDefault: "step", to: 0)
            }
            switch (outcome, testCase.expected) {
            case (.success(let lines), let expected?):
                if lines.bytes != Array(expected.utf8) || lines.count != testCase.expectedCount {
                    Issue.record("\(testCase.name): wrote \(String(decoding: lines.bytes, as: UTF8.self))")
                    failures += 1
                }
            case (.failure, nil): break
            case (.success, nil), (.failure, .some):
                Issue.record("\(testCase.name): \(outcome), python: \(testCase.expected ?? "no records")")
                failures += 1
            }
        }
    }

    /// The full parser and writer alone, without the fast path, give the same lines.
    @Test func parsedRecordsWriteTheSameLines() throws {
        var failures = 0
        for testCase in Self.cases where failures < 20 {
            guard let expected = testCase.expected else {
                #expect(throws: JSONRecordsError.self) { try JSONRecords.parse(testCase.bytes) }
                continue
            }
            var written: [UInt8] = []
            for var record in try JSONRecords.parse(testCase.bytes) {
                _ = record.setDefault(0, forKey: "step")
                JSONWriter.appendPythonJSON(.object(record), to: &written)
                written.append(UInt8(ascii: "\n"))
            }
            if written != Array(expected.utf8) {
                Issue.record("\(testCase.name): wrote \(String(decoding: written, as: UTF8.self))")
                failures += 1
            }
        }
    }

    /// The fast path takes the plain texts (so it cannot quietly stop working) and writes Python's
    /// lines for every text it takes; it leaves the rest to the full parser.
    @Test func fastPathTakesPlainRecordsOnly() throws {
        let plain = [
            "100 training records", "one record, no newline", "step in the middle", "empty objects on lines",
            "whitespace everywhere", "CRLF lines", "canonical short floats", "floats with trailing zeros",
            "floats with exponents", "15, 16 and 17 significant digits", "overflow, underflow, subnormal",
            "integers", "a 4300-digit integer", "literals", "plain strings", "64 keys",
        ]
        let notPlain = [
            "pretty-printed object", "byte order mark", "escaped strings", "non-ASCII strings", "escaped key",
            "step spelled with an escape", "repeated key", "repeated step", "nested values", "65 keys",
            "a plain line then a nested one", "a 4301-digit integer", "only whitespace", "empty",
            "two objects on one line", "trailing comma", "leading zero", "bad literal",
        ]
        let byName = Dictionary(Self.cases.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        let key = Array(#""step""#.utf8)
        let value = Array("0".utf8)
        for name in plain {
            let testCase = try #require(byName[name], "\(name)")
            let lines = JSONRecords.plainLines(testCase.bytes, defaultKey: key, defaultValue: value)
            #expect(lines.map { String(decoding: $0.bytes, as: UTF8.self) } == testCase.expected, "\(name)")
        }
        for name in notPlain {
            let testCase = try #require(byName[name], "\(name)")
            #expect(
                JSONRecords.plainLines(testCase.bytes, defaultKey: key, defaultValue: value) == nil, "\(name)"
            )
        }
        var taken = 0
        for testCase in Self.cases {
            guard let lines = JSONRecords.plainLines(testCase.bytes, defaultKey: key, defaultValue: value)
            else {
                continue
            }
            taken += 1
            #expect(String(decoding: lines.bytes, as: UTF8.self) == testCase.expected, "\(testCase.name)")
        }
        #expect(taken >= 30)
    }

    /// Where the fast path copies a float's text, Python prints that text too.
    @Test func copiedFloatTextsAreReprs() throws {
        let doubles = try Fixtures.rows("random_doubles.jsonl", as: RandomDoubleCase.self)
        let named = try Fixtures.rows("roundtrip_cases.jsonl", as: RoundTripCase.self)
        var copied = 0
        for (input, expected) in doubles.map({ ($0.input, $0.expected) })
            + named.map({ ($0.input, $0.expected) })
        {
            let text = Array(input.utf8)
            guard
                text.contains(UInt8(ascii: ".")) || text.contains(where: { $0 | 0x20 == UInt8(ascii: "e") }),
                text.allSatisfy({ Array("-+.0123456789eE".utf8).contains($0) })
            else { continue }
            let isRepr = text.withUnsafeBufferPointer { JSONScanner.isShortFixedRepr($0) }
            if isRepr {
                copied += 1
                #expect(input == expected, "\(input) is copied, but Python writes \(expected)")
            }
        }
        #expect(copied >= 20)
    }

    @Test func recordsThatAreNotObjectsSayWhich() {
        #expect(throws: JSONRecordsError.notAnObject(record: 2, typeName: "array")) {
            try JSONRecords.parse(Array("{\"a\": 1}\n[1]\n".utf8))
        }
        #expect(
            JSONRecordsError.notAnObject(record: 2, typeName: "array").description
                == "record 2 is a JSON array, but each scalar record must be an object")
        #expect(throws: JSONRecordsError.noRecords) { try JSONRecords.parse(Array(" \n".utf8)) }
        #expect(throws: JSONRecordsError.self) {
            try JSONRecords.pythonLines(Array("{\"a\": 1}\n{\"b\": }\n".utf8), settingDefault: "step", to: 0)
        }
    }
}
