public import VisdropJSON

/// Writes a configuration as the Python source of an mmengine `config.py`.
///
/// The text loads back with mmengine's `Config.fromfile(path).to_dict()` to a dict equal to the input: ints
/// stay ints (any size), floats stay floats (including `-0.0`, `float('nan')` and `float('inf')`), strings keep
/// every character. The layout follows mmengine's `pretty_text`: one `key = value` statement per top-level key,
/// keys sorted by code point, `dict(k=v)` for identifier keys and `dict({'k': v})` otherwise.
///
/// Top-level keys that are not identifiers are written `globals()['not ident'] = ...`, which
/// `Config.fromfile` loads like any other assignment (mmengine's own dump writes invalid Python there).
/// Top-level keys named `dict`, `float` or `globals` would shadow the builtins the text uses, so they are
/// assigned last, together, in one `globals().update({...})`.
public enum ConfigTextWriter {
    /// Top-level keys that would hide the builtins the generated text calls.
    static let builtinNamesUsed: Set<String> = ["dict", "float", "globals"]

    /// Returns the `config.py` text for `config`.
    ///
    /// - Throws: `ConfigTextError.reservedTopLevelKey` for a top-level key that `Config.fromfile` would reject,
    ///   drop or interpret (`filename`, `text`, `pretty_text`, `env_variables`, `_base_`, `_deprecation_`,
    ///   `_imported_names`, keys starting with `__`, a `custom_imports` it cannot call), and
    ///   `ConfigTextError.nestingTooDeep` for values nested deeper than Python can parse.
    public static func render(_ config: JSONObject) throws(ConfigTextError) -> String {
        for (key, value) in config {
            try checkTopLevelKey(key, value: value)
        }
        let entries = PythonValueLayout.sortedEntries(config)
        var lines: [String] = []
        var shadowingEntries: [JSONObject.Element] = []
        for (key, value) in entries {
            if builtinNamesUsed.contains(key) {
                shadowingEntries.append((key: key, value: value))
                continue
            }
            let target =
                PythonLiteral.isPlainIdentifier(key) ? key : "globals()[\(PythonLiteral.string(key))]"
            try PythonValueLayout.checkBracketDepth(of: value, depth: 0, path: key)
            let valueText = PythonValueLayout.text(
                of: value, indent: 0, usedColumns: target.unicodeScalars.count + 3, trailingColumns: 0)
            lines.append(target + " = " + valueText)
        }
        if !shadowingEntries.isEmpty {
            var statement = "globals().update({\n"
            for (key, value) in shadowingEntries {
                try PythonValueLayout.checkBracketDepth(of: value, depth: 2, path: key)
                let keyText = "    " + PythonLiteral.string(key) + ": "
                let valueText = PythonValueLayout.text(
                    of: value, indent: 4, usedColumns: keyText.unicodeScalars.count, trailingColumns: 1)
                statement += keyText + valueText + ",\n"
            }
            lines.append(statement + "})")
        }
        return lines.map { $0 + "\n" }.joined()
    }

    /// Throws when `Config.fromfile` would not give `key` back with `value` unchanged.
    static func checkTopLevelKey(_ key: String, value: JSONValue) throws(ConfigTextError) {
        let reason: String?
        switch key {
        case "filename", "text", "pretty_text", "env_variables":
            reason = "mmengine reserves it (Config raises \"\(key) is reserved for config file\")"
        case "_base_":
            reason = "mmengine reads it as the list of base config files to inherit from, and removes it"
        case "_deprecation_":
            reason = "mmengine reads it as a deprecation notice for the file, and removes it"
        case "_imported_names":
            reason = "it collides with an internal attribute of mmengine's Config, which breaks to_dict()"
        case "custom_imports":
            reason = customImportsProblem(value)
        default:
            reason = key.hasPrefix("__") ? "Config.fromfile drops top-level names that start with '__'" : nil
        }
        if let reason {
            throw .reservedTopLevelKey(key: key, reason: reason)
        }
    }

    /// Why `Config.fromfile` could not call `import_modules_from_strings(**custom_imports)`, or `nil` when it can.
    ///
    /// A falsy value is ignored by mmengine; a dict with `imports` (a module name or a list of them) and
    /// optionally `allow_failed_imports` is imported when the file is loaded, as the original config intended.
    private static func customImportsProblem(_ value: JSONValue) -> String? {
        guard isTruthy(value) else { return nil }
        let expected =
            "mmengine imports the modules it names when loading, so it must be "
            + "dict(imports=['module', ...], allow_failed_imports=False)"
        guard case .object(let object) = value,
            object.keys.allSatisfy({ $0 == "imports" || $0 == "allow_failed_imports" }),
            let imports = object["imports"]
        else { return expected }
        switch imports {
        case .string:
            return nil
        case .array(let modules) where modules.allSatisfy({ $0.stringValue != nil }):
            return nil
        default:
            return isTruthy(imports) ? expected : nil
        }
    }

    /// Python's truth value of the loaded value.
    private static func isTruthy(_ value: JSONValue) -> Bool {
        switch value {
        case .null: false
        case .bool(let flag): flag
        case .integer(let integer): integer.description != "0"
        case .float(let double): double != 0
        case .string(let string): !string.isEmpty
        case .array(let elements): !elements.isEmpty
        case .object(let object): !object.isEmpty
        }
    }
}
