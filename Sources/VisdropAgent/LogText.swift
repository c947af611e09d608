/// Text from the drop folder (file names, reasons naming them) made safe for one log line.
enum LogText {
    /// `text` with control characters and line separators written as escapes (`\n`, `\u{7F}`), so a
    /// file name cannot break a log line or forge another one.
    static func escaped(_ text: String) -> String {
        // Most names are printable ASCII: one pass over the bytes decides, without decoding.
        let plainASCII = text.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
        guard !plainASCII, text.unicodeScalars.contains(where: { needsEscape($0) || $0 == "\\" }) else {
            return text
        }
        var result = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "\\": result += "\\\\"
            case _ where needsEscape(scalar):
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    private static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value) || scalar == "\u{2028}"
            || scalar == "\u{2029}"
    }
}
