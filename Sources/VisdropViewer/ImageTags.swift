import VisdropFileSystem

/// One image tag of a save_dir and every step it has an image for.
struct ImageTag: Sendable, Codable, Equatable {
    /// The `name` of `add_image(name, image, step)`.
    var tag: String
    /// Every step with an image, ascending (no cap: a slider offers each one).
    var steps: [Int]
}

/// The tags of an image folder, read from its file names `{name}_{step}.png`.
enum ImageTags {
    /// The tags in `entries` (a listing of the image folder), sorted by tag.
    ///
    /// The step is the digits after the last `_`, spelt as mmengine spells an int (no leading
    /// zero, no sign); other names are not images of this layout and are left out.
    static func tags(in entries: [FileSystem.DirectoryEntry]) -> [ImageTag] {
        var stepsByTag: [String: [Int]] = [:]
        for entry in entries where entry.type == .regularFile {
            guard let (tag, step) = parse(entry.name) else { continue }
            stepsByTag[tag, default: []].append(step)
        }
        return stepsByTag.map { ImageTag(tag: $0.key, steps: $0.value.sorted()) }.sorted { $0.tag < $1.tag }
    }

    /// `(name, step)` of `{name}_{step}.png`, or nil.
    static func parse(_ fileName: String) -> (tag: String, step: Int)? {
        guard fileName.hasSuffix(".png"), RunTree.isSafeFileName(fileName) else { return nil }
        let stem = fileName.dropLast(4)
        guard let separator = stem.lastIndex(of: "_") else { return nil }
        let tag = stem[..<separator]
        let digits = stem[stem.index(after: separator)...]
        guard !tag.isEmpty, !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            digits == "0" || !digits.hasPrefix("0"), let step = Int(digits)
        else { return nil }
        return (String(tag), step)
    }

    /// The file name of the image of `tag` at `step`: the inverse of `parse`.
    static func fileName(tag: String, step: Int) -> String {
        "\(tag)_\(step).png"
    }
}
