import Foundation
import Testing
import VisdropJSON

@testable import VisdropConfigText

@Suite struct ConfigTextWriterTests {
    @Test func shortValuesStayOnOneLineInMMEngineStyle() throws {
        let config: JSONObject = ["b": ["b1": [0, 1]], "a": 1]
        #expect(try ConfigTextWriter.render(config) == "a = 1\nb = dict(b1=[0, 1])\n")
    }

    @Test func nonIdentifierKeysUseMappingSyntaxAndGlobals() throws {
        let config: JSONObject = ["1st": [1], "ok": ["a-b": 1.5, "c": "x"], "class": .null]
        let expected = """
            globals()['1st'] = [1]
            globals()['class'] = None
            ok = dict({'a-b': 1.5, 'c': 'x'})

            """
        #expect(try ConfigTextWriter.render(config) == expected)
    }

    @Test func longValuesBreakOneElementPerLine() throws {
        let numbers = JSONValue.array((0..<30).map { .integer(JSONInteger($0)) })
        let text = try ConfigTextWriter.render(["model": ["numbers": numbers, "type": "ResNet"]])
        let lines = text.split(separator: "\n")
        #expect(lines.first == "model = dict(")
        #expect(lines.contains("    numbers=["))
        #expect(lines.contains("        29,"))
        #expect(lines.contains("    type='ResNet',"))
        #expect(lines.last == ")")
        #expect(lines.allSatisfy { $0.count <= PythonValueLayout.lineWidth })
    }

    @Test func builtinNamesAreAssignedLastTogether() throws {
        let config: JSONObject = ["dict": ["a": 1], "zeta": ["b": .float(.infinity)], "float": 2]
        let text = try ConfigTextWriter.render(config)
        #expect(text.hasPrefix("zeta = dict(b=float('inf'))\nglobals().update({\n"))
        #expect(text.hasSuffix("})\n"))
    }

    @Test func keysSortByCodePointNotByCanonicalOrder() throws {
        let config: JSONObject = ["é": 1, "Z": 2, "a": 3, "B": 4]
        let keyOrder = try ConfigTextWriter.render(config).split(separator: "\n").map {
            $0.prefix(while: { $0 != " " })
        }
        #expect(keyOrder == ["B", "Z", "a", "globals()['é']"])
    }

    @Test func templateBracesAreEscaped() throws {
        let text = try ConfigTextWriter.render(["path": "{{ fileDirname }}/{{{x"])
        #expect(!text.contains("{{"))
        #expect(text == "path = '{\\x7b fileDirname }}/{\\x7b{x'\n")
    }

    @Test func hugeIntegersAvoidPythonsDigitLimit() throws {
        let digits = "9" + String(repeating: "0", count: 4400) + "17"
        let integer = try #require(JSONInteger(decimalText: "-" + digits))
        let text = try ConfigTextWriter.render(["n": .integer(integer)])
        #expect(text.hasPrefix("n = -(9"))
        #expect(text.hasSuffix(" + 17)\n"))
        let digitRuns = text.split(whereSeparator: { !$0.isNumber })
        #expect(digitRuns.allSatisfy { $0.count <= 4300 })
        let small = try #require(JSONInteger(decimalText: "123456789012345678901234567890"))
        #expect(try ConfigTextWriter.render(["n": .integer(small)]) == "n = 123456789012345678901234567890\n")
    }

    @Test func nonFiniteFloatsUseFloatCalls() throws {
        let config: JSONObject = ["v": [.float(.nan), .float(.infinity), .float(-.infinity), .float(-0.0)]]
        #expect(
            try ConfigTextWriter.render(config) == "v = [float('nan'), float('inf'), -float('inf'), -0.0]\n")
    }

    @Test(arguments: [
        "filename", "text", "pretty_text", "env_variables", "_base_", "_deprecation_", "_imported_names",
        "__x", "__",
    ])
    func reservedTopLevelKeysAreRefused(key: String) {
        #expect {
            try ConfigTextWriter.render([key: 1])
        } throws: { error in
            guard case .reservedTopLevelKey(let refused, let reason) = error as? ConfigTextError else {
                return false
            }
            return refused == key && !reason.isEmpty && "\(error)".contains(key)
        }
    }

    @Test func reservedNamesAreFineBelowTopLevel() throws {
        let config: JSONObject = ["outer": ["filename": 1, "_base_": 2, "__x": 3, "custom_imports": [1]]]
        #expect(try ConfigTextWriter.render(config).contains("_base_=2"))
    }

    @Test func customImportsMustBeCallable() throws {
        #expect(throws: ConfigTextError.self) { try ConfigTextWriter.render(["custom_imports": [1]]) }
        #expect(throws: ConfigTextError.self) {
            try ConfigTextWriter.render(["custom_imports": ["imports": [1]]])
        }
        #expect(throws: ConfigTextError.self) {
            try ConfigTextWriter.render(["custom_imports": ["modules": "os"]])
        }
        _ = try ConfigTextWriter.render(["custom_imports": ["imports": ["os"], "allow_failed_imports": true]])
        _ = try ConfigTextWriter.render(["custom_imports": .null])
        _ = try ConfigTextWriter.render(["custom_imports": ["imports": []]])
    }

    @Test func nestingBeyondPythonsParserLimitIsRefused() throws {
        func nestedLists(_ depth: Int, leaf: JSONValue) -> JSONValue {
            (0..<depth).reduce(leaf) { value, _ in .array([value]) }
        }
        _ = try ConfigTextWriter.render(["deep": nestedLists(200, leaf: 1)])
        _ = try ConfigTextWriter.render(["deep": nestedLists(199, leaf: .float(.nan))])
        #expect(
            throws: ConfigTextError.nestingTooDeep(
                path: "deep" + String(repeating: "[0]", count: 200), limit: 200)
        ) {
            try ConfigTextWriter.render(["deep": nestedLists(201, leaf: 1)])
        }
        #expect(throws: ConfigTextError.self) {
            try ConfigTextWriter.render(["deep": nestedLists(200, leaf: .float(.nan))])
        }
        #expect(throws: ConfigTextError.self) {
            try ConfigTextWriter.render(["dict": nestedLists(199, leaf: 1)])
        }
    }

    @Test func floatReprMatchesPython() throws {
        let samples = try #require(try Fixtures.json("float_repr.json") as? [[String: String]])
        #expect(samples.count > 3000)
        var mismatches: [String] = []
        for sample in samples {
            let bits = try #require(sample["bits"].flatMap { UInt64($0, radix: 16) })
            let value = Double(bitPattern: bits)
            let written = JSONWriter.pythonFloatRepr(value)
            if written != sample["repr"] {
                mismatches.append("\(sample["repr"] ?? "?") written as \(written)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test func stringReprMatchesPython() throws {
        let samples = try #require(try Fixtures.json("string_repr.json") as? [[String: String]])
        #expect(samples.count > 800)
        var mismatches: [String] = []
        for sample in samples {
            let text = try #require(sample["utf8"].flatMap(stringFromHexUTF8))
            let written = PythonLiteral.string(text)
            if written != sample["repr"] {
                mismatches.append("\(sample["repr"] ?? "?") written as \(written)")
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.prefix(10))")
    }

    @Test func errorDescriptionsSayWhatAndWhere() {
        let error = ConfigTextError.nestingTooDeep(path: "model['x'][3]", limit: 200)
        #expect(error.description.contains("model['x'][3]"))
        #expect(
            ConfigTextError.invalidYAML(problem: "p", line: 3, column: 7).description.contains(
                "line 3, column 7"))
    }
}
