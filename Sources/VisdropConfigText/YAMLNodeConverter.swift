import VisdropJSON
import Yams

/// Turns the alias-free Yams tree into a JSON value the way PyYAML's `SafeConstructor` builds Python values,
/// expanding aliases itself under `YAMLConfigLoader.Limits`.
struct YAMLNodeConverter {
    private let limits: YAMLConfigLoader.Limits
    /// The node each real alias stands for, by placeholder text.
    private var targetByPlaceholder: [String: Node] = [:]
    /// The alias names and positions, by placeholder text.
    private var aliasByPlaceholder: [String: YAMLAliasPlaceholders.Candidate] = [:]
    private let placeholders: YAMLAliasPlaceholders
    private let anchors: [(name: String, node: Node)]
    private var nodeCount = 0

    init(
        placeholders: YAMLAliasPlaceholders, confirmedAliases: Set<Int>,
        anchors: [(name: String, node: Node)], limits: YAMLConfigLoader.Limits
    ) {
        self.limits = limits
        self.placeholders = placeholders
        self.anchors = anchors
        for index in confirmedAliases.sorted() {
            let candidate = placeholders.candidates[index]
            aliasByPlaceholder[candidate.placeholder] = candidate
        }
    }

    /// Converts the document's root, which must be a mapping.
    mutating func convertDocument(_ root: Node?) throws(ConfigTextError) -> JSONValue {
        guard let root else { throw .topLevelNotMapping(found: "an empty document") }
        try resolveAliases(root)
        let value = try convert(root, depth: 0)
        guard case .object = value else { throw .topLevelNotMapping(found: Self.kindDescription(of: value)) }
        return value
    }

    // MARK: Aliases

    /// Finds the node each alias refers to: the node anchored with its name before it in document order,
    /// which must not contain the alias (PyYAML would build a recursive value). Like PyYAML, refuses an anchor
    /// name defined twice.
    private mutating func resolveAliases(_ root: Node) throws(ConfigTextError) {
        guard !anchors.isEmpty || !aliasByPlaceholder.isEmpty else { return }
        var anchorIndex = 0
        var nodeByName: [String: Node] = [:]
        var openAncestors: [ObjectIdentifier] = []
        // Depth-first in document order; `nil` marks the end of a collection's children.
        var pending: [Node?] = [root]
        while let entry = pending.popLast() {
            guard let node = entry else {
                openAncestors.removeLast()
                continue
            }
            while anchorIndex < anchors.count,
                Self.identity(of: anchors[anchorIndex].node) == Self.identity(of: node)
            {
                let name = anchors[anchorIndex].name
                guard nodeByName.updateValue(node, forKey: name) == nil else {
                    let position = position(of: node)
                    throw .invalidYAML(
                        problem: "found duplicate anchor '\(name)' (PyYAML refuses to redefine an anchor)",
                        line: position.line, column: position.column)
                }
                anchorIndex += 1
            }
            switch node {
            case .scalar(let scalar):
                guard scalar.style == .plain, let alias = aliasByPlaceholder[scalar.string] else { continue }
                guard scalar.tag.rawValue.isEmpty || scalar.tag.rawValue == YAMLConfigLoader.implicitTagName,
                    scalar.anchor == nil
                else {
                    let position = position(of: node)
                    throw .invalidAlias(
                        name: alias.name, problem: "has an anchor or a tag, which an alias cannot have",
                        line: position.line, column: position.column)
                }
                guard let target = nodeByName[alias.name] else {
                    let position = position(of: node)
                    throw .invalidAlias(
                        name: alias.name, problem: "refers to no anchor '&\(alias.name)' defined before it",
                        line: position.line, column: position.column)
                }
                if openAncestors.contains(Self.identity(of: target)) {
                    let position = position(of: node)
                    throw .invalidAlias(
                        name: alias.name,
                        problem: "is inside the node it refers to, which would be a recursive value",
                        line: position.line, column: position.column)
                }
                targetByPlaceholder[scalar.string] = target
            case .sequence(let sequence):
                openAncestors.append(Self.identity(of: node))
                pending.append(nil)
                pending.append(contentsOf: sequence.reversed().map { Optional($0) })
            case .mapping(let mapping):
                openAncestors.append(Self.identity(of: node))
                pending.append(nil)
                for (key, value) in mapping.reversed() { pending.append(contentsOf: [value, key]) }
            case .alias:
                continue
            }
        }
    }

    /// The node an alias placeholder stands for, or the node itself.
    private func resolved(_ node: Node) -> Node {
        if case .scalar(let scalar) = node, scalar.style == .plain,
            let target = targetByPlaceholder[scalar.string]
        {
            return target
        }
        return node
    }

