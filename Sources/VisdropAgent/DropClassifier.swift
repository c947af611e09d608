/// What a dropped file is, decided by its name alone.
public enum DropKind: Sendable, Equatable {
    /// A `.npy` array filed as `vis_image/{name}_{step}.png`.
    case image(name: String, step: Int)
    /// A config: `.py` copied byte for byte, JSON or YAML rendered as Python.
    case config(ConfigFormat)
    /// Scalar records: one JSON object per file or per line; `filePath` is `add_scalars`'
    /// second file, from a name of the form `anything@<file_path stem>.json`.
    case scalars(filePath: String?)
    /// A dotfile or a name ending `.tmp`, `.part` or `~`: left alone until renamed.
    case workInProgress
    /// Not a kind visdrop files; the reason says what is accepted.
    case unknown(reason: String)

    /// The format of a dropped config file.
    public enum ConfigFormat: Sendable, Equatable {
        case python, json, yaml
    }

    /// A short word for logs: image, config, scalars, wip or unknown.
    public var label: String {
        switch self {
        case .image: return "image"
        case .config: return "config"
        case .scalars: return "scalars"
        case .workInProgress: return "wip"
        case .unknown: return "unknown"
        }
    }
}

/// Decides the kind of a dropped file from its name (the drop protocol in the README).
public enum DropClassifier {
    /// True for names visdrop never touches: dotfiles and dot-directories (`.rejected` among them).
    public static func isHidden(_ name: String) -> Bool {
        name.hasPrefix(".")
    }

    /// True for names left alone until renamed: dotfiles and names ending `.tmp`, `.part` or `~`.
    public static func isWorkInProgress(_ name: String) -> Bool {
        isHidden(name) || workInProgressEndings.contains { name.hasSuffix($0) }
    }

    /// The endings of work-in-progress names (both readings of a name use this one list).
    private static let workInProgressEndings = [".tmp", ".part", "~"]
    /// The same endings as bytes, for the byte-wise reading.
    private static let workInProgressEndingBytes = workInProgressEndings.map { Array($0.utf8) }

    /// The kind of the file named `name` (the last path component).
    ///
    /// An ASCII name (nearly every name) is read byte by byte, which decides exactly as the
    /// character-wise reading below does for ASCII and costs a thirtieth of it (the classifier
    /// runs twice per filed file); any other name is read character by character.
    public static func classify(_ name: String) -> DropKind {
        let ascii = name.utf8.withContiguousStorageIfAvailable { bytes -> DropKind? in
            bytes.allSatisfy { $0 < 0x80 } ? classifyASCII(bytes, name) : nil
        }
        if case .some(.some(let kind)) = ascii { return kind }
        return classifyCharacters(name)
    }

    /// `classify` for a name whose bytes are all ASCII.
    private static func classifyASCII(_ bytes: UnsafeBufferPointer<UInt8>, _ name: String) -> DropKind {
        func endsWith(_ ending: [UInt8]) -> Bool {
            bytes.count >= ending.count && bytes[(bytes.count - ending.count)...].elementsEqual(ending)
        }
        if bytes.first == UInt8(ascii: ".") || workInProgressEndingBytes.contains(where: endsWith) {
            return .workInProgress
        }
        guard let dot = bytes.lastIndex(of: UInt8(ascii: ".")) else {
            return .unknown(reason: unknownReason(name))
        }
        var extensionBytes: [UInt8] = []
        for byte in bytes[(dot + 1)...] {
            extensionBytes.append(byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte)
        }
        let stem = String(decoding: UnsafeBufferPointer(rebasing: bytes[..<dot]), as: UTF8.self)
        switch String(decoding: extensionBytes, as: UTF8.self) {
        case "npy": return image(stem: stem)
        case "py": return .config(.python)
        case "yaml", "yml": return .config(.yaml)
        case "json" where stem == "config": return .config(.json)
        case "json", "jsonl":
            return bytes[..<dot].contains(UInt8(ascii: "@")) ? scalars(stem: stem) : .scalars(filePath: nil)
        default: return .unknown(reason: unknownReason(name))
        }
    }

    /// `classify` read character by character.
    static func classifyCharacters(_ name: String) -> DropKind {
        if isWorkInProgress(name) { return .workInProgress }
        guard let dot = name.lastIndex(of: "."), dot != name.startIndex else {
            return .unknown(reason: unknownReason(name))
        }
        let stem = String(name[..<dot])
        switch name[name.index(after: dot)...].lowercased() {
        case "npy":
            return image(stem: stem)
        case "py":
            return .config(.python)
        case "yaml", "yml":
            return .config(.yaml)
        case "json" where stem == "config":
            return .config(.json)
        case "json", "jsonl":
            return scalars(stem: stem)
        default:
            return .unknown(reason: unknownReason(name))
        }
    }

    /// `<name>_<step>`: the step is the digits after the last underscore, else 0.
    private static func image(stem: String) -> DropKind {
        if let underscore = stem.lastIndex(of: "_") {
            let digits = stem[stem.index(after: underscore)...]
            if !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) {
                guard let step = Int(digits) else {
                    return .unknown(
                        reason: "the step \(digits) in the name is too large (at most \(Int.max))")
                }
                return .image(name: String(stem[..<underscore]), step: step)
            }
        }
        return .image(name: stem, step: 0)
    }

    /// `anything@target.json` also appends to `target.json` (mmengine's `file_path`).
    private static func scalars(stem: String) -> DropKind {
        guard let at = stem.lastIndex(of: "@") else { return .scalars(filePath: nil) }
        let target = stem[stem.index(after: at)...]
        guard !target.isEmpty else {
            return .unknown(reason: "nothing follows '@': name the second scalar file, as in loss@val.json")
        }
        return .scalars(filePath: target + ".json")
    }

    private static func unknownReason(_ name: String) -> String {
        "'\(name)' is not a kind visdrop files: use .npy (image), .json or .jsonl (scalars), "
            + "config.json, .py, .yaml or .yml (config)"
    }
}
