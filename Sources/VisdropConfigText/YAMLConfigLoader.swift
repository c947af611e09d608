public import VisdropJSON
import Yams

/// Reads a YAML config into the value PyYAML's `yaml.safe_load` gives for it, as a JSON value.
///
/// Scalars follow PyYAML's YAML 1.1 rules: `yes`/`no`/`on`/`off` are booleans, `~` and `null` are null,
/// `0x10`, `0o`-less octal `010`, `0b1`, `1_000` and base-60 `1:30` are ints, `1.5`, `1.0e+5`, `.inf` and `.nan`
/// are floats (but `1e5` is a string, as in PyYAML). Anchors, aliases and `<<` merge keys work as in PyYAML.
///
/// Where a Python dict from `safe_load` could not be a JSON object, the result is what
/// `json.loads(json.dumps(yaml.safe_load(text)))` gives: non-string scalar keys become their JSON text
/// (`1` → `"1"`, `true` → `"true"`, `null` → `"null"`, `1.5` → `"1.5"`), after Python's own key merging
/// (`1`, `1.0` and `true` are one key). Values with no JSON form — timestamps, `!!binary`, `!!set`, `!!omap`,
/// unknown tags — are errors, as are keys that are lists or mappings (PyYAML refuses those too).
///
/// Differences from PyYAML: a key repeated in one mapping is an error (PyYAML keeps the last value), also when
/// the two spellings differ only in Unicode normalization (`é` and `e\u{301}`: Yams compares keys as Swift
/// strings, PyYAML keeps both); so are
/// two `<<` keys in one mapping (write `<<: [*a, *b]`); integers are not limited to 4300 digits, but
/// binary, octal and hexadecimal ones to 10,000 digits.
public enum YAMLConfigLoader {
    /// Bounds on the work a document can cause.
    public struct Limits: Sendable, Equatable {
        /// The most values (scalars, lists, mappings, merged entries) the document may expand to, counting
        /// every repetition an alias brings in.
        public var maximumNodeCount: Int
        /// The deepest nesting of lists and mappings allowed, counting nesting that aliases bring in
        /// (libyaml itself refuses text nested more than 1000 deep).
        public var maximumDepth: Int

        /// Creates limits; the defaults allow any reasonable config.
        public init(maximumNodeCount: Int = 1_000_000, maximumDepth: Int = 512) {
            self.maximumNodeCount = maximumNodeCount
            self.maximumDepth = maximumDepth
        }
    }

    /// Parses `text` (one YAML document whose top level is a mapping) into a `.object` value.
    ///
    /// - Throws: `ConfigTextError` for malformed YAML, a top level that is not a mapping, a value with no JSON
    ///   form, an undefined or recursive alias, or a document exceeding `limits`.
    public static func load(_ text: String, limits: Limits = Limits()) throws(ConfigTextError) -> JSONValue {
        // libyaml keeps a byte order mark when told the encoding; PyYAML's reader drops it.
        let scalars = text.unicodeScalars
        let body = scalars.first == "\u{FEFF}" ? String(String.UnicodeScalarView(scalars.dropFirst())) : text
        try refuseInnerByteOrderMarks(body)
        let placeholders = YAMLAliasPlaceholders(body)
        var document = try compose(placeholders.text(replacing: { _ in true }), placeholders: placeholders)
        let confirmed = document.confirmedAliases()
        if confirmed.count < placeholders.candidates.count {
            // Some `*name` were inside strings or comments: parse again with only the real aliases replaced.
            document = try compose(
                placeholders.text(replacing: confirmed.contains), placeholders: placeholders)
            guard document.confirmedAliases() == confirmed else {
                throw .invalidYAML(problem: "aliases could not be told apart from text", line: 1, column: 1)
            }
        }
        var converter = YAMLNodeConverter(
            placeholders: placeholders, confirmedAliases: confirmed, anchors: document.anchoredNodes,
            limits: limits)
        return try withExtendedLifetime(document) { () throws(ConfigTextError) -> JSONValue in
            try converter.convertDocument(document.root)
        }
    }

    /// Refuses U+FEFF anywhere in the document body, written or escaped: Yams builds each scalar with
    /// Foundation's UTF-8 decoding, which drops a leading byte order mark, so a value starting with one
    /// would silently change.
    private static func refuseInnerByteOrderMarks(_ body: String) throws(ConfigTextError) {
        // Lowercasing keeps line breaks where they are, so the line and column stay right for ASCII text.
        let folded = body.lowercased()
        let occurrences = [
            folded.unicodeScalars.firstIndex(of: "\u{FEFF}"), folded.range(of: "\\ufeff")?.lowerBound,
            folded.range(of: "\\u0000feff")?.lowerBound,
        ]
        guard let found = occurrences.compactMap({ $0 }).min() else { return }
        let before = folded.unicodeScalars[..<found]
        let line = before.reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
        let lineStart = before.lastIndex(of: "\n").map { before.index(after: $0) } ?? before.startIndex
        let column = before[lineStart...].count + 1
        throw .unsupportedYAMLValue(
            what: "U+FEFF (a byte order mark), which the YAML reader would drop from a value; remove it",
            line: line, column: column)
    }

