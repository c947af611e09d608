/// Helpers for slash-separated relative and absolute paths, as plain strings.
public enum Path {
    /// The directory part of `path` (`"a/b"` for `"a/b/c"`, `""` for `"c"`, `"/"` for `"/c"`).
    ///
    /// Split at the last `/` byte, as the kernel splits paths (and without the cost of walking
    /// the string by characters: this runs several times per filed file).
    public static func directory(of path: String) -> String {
        // The string's own bytes, searched backwards: several paths are split per filed file, and
        // walking `String.UTF8View` by index costs ten times more.
        let fast = path.utf8.withContiguousStorageIfAvailable { bytes -> String in
            guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "" }
            if slash == 0 { return "/" }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[..<slash]), as: UTF8.self)
        }
        if let fast { return fast }
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return "" }
        if slash == bytes.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path` (`"c"` for `"a/b/c"`).
    public static func lastComponent(of path: String) -> String {
        let fast = path.utf8.withContiguousStorageIfAvailable { bytes -> String in
            guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return path }
            return String(decoding: UnsafeBufferPointer(rebasing: bytes[(slash + 1)...]), as: UTF8.self)
        }
        if let fast { return fast }
        let bytes = path.utf8
        guard let slash = bytes.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[bytes.index(after: slash)...])
    }

    /// Joins path components with `/`, skipping empty ones.
    public static func join(_ components: String...) -> String {
        join(components)
    }

    /// Joins path components with `/`, skipping empty ones.
    ///
    /// Built in one allocation, byte by byte: several paths are joined per filed file.
    public static func join(_ components: [String]) -> String {
        var capacity = 0
        for component in components { capacity += component.utf8.count + 1 }
        return String(unsafeUninitializedCapacity: capacity) { buffer in
            var count = 0
            for var component in components where !component.isEmpty {
                if count > 0, buffer[count - 1] != UInt8(ascii: "/") {
                    buffer[count] = UInt8(ascii: "/")
                    count += 1
                }
                count += component.withUTF8 { bytes in
                    UnsafeMutableBufferPointer(rebasing: buffer[count...]).initialize(fromContentsOf: bytes)
                }
            }
            return count
        }
    }

    /// True when `relative` is a safe relative path: not absolute, no `..` or `.` or empty parts.
    ///
    /// Checked byte by byte, split at `/` bytes as the kernel splits (no substrings are made).
    public static func isSafeRelative(_ relative: String) -> Bool {
        if relative.isEmpty { return true }
        var length = 0
        var onlyDots = true
        for byte in relative.utf8 {
            if byte == UInt8(ascii: "/") {
                // An empty part (a leading, doubled or trailing slash), `.` or `..`.
                if length == 0 || (onlyDots && length <= 2) { return false }
                length = 0
                onlyDots = true
            } else {
                length += 1
                onlyDots = onlyDots && byte == UInt8(ascii: ".")
            }
        }
        return length > 0 && !(onlyDots && length <= 2)
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