    /// An identity for a parsed node: Yams gives every node its own `Tag` instance.
    private static func identity(of node: Node) -> ObjectIdentifier {
        switch node {
        case .scalar(let scalar): ObjectIdentifier(scalar.tag)
        case .sequence(let sequence): ObjectIdentifier(sequence.tag)
        case .mapping(let mapping): ObjectIdentifier(mapping.tag)
        case .alias(let alias): ObjectIdentifier(alias.tag)
        }
    }

    // MARK: Conversion

    /// Converts `node`, which sits inside `depth` lists and mappings.
    private mutating func convert(_ node: Node, depth: Int) throws(ConfigTextError) -> JSONValue {
        try countNode(node)
        let node = resolved(node)
        switch node {
        case .scalar(let scalar):
            return try constructScalar(scalar, node: node)
        case .sequence(let sequence):
            try checkDepth(depth + 1, node: node)
            switch collectionTag(sequence.tag) {
            case nil, .seq: break
            case .omap, .pairs: return try convertPairs(sequence, depth: depth + 1)
            case .some(let tag): throw unsupported(tag, node: node)
            }
            var elements: [JSONValue] = []
            for element in sequence {
                elements.append(try convert(element, depth: depth + 1))
            }
            return .array(elements)
        case .mapping(let mapping):
            try checkDepth(depth + 1, node: node)
            switch collectionTag(mapping.tag) {
            case nil, .map: break
            case .some(let tag): throw unsupported(tag, node: node)
            }
            return try convertMapping(mapping, node: node, depth: depth + 1)
        case .alias:
            let position = position(of: node)
            throw .invalidYAML(problem: "unexpected alias node", line: position.line, column: position.column)
        }
    }

    /// Builds a dict as PyYAML does (merge keys first, later keys overwrite equal earlier ones), then gives its
    /// keys the text `json.dumps` writes for them.
    private mutating func convertMapping(
        _ mapping: Node.Mapping, node: Node, depth: Int
    ) throws(ConfigTextError) -> JSONValue {
        var entries: [(key: String, value: JSONValue)] = []
        var entryIndexByKey: [PythonDictKey: Int] = [:]
        var nanKeyCount = 0
        for (keyNode, valueNode) in try flattenedPairs(mapping, node: node, depth: depth) {
            let key = try convertKey(keyNode, depth: depth)
            let value = try convert(valueNode, depth: depth)
            var dictKey = PythonDictKey(key)
            if case .nan = dictKey {
                nanKeyCount += 1
                dictKey = .nan(nanKeyCount)
            }
            if let index = entryIndexByKey[dictKey] {
                entries[index].value = value
            } else {
                entryIndexByKey[dictKey] = entries.count
                entries.append((key: PythonDictKey.jsonText(of: key), value: value))
            }
        }
        return .object(JSONObject(entries.map { ($0.key, $0.value) }))
    }

    /// PyYAML's `!!omap` and `!!pairs`: a list of one-entry mappings, built as a list of `(key, value)` tuples,
    /// which JSON writes as two-element lists.
    private mutating func convertPairs(_ sequence: Node.Sequence, depth: Int) throws(ConfigTextError)
        -> JSONValue
    {
        var pairs: [JSONValue] = []
        for itemNode in sequence {
            let item = resolved(itemNode)
            guard case .mapping(let mapping) = item, mapping.count == 1, let (key, value) = mapping.first
            else {
                throw unsupportedStructure(
                    at: itemNode, "each item of !!omap or !!pairs must be a mapping with one entry")
            }
            try countNode(item)
            try checkDepth(depth + 1, node: item)
            pairs.append(.array([try convert(key, depth: depth + 1), try convert(value, depth: depth + 1)]))
        }
        return .array(pairs)
    }

    /// A mapping key's value: a scalar (an alias to one included), or `=` which PyYAML keeps as a string key.
    private mutating func convertKey(_ keyNode: Node, depth: Int) throws(ConfigTextError) -> JSONValue {
        let key = resolved(keyNode)
        guard case .scalar(let scalar) = key else {
            let position = position(of: keyNode)
            throw .unsupportedKey(
                what: "a \(key.mapping != nil ? "mapping" : "list") cannot be a dict key (it is unhashable)",
                line: position.line, column: position.column)
        }
        if isImplicit(scalar), PyYAMLScalar.implicitTag(of: scalar.string) == .value {
            try countNode(keyNode)
            return .string(scalar.string)
        }
        return try convert(keyNode, depth: depth)
    }

