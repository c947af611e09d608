/// YAML text with every possible alias (`*name`) replaced by a unique plain scalar, so Yams never resolves
/// an alias itself.
///
/// Yams shares an anchored node wherever it is aliased: a small document can then describe a tree far too
/// large to hash (Yams hashes mapping keys) or too deep to release without overflowing the stack. With the
/// aliases replaced, the tree Yams builds is no larger than the text; the loader expands the aliases itself,
/// counting what they add.
///
/// A candidate is any `*` followed by an anchor name (`[0-9A-Za-z_-]+`, libyaml's rule), wherever it
/// appears: a real alias always matches, and a `*` inside a string or comment matches too. After parsing,
/// a candidate is a real alias exactly when a plain scalar node's text equals its placeholder; the others
/// are put back and the text is parsed again.
struct YAMLAliasPlaceholders {
    /// One replaced `*name`.
    struct Candidate {
        /// The anchor name after `*`.
        var name: String
        /// The placeholder written in its place.
        var placeholder: String
        /// 1-based line of the `*`, counting line breaks as libyaml does.
        var line: Int
        /// 1-based column of the placeholder in the rewritten text.
        var rewrittenColumn: Int
    }

    /// The original text.
    private let original: String
    /// The original text split at candidates: `segments[i]` precedes candidate `i`, the last segment follows
    /// the last candidate.
    private var segments: [Range<String.Index>]
    /// The candidates in text order.
    private(set) var candidates: [Candidate]
    /// The indices of the candidates on each line.
    private var candidateIndicesByLine: [Int: [Int]] = [:]

    /// Finds the candidates in `text`.
    init(_ text: String) {
        original = text
        let scalars = text.unicodeScalars
        let prefix = Self.uniquePrefix(for: text)
        segments = []
        candidates = []
        var segmentStart = scalars.startIndex
        var line = 1
        var rewrittenColumn = 1
        var index = scalars.startIndex
        var previous: Unicode.Scalar?
        while index < scalars.endIndex {
            let scalar = scalars[index]
            if scalar == "*" {
                let nameStart = scalars.index(after: index)
                let nameEnd =
                    scalars[nameStart...].firstIndex(where: { !Self.isAnchorCharacter($0) })
                    ?? scalars.endIndex
                if nameStart < nameEnd {
                    segments.append(segmentStart..<index)
                    candidateIndicesByLine[line, default: []].append(candidates.count)
                    let placeholder = prefix + String(candidates.count)
                    candidates.append(
                        Candidate(
                            name: String(scalars[nameStart..<nameEnd]), placeholder: placeholder, line: line,
                            rewrittenColumn: rewrittenColumn))
                    rewrittenColumn += placeholder.unicodeScalars.count
                    segmentStart = nameEnd
                    index = nameEnd
                    previous = nil
                    continue
                }
            }
            if Self.isLineBreak(scalar) {
                // "\r\n" is one break.
                if !(scalar == "\n" && previous == "\r") { line += 1 }
                rewrittenColumn = 1
            } else {
                rewrittenColumn += 1
            }
            previous = scalar
            index = scalars.index(after: index)
        }
        segments.append(segmentStart..<scalars.endIndex)
    }

    /// The text with the candidates for which `isReplaced` holds written as placeholders and the rest as
    /// they were.
    func text(replacing isReplaced: (Int) -> Bool) -> String {
        var result: [UInt8] = []
        result.reserveCapacity(original.utf8.count + candidates.count * 24)
        for (index, candidate) in candidates.enumerated() {
            result.append(contentsOf: original.utf8[segments[index]])
            if isReplaced(index) {
                result.append(contentsOf: candidate.placeholder.utf8)
            } else {
                result.append(UInt8(ascii: "*"))
                result.append(contentsOf: candidate.name.utf8)
            }
        }
        if let last = segments.last {
            result.append(contentsOf: original.utf8[last])
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// Maps a column reported for the fully rewritten text back to the original text.
    func originalColumn(line: Int, column: Int) -> Int {
        var shift = 0
        for index in candidateIndicesByLine[line, default: []]
        where candidates[index].rewrittenColumn < column {
            let candidate = candidates[index]
            shift += candidate.placeholder.unicodeScalars.count - candidate.name.unicodeScalars.count - 1
        }
        return max(1, column - shift)
    }

    /// libyaml's anchor-name characters.
    static func isAnchorCharacter(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "0"..."9", "A"..."Z", "a"..."z", "_", "-": true
        default: false
        }
    }

    /// The characters libyaml counts as line breaks.
    private static func isLineBreak(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar {
        case "\n", "\r", "\u{85}", "\u{2028}", "\u{2029}": true
        default: false
        }
    }

    /// A prefix of identifier characters that occurs nowhere in `text`, so no scalar of the document can
    /// equal a placeholder by accident.
    private static func uniquePrefix(for text: String) -> String {
        var prefix = "_visdrop_alias_"
        while text.contains(prefix) {
            prefix += "x_"
        }
        return prefix
    }
}
