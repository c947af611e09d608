/// Helpers for slash-separated relative and absolute paths, as plain strings.
public enum Path {
    /// The directory part of `path` (`"a/b"` for `"a/b/c"`, `""` for `"c"`, `"/"` for `"/c"`).
    public static func directory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "" }
        if slash == path.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path` (`"c"` for `"a/b/c"`).
    public static func lastComponent(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return path }
        return String(path[path.index(after: slash)...])
    }

    /// Joins path components with `/`, skipping empty ones.
    public static func join(_ components: String...) -> String {
        join(components)
    }

    /// Joins path components with `/`, skipping empty ones.
    public static func join(_ components: [String]) -> String {
        var result = ""
        for component in components where !component.isEmpty {
            if result.isEmpty || result.hasSuffix("/") {
                result += component
            } else {
                result += "/" + component
            }
        }
        return result
    }

    /// True when `relative` is a safe relative path: not absolute, no `..` or `.` or empty parts.
    public static func isSafeRelative(_ relative: String) -> Bool {
        if relative.isEmpty { return true }
        if relative.hasPrefix("/") { return false }
        return relative.split(separator: "/", omittingEmptySubsequences: false).allSatisfy {
            !$0.isEmpty && $0 != "." && $0 != ".."
        }
    }

    /// The longest file name a Linux file system accepts, in bytes (`NAME_MAX`).
    public static let maximumNameBytes = 255

    /// `name`, cut at a character boundary so that it and `suffix` together fit in `maximumNameBytes`.
    public static func fitting(_ name: String, suffix: String) -> String {
        let room = maximumNameBytes - suffix.utf8.count
        guard name.utf8.count > room else { return name }
        var kept = ""
        var used = 0
        for scalar in name.unicodeScalars {
            let width = UTF8.width(scalar)
            if used + width > max(room, 0) { break }
            kept.unicodeScalars.append(scalar)
            used += width
        }
        return kept
    }
}
