/// Why a configuration could not be written as mmengine config text, or YAML could not be read as one.
///
/// Every case says where the problem is (a key path, or a 1-based YAML line and column) and its
/// `description` says what to change.
public enum ConfigTextError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A top-level key that mmengine's `Config.fromfile` rejects, drops or reinterprets.
    case reservedTopLevelKey(key: String, reason: String)
    /// Containers nested deeper than Python can parse in one statement (`path` is the innermost key path reached).
    case nestingTooDeep(path: String, limit: Int)
    /// The YAML text is not well-formed (the problem as libyaml reports it).
    case invalidYAML(problem: String, line: Int, column: Int)
    /// The YAML document is empty or its top-level value is not a mapping.
    case topLevelNotMapping(found: String)
    /// Aliases expand the YAML document to more values than allowed (an "alias bomb").
    case aliasExpansionTooLarge(limit: Int)
    /// YAML containers nested deeper than allowed, counting the content aliases bring in.
    case yamlNestingTooDeep(limit: Int, line: Int, column: Int)
    /// A YAML value with no place in a Python config dict: a timestamp, binary, set, unknown tag, bad number.
    case unsupportedYAMLValue(what: String, line: Int, column: Int)
    /// An alias that names no anchor defined before it, or that refers to a node containing it.
    case invalidAlias(name: String, problem: String, line: Int, column: Int)
    /// A YAML mapping key that cannot be a dict key (a list or a mapping).
    case unsupportedKey(what: String, line: Int, column: Int)
    /// The same key written twice in one YAML mapping.
    case duplicateKey(key: String, line: Int, column: Int)

    /// What is wrong, where, and what to do about it.
    public var description: String {
        switch self {
        case .reservedTopLevelKey(let key, let reason):
            return "config key '\(key)' cannot be written to config.py: \(reason); rename the key"
        case .nestingTooDeep(let path, let limit):
            return "config value at \(path) is nested more than \(limit) brackets deep, which Python cannot "
                + "parse; flatten the structure"
        case .invalidYAML(let problem, let line, let column):
            return "invalid YAML at line \(line), column \(column): \(problem)"
        case .topLevelNotMapping(let found):
            return "YAML config must be a mapping of keys to values at the top level, but it is \(found)"
        case .aliasExpansionTooLarge(let limit):
            return "YAML aliases expand the document to more than \(limit) values (an alias bomb?); "
                + "reduce the aliasing or raise the loader's node limit"
        case .yamlNestingTooDeep(let limit, let line, let column):
            return
                "YAML is nested more than \(limit) levels deep (counting aliased content) at line \(line), "
                + "column \(column); flatten the structure or raise the loader's depth limit"
        case .unsupportedYAMLValue(let what, let line, let column):
            return "unsupported YAML value at line \(line), column \(column): \(what)"
        case .invalidAlias(let name, let problem, let line, let column):
            return "YAML alias '*\(name)' at line \(line), column \(column) \(problem)"
        case .unsupportedKey(let what, let line, let column):
            return "unsupported YAML mapping key at line \(line), column \(column): \(what); "
                + "keys must be strings, numbers, booleans or null"
        case .duplicateKey(let key, let line, let column):
            return "YAML mapping repeats the key '\(key)' (first seen at line \(line), column \(column)); "
                + "remove one of them"
        }
    }
}