    /// A Yams parse of the rewritten text; the parser is kept because it owns the nodes' anchor names.
    struct ComposedDocument {
        var parser: Parser
        var root: Node?
        var placeholders: YAMLAliasPlaceholders

        /// The indices of the candidates that are real aliases: a plain scalar holds exactly their placeholder.
        func confirmedAliases() -> Set<Int> {
            var indexByPlaceholder: [String: Int] = [:]
            for (index, candidate) in placeholders.candidates.enumerated() {
                indexByPlaceholder[candidate.placeholder] = index
            }
            var found = Set<Int>()
            guard !indexByPlaceholder.isEmpty, let root else { return found }
            var pending = [root]
            while let node = pending.popLast() {
                switch node {
                case .scalar(let scalar):
                    if scalar.style == .plain, let index = indexByPlaceholder[scalar.string] {
                        found.insert(index)
                    }
                case .sequence(let sequence): pending.append(contentsOf: sequence)
                case .mapping(let mapping):
                    for (key, value) in mapping { pending.append(contentsOf: [key, value]) }
                case .alias: break
                }
            }
            return found
        }

        /// Every node carrying an anchor, with the anchor's name, in document order.
        var anchoredNodes: [(name: String, node: Node)] {
            var result: [(name: String, node: Node)] = []
            guard let root else { return result }
            var pending = [root]
            while let node = pending.popLast() {
                if let anchor = node.anchor { result.append((name: anchor.rawValue, node: node)) }
                switch node {
                case .sequence(let sequence): pending.append(contentsOf: sequence.reversed())
                case .mapping(let mapping):
                    for (key, value) in mapping.reversed() { pending.append(contentsOf: [value, key]) }
                case .scalar, .alias: break
                }
            }
            return result
        }
    }

    /// Parses one rewritten document with Yams.
    private static func compose(
        _ text: String, placeholders: YAMLAliasPlaceholders
    ) throws(ConfigTextError) -> ComposedDocument {
        do {
            let parser = try Parser(
                yaml: text, resolver: try implicitMarkingResolver(), constructor: .default, encoding: .utf8)
            let root = try parser.singleRoot()
            return ComposedDocument(parser: parser, root: root, placeholders: placeholders)
        } catch let error as YamlError {
            throw configTextError(for: error, placeholders: placeholders)
        } catch let error as ConfigTextError {
            throw error
        } catch {
            throw .invalidYAML(problem: "\(error)", line: 1, column: 1)
        }
    }

    /// The tag name Yams gives untagged plain scalars when it resolves them (it does so for mapping keys).
    static let implicitTagName = "tag:visdrop,2025:implicit"

    /// A resolver that marks every untagged plain scalar as implicit, so PyYAML's rules can be applied later
    /// even where Yams has already resolved a node's tag.
    private static func implicitMarkingResolver() throws(ConfigTextError) -> Resolver {
        do {
            return try Resolver.basic.appending(Tag.Name(rawValue: implicitTagName), "^")
        } catch {
            throw .invalidYAML(problem: "internal resolver error: \(error)", line: 1, column: 1)
        }
    }

    /// The loader error for a Yams error, with columns mapped back to the original text.
    private static func configTextError(
        for error: YamlError, placeholders: YAMLAliasPlaceholders
    ) -> ConfigTextError {
        func located(_ problem: String, _ context: YamlError.Context?, _ mark: Mark) -> ConfigTextError {
            let contextText = context.map { "\($0.text) (line \($0.mark.line)): " } ?? ""
            return .invalidYAML(
                problem: contextText + problem, line: mark.line,
                column: placeholders.originalColumn(line: mark.line, column: mark.column))
        }
        switch error {
        case .scanner(let context, let problem, let mark, _),
            .parser(let context, let problem, let mark, _),
            .composer(let context, let problem, let mark, _):
            return located(problem, context, mark)
        case .reader(let problem, let offset, let value, _):
            return .invalidYAML(
                problem: "\(problem) (character code \(value) at byte offset \(offset ?? 0))", line: 1,
                column: 1)
        case .duplicatedKeysInMapping(let duplicates, let context):
            let mark = context.mark
            return .duplicateKey(
                key: duplicates.sorted().first ?? "", line: mark.line,
                column: placeholders.originalColumn(line: mark.line, column: mark.column))
        default:
            return .invalidYAML(problem: "\(error)", line: 1, column: 1)
        }
    }
}
