import Foundation
import Testing
import VisdropConfigText
import VisdropJSON

/// The YAML inputs of `yaml_cases.json` with what `json.loads(json.dumps(yaml.safe_load(text)))` gave.
enum YAMLCaseFixture {
    struct Case: CustomTestStringConvertible, Sendable {
        var name: String
        var yaml: String
        /// The canonical value, or "error".
        var expected: String
        var testDescription: String { name }
    }

    static func cases(_ section: String, expectedKey: String) -> [Case] {
        guard let root = try? Fixtures.json("yaml_cases.json") as? [String: Any],
            let entries = root[section] as? [String: [String: String]]
        else {
            return [Case(name: "unreadable yaml_cases.json", yaml: "", expected: "fixture missing")]
        }
        return entries.keys.sorted().map { name in
            Case(name: name, yaml: entries[name]?["yaml"] ?? "", expected: entries[name]?[expectedKey] ?? "")
        }
    }
}

@Suite struct YAMLConfigLoaderTests {
    /// Yams would drop U+FEFF from the start of a value, so the loader refuses it instead of changing data.
    @Test(arguments: [
        ("a: \"\\uFEFF\"\n", 1, 5), ("a: 1\nb: \"\\U0000feffx\"\n", 2, 5), ("a: 1\nbc: \u{FEFF}x\n", 2, 5),
    ])
    func byteOrderMarksInsideTheDocumentAreRefused(yaml: String, line: Int, column: Int) {
        #expect {
            try YAMLConfigLoader.load(yaml)
        } throws: { error in
            guard
                case .unsupportedYAMLValue(let what, let foundLine, let foundColumn) = error
                    as? ConfigTextError
            else { return false }
            return what.contains("U+FEFF") && foundLine == line && foundColumn == column
        }
    }

    @Test(arguments: YAMLCaseFixture.cases("cases", expectedKey: "expected"))
    func loaderMatchesPyYAML(_ yamlCase: YAMLCaseFixture.Case) {
        let result = Result { () throws(ConfigTextError) -> JSONValue in
            try YAMLConfigLoader.load(yamlCase.yaml)
        }
        switch result {
        case .success(let value):
            #expect(canonical(value) == yamlCase.expected, "\(yamlCase.yaml)")
        case .failure(let error):
            let isTopLevelProblem = yamlCase.expected.first != "{"
            #expect(yamlCase.expected == "error" || isTopLevelProblem, "\(yamlCase.yaml) failed: \(error)")
            if yamlCase.expected != "error" {
                // PyYAML loads a non-mapping document; a config must be a mapping.
                guard case .topLevelNotMapping = error else {
                    Issue.record("expected topLevelNotMapping, got \(error)")
                    return
                }
            }
        }
    }

    @Test(arguments: YAMLCaseFixture.cases("deviations", expectedKey: "pyyaml"))
    func documentedDeviationsFromPyYAMLAreErrors(_ yamlCase: YAMLCaseFixture.Case) {
        #expect(yamlCase.expected != "error", "PyYAML accepts this document")
        #expect {
            try YAMLConfigLoader.load(yamlCase.yaml)
        } throws: { error in
            guard case .duplicateKey(let key, let line, _) = error as? ConfigTextError else { return false }
            return !key.isEmpty && line > 0
        }
    }

    @Test func referenceYAMLMatchesReferenceJSONShape() throws {
        let value = try YAMLConfigLoader.load(Fixtures.text("reference/detector.yaml"))
        #expect(value["unicode"] == "café")
        #expect(value["flags"] == [true, false, .null])
        #expect(value["mapping"]?["not ident"]?["1x"] == 1)
        #expect(value["optimizer"]?["weight_decay"] == .float(0.0001))
    }

    /// The classic "billion laughs": nine levels of nine aliases, 9⁹ strings once expanded.
    static func aliasBomb(levels: Int = 9) -> String {
        var text = "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n"
        for level in 1...levels {
            let references = Array(repeating: "*a\(level - 1)", count: 9).joined(separator: ", ")
            text += "a\(level): &a\(level) [\(references)]\n"
        }
        return text
    }

    @Test func aliasBombIsRefused() {
        #expect(throws: ConfigTextError.aliasExpansionTooLarge(limit: 1_000_000)) {
            try YAMLConfigLoader.load(Self.aliasBomb())
        }
    }

    @Test func aliasesToListsAreRefusedAsKeys() {
        // The full bomb as a key is refused too, by the node limit, while its definitions expand.
        #expect(throws: ConfigTextError.aliasExpansionTooLarge(limit: 1_000_000)) {
            try YAMLConfigLoader.load(Self.aliasBomb() + "? *a9\n: x\n")
        }
        #expect {
            try YAMLConfigLoader.load(Self.aliasBomb(levels: 3) + "? *a3\n: x\n")
        } throws: { error in
            guard case .unsupportedKey(_, let line, let column) = error as? ConfigTextError else {
                return false
            }
            return line == 5 && column == 3
        }
    }

    @Test func mergeKeyBombIsRefused() {
        var text = "m0: &m0 {a: 1, b: 2, c: 3, d: 4, e: 5, f: 6, g: 7, h: 8, i: 9, j: 10}\n"
        for level in 1...9 {
            let sources = Array(repeating: "*m\(level - 1)", count: 10).joined(separator: ", ")
            text += "m\(level): &m\(level) {<<: [\(sources)]}\n"
        }
        #expect(throws: ConfigTextError.aliasExpansionTooLarge(limit: 1_000_000)) {
            try YAMLConfigLoader.load(text)
        }
    }

    @Test func longAliasChainIsRefusedWithoutOverflowingTheStack() {
        var text = "a0: &a0 [x]\n"
        for index in 1...100_000 {
            text += "a\(index): &a\(index) [*a\(index - 1)]\n"
        }
        #expect {
            try YAMLConfigLoader.load(text)
        } throws: { error in
            guard case .yamlNestingTooDeep(let limit, _, _) = error as? ConfigTextError else { return false }
            return limit == 512
        }
        // The same chain followed by a syntax error fails as a syntax error.
        #expect {
            try YAMLConfigLoader.load(text + "broken: [\n")
        } throws: { error in
            guard case .invalidYAML(_, let line, _) = error as? ConfigTextError else { return false }
            return line >= 100_002
        }
    }

    @Test func deepTextNestingIsRefusedByLibYAML() {
        let depth = 5000
        let text = "a: " + String(repeating: "[", count: depth) + String(repeating: "]", count: depth) + "\n"
        #expect(throws: ConfigTextError.self) { try YAMLConfigLoader.load(text) }
    }

    @Test func limitsAreConfigurable() throws {
        let text = "a: [1, 2, 3]\nb: {c: {d: 1}}\n"
        _ = try YAMLConfigLoader.load(text)
        #expect(throws: ConfigTextError.aliasExpansionTooLarge(limit: 5)) {
            try YAMLConfigLoader.load(text, limits: .init(maximumNodeCount: 5))
        }
        #expect(throws: ConfigTextError.yamlNestingTooDeep(limit: 2, line: 2, column: 8)) {
            try YAMLConfigLoader.load(text, limits: .init(maximumDepth: 2))
        }
        let bomb = Self.aliasBomb(levels: 3)
        #expect(try YAMLConfigLoader.load(bomb, limits: .init(maximumNodeCount: 20_000))["a3"] != nil)
    }

    @Test func topLevelMustBeAMapping() {
        #expect(throws: ConfigTextError.topLevelNotMapping(found: "a list")) {
            try YAMLConfigLoader.load("- 1\n")
        }
        #expect(throws: ConfigTextError.topLevelNotMapping(found: "an empty document")) {
            try YAMLConfigLoader.load("# only a comment\n")
        }
        #expect(throws: ConfigTextError.topLevelNotMapping(found: "null")) {
            try YAMLConfigLoader.load("~\n")
        }
    }

    @Test func errorsPointAtTheOriginalText() {
        #expect(
            throws: ConfigTextError.invalidAlias(
                name: "nope", problem: "refers to no anchor '&nope' defined before it", line: 2, column: 11)
        ) {
            try YAMLConfigLoader.load("a: 1\nb: [1, 2, *nope]\n")
        }
        #expect {
            try YAMLConfigLoader.load("a: 1\nb: 2024-01-31\n")
        } throws: { error in
            guard case .unsupportedYAMLValue(let what, 2, 4) = error as? ConfigTextError else { return false }
            return what.contains("timestamp") && what.contains("quote")
        }
        #expect {
            try YAMLConfigLoader.load("a: 1\nb: *x [\n")
        } throws: { error in
            guard case .invalidYAML(_, let line, _) = error as? ConfigTextError else { return false }
            return line == 2
        }
    }
}