    /// The mapping's pairs with `<<` merge keys replaced by the merged mappings' pairs, placed first, as
    /// PyYAML's `flatten_mapping` does: for `<<: [*a, *b]`, `a` wins over `b`, and the mapping's own keys win
    /// over both.
    private mutating func flattenedPairs(
        _ mapping: Node.Mapping, node: Node, depth: Int
    ) throws(ConfigTextError) -> [(Node, Node)] {
        try checkDepth(depth, node: node)
        var merged: [(Node, Node)] = []
        var own: [(Node, Node)] = []
        for (keyNode, valueNode) in mapping {
            guard isMergeKey(resolved(keyNode)) else {
                own.append((keyNode, valueNode))
                continue
            }
            let value = resolved(valueNode)
            switch value {
            case .mapping(let source):
                merged += try flattenedPairs(source, node: value, depth: depth + 1)
            case .sequence(let sources):
                var groups: [[(Node, Node)]] = []
                for sourceNode in sources {
                    let source = resolved(sourceNode)
                    guard case .mapping(let sourceMapping) = source else {
                        throw unsupportedStructure(at: sourceNode, "a '<<' list may only hold mappings")
                    }
                    groups.append(try flattenedPairs(sourceMapping, node: source, depth: depth + 1))
                }
                for group in groups.reversed() { merged += group }
            default:
                throw unsupportedStructure(
                    at: valueNode, "'<<' must be followed by a mapping or a list of mappings")
            }
        }
        nodeCount += merged.count
        guard nodeCount <= limits.maximumNodeCount else {
            throw .aliasExpansionTooLarge(limit: limits.maximumNodeCount)
        }
        return merged + own
    }

    private func isMergeKey(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        if isImplicit(scalar) { return PyYAMLScalar.implicitTag(of: scalar.string) == .merge }
        return PyYAMLScalar.Tag(uri: scalar.tag.rawValue) == .merge
    }

    /// Whether PyYAML would resolve the scalar's tag from its text: a plain scalar without a tag.
    private func isImplicit(_ scalar: Node.Scalar) -> Bool {
        let tag = scalar.tag.rawValue
        return scalar.style == .plain && (tag.isEmpty || tag == YAMLConfigLoader.implicitTagName)
    }

    private func constructScalar(_ scalar: Node.Scalar, node: Node) throws(ConfigTextError) -> JSONValue {
        let tag: PyYAMLScalar.Tag
        switch scalar.tag.rawValue {
        case "", YAMLConfigLoader.implicitTagName:
            tag = scalar.style == .plain ? PyYAMLScalar.implicitTag(of: scalar.string) : .string
        case "!":
            // PyYAML resolves a scalar with the non-specific tag `!` as if it were plain, quoted or not.
            tag = PyYAMLScalar.implicitTag(of: scalar.string)
        case let uri:
            tag = PyYAMLScalar.Tag(uri: uri)
        }
        do {
            return try PyYAMLScalar.construct(scalar.string, tag: tag)
        } catch {
            let position = position(of: node)
            throw .unsupportedYAMLValue(what: error.what, line: position.line, column: position.column)
        }
    }

    /// The tag of a list or mapping, or `nil` when it has none (or the non-specific `!`).
    private func collectionTag(_ tag: Yams.Tag) -> PyYAMLScalar.Tag? {
        switch tag.rawValue {
        case "", "!", YAMLConfigLoader.implicitTagName: nil
        case let uri: PyYAMLScalar.Tag(uri: uri)
        }
    }

    // MARK: Limits and errors

    private mutating func countNode(_ node: Node) throws(ConfigTextError) {
        nodeCount += 1
        if nodeCount > limits.maximumNodeCount {
            throw .aliasExpansionTooLarge(limit: limits.maximumNodeCount)
        }
    }

    private func checkDepth(_ depth: Int, node: Node) throws(ConfigTextError) {
        if depth > limits.maximumDepth {
            let position = position(of: node)
            throw .yamlNestingTooDeep(
                limit: limits.maximumDepth, line: position.line, column: position.column)
        }
    }

    private func unsupported(_ tag: PyYAMLScalar.Tag, node: Node) -> ConfigTextError {
        let position = position(of: node)
        let what: String
        switch tag {
        case .set: what = "!!set has no JSON equivalent"
        case .omap, .pairs: what = "!!omap and !!pairs must be lists"
        case .other(let uri): what = "unknown tag '\(uri)' (yaml.safe_load refuses it too)"
        default: what = "a list or mapping cannot have a scalar tag"
        }
        return .unsupportedYAMLValue(what: what, line: position.line, column: position.column)
    }

    private func unsupportedStructure(at node: Node, _ what: String) -> ConfigTextError {
        let position = position(of: node)
        return .unsupportedYAMLValue(what: what, line: position.line, column: position.column)
    }

    /// The node's 1-based line and column in the original text.
    private func position(of node: Node) -> (line: Int, column: Int) {
        guard let mark = node.mark else { return (1, 1) }
        return (mark.line, placeholders.originalColumn(line: mark.line, column: mark.column))
    }

    private static func kindDescription(of value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .integer: "an integer"
        case .float: "a float"
        case .string: "a string"
        case .array: "a list"
        case .object: "a mapping"
        }
    }
}
