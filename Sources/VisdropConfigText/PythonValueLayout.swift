import VisdropJSON

/// Lays out config values as Python expressions: short values on one line, longer ones one element per line.
///
/// Mappings whose keys are all plain identifiers are written `dict(k=v, ...)`, others `dict({'k': v, ...})`;
/// keys are sorted by code point at every level, as mmengine's `pretty_text` does.
struct PythonValueLayout {
    /// The column limit for putting a value on one line.
    static let lineWidth = 79
    /// Python's parser refuses more nested brackets than this in one statement ("too many nested parentheses").
    static let maximumBracketDepth = 200

    private static let indentStep = 4

    /// Throws when `value`, starting at `depth` open brackets, would nest deeper than Python accepts.
    static func checkBracketDepth(of value: JSONValue, depth: Int, path: String) throws(ConfigTextError) {
        let ownDepth: Int
        switch value {
        case .null, .bool, .string: ownDepth = depth
        case .integer(let integer): ownDepth = depth + PythonLiteral.bracketDepth(of: integer)
        case .float(let double): ownDepth = depth + PythonLiteral.bracketDepth(of: double)
        case .array(let elements):
            ownDepth = depth + 1
            if ownDepth <= maximumBracketDepth {
                for (index, element) in elements.enumerated() {
                    try checkBracketDepth(of: element, depth: ownDepth, path: path + "[\(index)]")
                }
            }
        case .object(let object):
            ownDepth = depth + (usesKeywordSyntax(object) ? 1 : 2)
            if ownDepth <= maximumBracketDepth {
                for (key, element) in object {
                    try checkBracketDepth(
                        of: element, depth: ownDepth, path: path + "[\(PythonLiteral.string(key))]")
                }
            }
        }
        if ownDepth > maximumBracketDepth {
            throw .nestingTooDeep(path: path, limit: maximumBracketDepth)
        }
    }

    /// Whether every key can be a keyword argument of `dict(...)`.
    static func usesKeywordSyntax(_ object: JSONObject) -> Bool {
        object.keys.allSatisfy(PythonLiteral.isPlainIdentifier)
    }

    /// The entries sorted by key code point.
    static func sortedEntries(_ object: JSONObject) -> [JSONObject.Element] {
        object.sorted { $0.key.precedesByCodePoint($1.key) }
    }

    /// The source text of `value`.
    ///
    /// - Parameters:
    ///   - indent: the indentation of the line the value starts on; continuation lines indent from it.
    ///   - usedColumns: columns already taken on the first line before the value.
    ///   - trailingColumns: columns that follow the value on its last line (a comma, a closing bracket).
    static func text(of value: JSONValue, indent: Int, usedColumns: Int, trailingColumns: Int) -> String {
        let budget = lineWidth - usedColumns - trailingColumns
        if let flat = flatText(of: value, budget: max(budget, 0)) {
            return flat
        }
        let inner = indent + indentStep
        let padding = String(repeating: " ", count: inner)
        let closingPadding = String(repeating: " ", count: indent)
        switch value {
        case .array(let elements) where !elements.isEmpty:
            var result = "[\n"
            for element in elements {
                result += padding
                result += text(of: element, indent: inner, usedColumns: inner, trailingColumns: 1)
                result += ",\n"
            }
            return result + closingPadding + "]"
        case .object(let object) where !object.isEmpty:
            let keywordSyntax = usesKeywordSyntax(object)
            var result = keywordSyntax ? "dict(\n" : "dict({\n"
            for (key, element) in sortedEntries(object) {
                let keyText = keywordSyntax ? key + "=" : PythonLiteral.string(key) + ": "
                result += padding + keyText
                result += text(
                    of: element, indent: inner, usedColumns: inner + keyText.unicodeScalars.count,
                    trailingColumns: 1)
                result += ",\n"
            }
            return result + closingPadding + (keywordSyntax ? ")" : "})")
        default:
            return scalarText(of: value)
        }
    }

    /// The one-line text of `value`, or `nil` when it is longer than `budget` columns.
    private static func flatText(of value: JSONValue, budget: Int) -> String? {
        switch value {
        case .array(let elements):
            var result = "["
            var remaining = budget - 2
            for (index, element) in elements.enumerated() {
                let separator = index == 0 ? "" : ", "
                guard let elementText = flatText(of: element, budget: remaining - separator.count) else {
                    return nil
                }
                remaining -= separator.count + elementText.unicodeScalars.count
                result += separator + elementText
            }
            return result + "]"
        case .object(let object):
            let keywordSyntax = usesKeywordSyntax(object)
            var result = keywordSyntax ? "dict(" : "dict({"
            var remaining = budget - (keywordSyntax ? 6 : 8)
            guard remaining >= 0 else { return nil }
            for (index, (key, element)) in sortedEntries(object).enumerated() {
                let keyText =
                    (index == 0 ? "" : ", ") + (keywordSyntax ? key + "=" : PythonLiteral.string(key) + ": ")
                remaining -= keyText.unicodeScalars.count
                guard remaining >= 0, let elementText = flatText(of: element, budget: remaining) else {
                    return nil
                }
                remaining -= elementText.unicodeScalars.count
                result += keyText + elementText
            }
            return result + (keywordSyntax ? ")" : "})")
        default:
            let text = scalarText(of: value)
            return text.unicodeScalars.count <= budget ? text : nil
        }
    }

    /// The literal of a non-container value (containers give their empty form).
    private static func scalarText(of value: JSONValue) -> String {
        switch value {
        case .null: return "None"
        case .bool(let flag): return flag ? "True" : "False"
        case .integer(let integer): return PythonLiteral.integer(integer)
        case .float(let double): return PythonLiteral.float(double)
        case .string(let string): return PythonLiteral.string(string)
        case .array: return "[]"
        case .object: return "dict()"
        }
    }
}
