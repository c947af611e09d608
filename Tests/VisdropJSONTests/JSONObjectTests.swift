import Testing
import VisdropJSON

/// `JSONObject` follows Python `dict` semantics; `JSONInteger` keeps Python ints exact.
@Suite struct JSONObjectTests {
    @Test func settingAnExistingKeyKeepsItsPosition() {
        var object: JSONObject = ["zeta": 1, "alpha": 2]
        object["zeta"] = "changed"
        object["mid"] = 3
        #expect(object.keys == ["zeta", "alpha", "mid"])
        #expect(object["zeta"] == "changed")
        #expect(object.count == 3)
        #expect(object.contains("alpha"))
        #expect(!object.contains("beta"))
        #expect(object["beta"] == nil)
    }

    @Test func duplicatePairsKeepFirstPositionAndLastValue() {
        let object = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(object.keys == ["a", "b"])
        #expect(object.values == [3, 2])
        #expect(Array(object.map(\.key)) == ["a", "b"])
    }

    /// Python: `d = {"caf\u00e9": 1}; d["cafe\u0301"] = 2` leaves two keys (str compares code points).
    @Test func canonicallyEquivalentKeysStayDistinct() {
        var object = JSONObject([("caf\u{E9}", 1), ("cafe\u{301}", 2)])
        #expect(object.count == 2)
        #expect(object["caf\u{E9}"] == 1)
        #expect(object["cafe\u{301}"] == 2)
        #expect(object.removeValue(forKey: "caf\u{E9}") == 1)
        #expect(object.contains("cafe\u{301}"))
        #expect(!object.contains("caf\u{E9}"))
        #expect(object.keys.map { Array($0.unicodeScalars) } == [["c", "a", "f", "e", "\u{301}"]])
    }

    @Test func setDefaultOnlyAddsMissingKeys() {
        var object: JSONObject = ["step": 7, "loss": 0.5]
        #expect(object.setDefault(0, forKey: "step") == 7)
        #expect(object.setDefault(2, forKey: "epoch") == 2)
        #expect(object.keys == ["step", "loss", "epoch"])
        #expect(object["step"] == 7)
    }

    @Test func removingAKeyShiftsLaterKeys() {
        var object: JSONObject = ["a": 1, "b": 2, "c": 3]
        #expect(object.removeValue(forKey: "a") == 1)
        #expect(object.removeValue(forKey: "missing") == nil)
        object["b"] = nil
        object["d"] = 4
        #expect(object.keys == ["c", "d"])
        #expect(object["c"] == 3)
        #expect(object["d"] == 4)
    }

    /// Python (`python3 -c` of the same steps on a dict) prints
    /// `[('k0', 'zero'), ('k1', 1), ('k3', 3), ('k4', 4), ('k8', None), ('new', 1), ('z', 2)]`.
    /// Ten keys make the object index its keys; the removals take it back under eight.
    @Test func largeObjectsFollowPythonDictToo() {
        var object = JSONObject((0..<10).map { ("k\($0)", JSONValue.integer(JSONInteger($0))) })
        object.removeValue(forKey: "k2")
        object.removeValue(forKey: "k9")
        object["k0"] = "zero"
        object["new"] = 1
        for key in ["k5", "k6", "k7"] { object.removeValue(forKey: key) }
        object["k8"] = .null
        object.setDefault("x", forKey: "k1")
        object.setDefault(2, forKey: "z")
        #expect(object.keys == ["k0", "k1", "k3", "k4", "k8", "new", "z"])
        #expect(object.values == ["zero", 1, 3, 4, .null, 1, 2])
        #expect(object["k3"] == 3)
        #expect(!object.contains("k5"))
    }

    @Test func equalityIsOrderSensitive() {
        let ab: JSONObject = ["a": 1, "b": 2]
        let ba: JSONObject = ["b": 2, "a": 1]
        #expect(ab != ba)
        #expect(ab == JSONObject([("a", 1), ("b", 2)]))
    }

    @Test func parsedDuplicateKeysFollowPythonDict() throws {
        let value = try JSONParser().parse(#"{"a": 1, "b": 2, "a": {"c": 3}}"#)
        #expect(value.objectValue?.keys == ["a", "b"])
        #expect(value["a"] == ["c": 3])
    }

    @Test(arguments: [
        ("0", "0"), ("-0", "0"), ("007", "7"), ("-00012", "-12"),
        ("12345678901234567890", "12345678901234567890"),
    ])
    func integerTextIsNormalized(input: String, normalized: String) throws {
        #expect(try #require(JSONInteger(decimalText: input)).decimalText == normalized)
    }

    @Test(arguments: ["", "-", "+1", "1.0", " 1", "1e3", "0x10", "١"])
    func integerTextRejectsNonIntegers(input: String) {
        #expect(JSONInteger(decimalText: input) == nil)
    }

    @Test func integerIntValue() {
        #expect(JSONInteger(Int.max).intValue == Int.max)
        #expect(JSONInteger(Int.min).decimalText == "-9223372036854775808")
        #expect(JSONInteger(decimalText: "9223372036854775808")?.intValue == nil)
        #expect(JSONInteger(decimalText: "-42")?.intValue == -42)
        #expect(JSONInteger(decimalText: "9007199254740993")?.doubleValue == 9_007_199_254_740_992.0)
    }
}
