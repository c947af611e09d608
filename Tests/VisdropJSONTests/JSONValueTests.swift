import Testing
import VisdropJSON

/// Accessors and literals of `JSONValue`.
@Suite struct JSONValueTests {
    @Test func accessorsReturnOnlyTheirOwnCase() throws {
        let value = try JSONParser().parse(
            #"{"b": true, "i": 12345678901234567890, "f": 2.5, "s": "x", "a": [null], "o": {}}"#)
        #expect(value["b"]?.boolValue == true)
        #expect(value["i"]?.integerValue?.decimalText == "12345678901234567890")
        #expect(value["i"]?.integerValue?.intValue == nil)
        #expect(value["i"]?.doubleValue == 12_345_678_901_234_567_890.0)
        #expect(value["f"]?.doubleValue == 2.5)
        #expect(value["b"]?.doubleValue == nil)
        #expect(value["s"]?.stringValue == "x")
        #expect(value["a"]?.arrayValue == [.null])
        #expect(value["o"]?.objectValue == JSONObject())
        #expect(value["s"]?.objectValue == nil)
        #expect(value["missing"] == nil)
        #expect(value["a"]?["key"] == nil)
    }

    @Test func integersAndFloatsStayDistinct() throws {
        let parsed = try JSONParser().parse("[1, 1.0, -0, -0.0]")
        #expect(parsed == [.integer(1), .float(1.0), .integer(0), .float(-0.0)])
        #expect(parsed.arrayValue?[0] != parsed.arrayValue?[1])
    }
}
