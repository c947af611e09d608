import Testing
import VisdropJSON

/// Parse with our parser, write with our writer, compare with python3's `json.dumps(json.loads(input))`.
@Suite struct PythonRoundTripTests {
    @Test func namedCasesMatchPythonJSONDumps() throws {
        let cases = try Fixtures.rows("roundtrip_cases.jsonl", as: RoundTripCase.self)
        #expect(cases.count >= 60)
        for testCase in cases {
            let parsed: JSONValue
            do {
                parsed = try JSONParser().parse(Array(testCase.input.utf8))
            } catch {
                Issue.record("\(testCase.name): parse failed: \(error)")
                continue
            }
            #expect(JSONWriter.pythonJSON(parsed) == testCase.expected, "\(testCase.name)")
        }
    }

    @Test func randomDoublesMatchPythonJSONDumps() throws {
        let cases = try Fixtures.rows("random_doubles.jsonl", as: RandomDoubleCase.self)
        #expect(cases.count >= 4000)
        var failures = 0
        for testCase in cases where failures < 20 {
            let parsed: JSONValue
            do {
                parsed = try JSONParser().parse(testCase.input)
            } catch {
                Issue.record("\(testCase.name): parse failed: \(error)")
                failures += 1
                continue
            }
            let written = JSONWriter.pythonJSON(parsed)
            if written != testCase.expected {
                Issue.record(
                    "\(testCase.name): input \(testCase.input) wrote \(written), python \(testCase.expected)")
                failures += 1
            }
        }
    }

    @Test func parsedDoublesHaveTheExactBitPattern() throws {
        let cases = try Fixtures.rows("random_doubles.jsonl", as: RandomDoubleCase.self)
        var failures = 0
        for testCase in cases where failures < 20 {
            let bits = try #require(UInt64(testCase.bits, radix: 16))
            let expected = Double(bitPattern: bits)
            guard case .float(let parsed) = try JSONParser().parse(testCase.input) else {
                Issue.record("\(testCase.name): \(testCase.input) did not parse as a float")
                failures += 1
                continue
            }
            let same = expected.isNaN ? parsed.isNaN : parsed.bitPattern == expected.bitPattern
            if !same {
                Issue.record("\(testCase.name): \(testCase.input) parsed as \(parsed.bitPattern)")
                failures += 1
            }
        }
    }

    @Test func floatReprMatchesPythonRepr() throws {
        let cases = try Fixtures.rows("random_doubles.jsonl", as: RandomDoubleCase.self)
        var failures = 0
        for testCase in cases where failures < 20 {
            let value = Double(bitPattern: try #require(UInt64(testCase.bits, radix: 16)))
            let repr = JSONWriter.pythonFloatRepr(value)
            if repr != testCase.repr {
                Issue.record("\(testCase.name): repr \(repr), python \(testCase.repr)")
                failures += 1
            }
        }
    }

    @Test func byteBufferVariantAppendsTheSameBytes() throws {
        let cases = try Fixtures.rows("roundtrip_cases.jsonl", as: RoundTripCase.self)
        var buffer: [UInt8] = Array("prefix:".utf8)
        var expected = buffer
        for testCase in cases {
            JSONWriter.appendPythonJSON(try JSONParser().parse(testCase.input), to: &buffer)
            expected += Array(testCase.expected.utf8)
        }
        #expect(buffer == expected)
    }

    @Test func nonContiguousInputParsesLikeContiguousInput() throws {
        for testCase in try Fixtures.rows("roundtrip_cases.jsonl", as: RoundTripCase.self) {
            let lazyBytes = testCase.input.utf8.lazy.map { $0 }
            let value = try JSONParser().parse(lazyBytes)
            #expect(JSONWriter.pythonJSON(value) == testCase.expected, "\(testCase.name)")
        }
    }
}
