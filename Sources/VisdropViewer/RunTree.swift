import VisdropFileSystem

/// A save_dir found under the served folder: what it holds, not yet read.
struct RunSummary: Sendable, Codable, Equatable {
    /// The path relative to the served folder, `/`-separated; "." for the folder itself.
    var name: String
    /// It has the scalar file (`scalars.json`).
    var scalars: Bool
    /// It has the image folder (`vis_image/`).
    var images: Bool
    /// It has the config (`config.py`).
    var config: Bool
    /// The newest modification time of those, in milliseconds since 1970.
    var modifiedMilliseconds: Int64
}

/// The tree of save_dirs under the served folder, and the one way to open anything in it.
///
/// A save_dir is a folder holding the scalar file, the image folder or the config. Discovery
/// lists folders only (nothing is parsed), skips hidden folders and image folders, and never
/// follows a symbolic link. Every read goes through `directory(of:)`, which opens each component
/// beneath the root with `O_NOFOLLOW`: `..`, absolute paths, and links (inside or out) are refused.
struct RunTree: Sendable {
    let root: String
    let scalarSaveFile: String
    let imageSaveDirectory: String
    let configSaveFile: String

    /// How deep below the root save_dirs are looked for (mmengine's are at depth 2 or 3).
    static let maximumDepth = 12
    /// How many folders one listing looks at, at most (a bound on a hostile or huge tree).
    static let maximumFolders = 200_000

    /// Every save_dir under the root, sorted by name; `truncated` when a bound stopped the walk.
    func runs() -> (runs: [RunSummary], truncated: Bool) {
        var found: [RunSummary] = []
        var pending: [(relative: String, depth: Int)] = [("", 0)]
        var visited = 0
        var truncated = false
        while let (relative, depth) = pending.popLast() {
            visited += 1
            if visited > Self.maximumFolders {
                truncated = true
                break
            }
            guard let entries = try? FileSystem.listDirectory(Path.join(root, relative)) else { continue }
            var summary = RunSummary(
                name: relative.isEmpty ? "." : relative, scalars: false, images: false, config: false,
                modifiedMilliseconds: 0)
            for entry in entries {
                let isRunFile: Bool
                switch (entry.name, entry.type) {
                case (scalarSaveFile, .regularFile):
                    summary.scalars = true
                    isRunFile = true
                case (imageSaveDirectory, .directory):
                    summary.images = true
                    isRunFile = true
                case (configSaveFile, .regularFile):
                    summary.config = true
                    isRunFile = true
                case (_, .directory):
                    isRunFile = false
                    guard Self.isListable(entry.name) else { continue }
                    if depth < Self.maximumDepth {
                        pending.append((Path.join(relative, entry.name), depth + 1))
                    } else {
                        truncated = true
                    }
                default:
                    isRunFile = false
                }
                if isRunFile {
                    summary.modifiedMilliseconds = max(
                        summary.modifiedMilliseconds, entry.modificationTime / 1_000_000)
                }
            }
            if summary.scalars || summary.images || summary.config { found.append(summary) }
        }
        found.sort { $0.name < $1.name }
        return (found, truncated)
    }

    /// A folder name discovery descends into: not hidden, and one that opens again by the same
    /// name (a name that is not UTF-8 is decoded with replacement characters and would not).
    private static func isListable(_ name: String) -> Bool {
        !name.hasPrefix(".") && !name.unicodeScalars.contains("\u{FFFD}")
    }

    /// The save_dir `name` (as `runs()` spells it), opened without following any link, or nil
    /// when the name is not a safe relative path or there is no such folder.
    func directory(of name: String) -> Directory? {
        let relative = name == "." ? "" : name
        guard Self.isSafeName(relative) else { return nil }
        return try? Directory.open(relative, beneath: root, creating: false)
    }

    /// The image folder of the save_dir `name`, or nil.
    func imageDirectory(of name: String) -> Directory? {
        try? directory(of: name)?.openSubdirectory(imageSaveDirectory, creating: false)
    }

    /// True for a relative path with no `.`, `..`, empty or hidden components and no NUL.
    static func isSafeName(_ relative: String) -> Bool {
        guard Path.isSafeRelative(relative), !relative.utf8.contains(0) else { return false }
        return !relative.split(separator: "/").contains { $0.hasPrefix(".") }
    }

    /// True for a single file name in a save_dir: no `/`, NUL, or leading dot.
    static func isSafeFileName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.utf8.contains(0) && !name.contains("/")
    }
}
