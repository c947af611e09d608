/// PyYAML's implicit resolver patterns for floats, ints and timestamps (`yaml/resolver.py`), matched by hand.
///
/// Each function matches the whole text, like the anchored regular expressions PyYAML uses.
enum PyYAMLPatterns {
    /// `[-+]?[0-9][0-9_]*\.[0-9_]*([eE][-+][0-9]+)?`, `\.[0-9][0-9_]*([eE][-+][0-9]+)?`,
    /// `[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+\.[0-9_]*`, `[-+]?\.(inf|Inf|INF)` or `\.(nan|NaN|NAN)`.
    static func isFloat(_ text: [UInt8]) -> Bool {
        if [".nan", ".NaN", ".NAN"].contains(where: { text.elementsEqual($0.utf8) }) { return true }
        var index = 0
        let hasSign = skipSign(text, &index)
        let rest = text[index...]
        if [".inf", ".Inf", ".INF"].contains(where: { rest.elementsEqual($0.utf8) }) { return true }
        if !hasSign && text.first == UInt8(ascii: ".") {
            index += 1
            guard index < text.count, isDigit(text[index]) else { return false }
            skip(text, &index, while: isDigitOrUnderscore)
            return isExponentThenEnd(text, index)
        }
        guard index < text.count, isDigit(text[index]) else { return false }
        skip(text, &index, while: isDigitOrUnderscore)
        guard index < text.count else { return false }
        if text[index] == UInt8(ascii: ".") {
            index += 1
            skip(text, &index, while: isDigitOrUnderscore)
            return isExponentThenEnd(text, index)
        }
        guard skipSexagesimalGroups(text, &index), index < text.count, text[index] == UInt8(ascii: ".") else {
            return false
        }
        index += 1
        skip(text, &index, while: isDigitOrUnderscore)
        return index == text.count
    }

    /// `[-+]?0b[0-1_]+`, `[-+]?0[0-7_]+`, `[-+]?(0|[1-9][0-9_]*)`, `[-+]?0x[0-9a-fA-F_]+` or
    /// `[-+]?[1-9][0-9_]*(:[0-5]?[0-9])+`.
    static func isInt(_ text: [UInt8]) -> Bool {
        var index = 0
        _ = skipSign(text, &index)
        guard index < text.count, isDigit(text[index]) else { return false }
        if text[index] == UInt8(ascii: "0") {
            index += 1
            if index == text.count { return true }
            let predicate: (UInt8) -> Bool
            switch text[index] {
            case UInt8(ascii: "b"):
                index += 1
                predicate = { $0 == UInt8(ascii: "0") || $0 == UInt8(ascii: "1") || $0 == UInt8(ascii: "_") }
            case UInt8(ascii: "x"):
                index += 1
                predicate = { isHexDigit($0) || $0 == UInt8(ascii: "_") }
            default:
                predicate = {
                    (UInt8(ascii: "0")...UInt8(ascii: "7")).contains($0) || $0 == UInt8(ascii: "_")
                }
            }
            let start = index
            skip(text, &index, while: predicate)
            return index > start && index == text.count
        }
        skip(text, &index, while: isDigitOrUnderscore)
        if index == text.count { return true }
        return skipSexagesimalGroups(text, &index) && index == text.count
    }

    /// `[0-9]{4}-[0-9]{2}-[0-9]{2}`, or `[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}` then `[Tt]` or blanks,
    /// `[0-9]{1,2}:[0-9]{2}:[0-9]{2}`, an optional `\.[0-9]*` and an optional time zone
    /// (`[ \t]*(Z|[-+][0-9]{1,2}(:[0-9]{2})?)`).
    static func isTimestamp(_ text: [UInt8]) -> Bool {
        var index = 0
        guard skipDigits(text, &index, minimum: 4, maximum: 4), skipByte(text, &index, "-") else {
            return false
        }
        let monthStart = index
        guard skipDigits(text, &index, minimum: 1, maximum: 2), skipByte(text, &index, "-") else {
            return false
        }
        let dayStart = index
        guard skipDigits(text, &index, minimum: 1, maximum: 2) else { return false }
        if index == text.count {
            return dayStart - monthStart == 3 && index - dayStart == 2
        }
        if text[index] == UInt8(ascii: "T") || text[index] == UInt8(ascii: "t") {
            index += 1
        } else {
            let blanksStart = index
            skip(text, &index, while: isBlank)
            guard index > blanksStart else { return false }
        }
        guard skipDigits(text, &index, minimum: 1, maximum: 2), skipByte(text, &index, ":"),
            skipDigits(text, &index, minimum: 2, maximum: 2), skipByte(text, &index, ":"),
            skipDigits(text, &index, minimum: 2, maximum: 2)
        else { return false }
        if skipByte(text, &index, ".") {
            skip(text, &index, while: isDigit)
        }
        if index == text.count { return true }
        skip(text, &index, while: isBlank)
        if skipByte(text, &index, "Z") { return index == text.count }
        guard index < text.count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") else {
            return false
        }
        index += 1
        guard skipDigits(text, &index, minimum: 1, maximum: 2) else { return false }
        if skipByte(text, &index, ":") {
            guard skipDigits(text, &index, minimum: 2, maximum: 2) else { return false }
        }
        return index == text.count
    }

    /// One or more `:[0-5]?[0-9]` groups (taking two digits whenever they fit, which is the only way
    /// the rest of either pattern can match).
    private static func skipSexagesimalGroups(_ text: [UInt8], _ index: inout Int) -> Bool {
        var groups = 0
        while index < text.count, text[index] == UInt8(ascii: ":") {
            index += 1
            guard index < text.count, isDigit(text[index]) else { return false }
            if text[index] <= UInt8(ascii: "5"), index + 1 < text.count, isDigit(text[index + 1]) {
                index += 2
            } else {
                index += 1
            }
            groups += 1
        }
        return groups > 0
    }

    /// Whether the text ends at `index` or with `[eE][-+][0-9]+` from `index`.
    private static func isExponentThenEnd(_ text: [UInt8], _ index: Int) -> Bool {
        if index == text.count { return true }
        guard text[index] == UInt8(ascii: "e") || text[index] == UInt8(ascii: "E"), index + 2 < text.count,
            text[index + 1] == UInt8(ascii: "-") || text[index + 1] == UInt8(ascii: "+")
        else { return false }
        return text[(index + 2)...].allSatisfy(isDigit)
    }

    private static func skipSign(_ text: [UInt8], _ index: inout Int) -> Bool {
        guard index < text.count, text[index] == UInt8(ascii: "-") || text[index] == UInt8(ascii: "+") else {
            return false
        }
        index += 1
        return true
    }

    private static func skipByte(_ text: [UInt8], _ index: inout Int, _ byte: Unicode.Scalar) -> Bool {
        guard index < text.count, text[index] == UInt8(ascii: byte) else { return false }
        index += 1
        return true
    }

    private static func skipDigits(_ text: [UInt8], _ index: inout Int, minimum: Int, maximum: Int) -> Bool {
        let start = index
        while index < text.count, index - start < maximum, isDigit(text[index]) {
            index += 1
        }
        return index - start >= minimum
    }

    private static func skip(_ text: [UInt8], _ index: inout Int, while predicate: (UInt8) -> Bool) {
        while index < text.count, predicate(text[index]) {
            index += 1
        }
    }

    private static func isDigit(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
    }

    private static func isDigitOrUnderscore(_ byte: UInt8) -> Bool {
        isDigit(byte) || byte == UInt8(ascii: "_")
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        isDigit(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
            || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }
}
