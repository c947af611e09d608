import VisdropJSON

/// Python source literals for config values, written the way Python's `repr` writes them.
enum PythonLiteral {
    /// Python's hard keywords (`keyword.kwlist`) plus `__debug__`, none of which may be a keyword-argument name.
    ///
    /// Soft keywords (`match`, `case`, `type`, `_`) are valid names and are not listed.
    static let reservedNames: Set<String> = [
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
        "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in",
        "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
        "__debug__",
    ]

    /// Decimal integers with more digits than this make Python 3.11+ refuse the literal
    /// (`sys.int_info.default_max_str_digits`).
    static let maximumIntegerLiteralDigits = 4300

    /// Digits per chunk when a huge integer is written as `a * 10**n + b`.
    static let integerChunkDigits = 4000

    /// Whether `name` can be written bare: `name = value` at top level and `dict(name=value)`.
    ///
    /// Only ASCII identifiers qualify: Python NFKC-normalizes non-ASCII identifiers, which would change the key.
    static func isPlainIdentifier(_ name: String) -> Bool {
        var scalars = name.unicodeScalars.makeIterator()
        guard let first = scalars.next(), first == "_" || isASCIILetter(first) else { return false }
        while let scalar = scalars.next() {
            guard scalar == "_" || isASCIILetter(scalar) || ("0"..."9").contains(scalar) else { return false }
        }
        return !reservedNames.contains(name)
    }

    private static func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar)
    }

    /// Python's `repr(text)`, except that the second `{` of `{{` is written `\x7b`.
    ///
    /// mmengine substitutes `{{ ... }}` templates in the file text before parsing it, so a literal `{{`
    /// could be rewritten; the escape keeps the loaded string identical.
    static func string(_ text: String) -> String {
        let scalars = text.unicodeScalars
        let quote: Unicode.Scalar = scalars.contains("'") && !scalars.contains("\"") ? "\"" : "'"
        var result = String(quote)
        var previousWasBrace = false
        for scalar in scalars {
            let isBrace = scalar == "{"
            defer { previousWasBrace = isBrace && !previousWasBrace }
            switch scalar {
            case quote, "\\":
                result.unicodeScalars.append("\\")
                result.unicodeScalars.append(scalar)
            case "\t": result += "\\t"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "{" where previousWasBrace: result += "\\x7b"
            default:
                if isPrintable(scalar) {
                    result.unicodeScalars.append(scalar)
                } else {
                    result += escaped(scalar)
                }
            }
        }
        result.unicodeScalars.append(quote)
        return result
    }

    /// Python's `str.isprintable` for one character: everything but control, format, surrogate, private-use,
    /// unassigned and separator characters, with the ASCII space counted as printable.
    private static func isPrintable(_ scalar: Unicode.Scalar) -> Bool {
        if scalar.value < 0x7F { return scalar.value >= 0x20 }
        switch scalar.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator,
            .spaceSeparator:
            return false
        default:
            return true
        }
    }

    /// `\xNN`, `\uNNNN` or `\UNNNNNNNN` with lowercase hex digits, as Python's `repr` writes them.
    private static func escaped(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16)
        switch scalar.value {
        case ..<0x100: return "\\x" + String(repeating: "0", count: 2 - hex.count) + hex
        case ..<0x10000: return "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        default: return "\\U" + String(repeating: "0", count: 8 - hex.count) + hex
        }
    }

    /// The exact integer as Python source; huge values become `a * 10**n + b` so Python's digit limit
    /// for decimal literals does not apply.
    static func integer(_ value: JSONInteger) -> String {
        let text = value.description
        let isNegative = text.hasPrefix("-")
        let digits = isNegative ? Substring(text.dropFirst()) : Substring(text)
        guard digits.count > maximumIntegerLiteralDigits else { return text }
        var terms: [String] = []
        var chunkEnd = digits.endIndex
        var power = 0
        while chunkEnd > digits.startIndex {
            let chunkStart =
                digits.index(chunkEnd, offsetBy: -integerChunkDigits, limitedBy: digits.startIndex)
                ?? digits.startIndex
            let significant = digits[chunkStart..<chunkEnd].drop(while: { $0 == "0" })
            if !significant.isEmpty {
                terms.append(power == 0 ? String(significant) : "\(significant) * 10**\(power)")
            }
            power += integerChunkDigits
            chunkEnd = chunkStart
        }
        let sum = terms.reversed().joined(separator: " + ")
        return isNegative ? "-(\(sum))" : sum
    }

    /// Extra bracket depth the integer's source text opens (a negative huge integer is parenthesized).
    static func bracketDepth(of value: JSONInteger) -> Int {
        let text = value.description
        return text.hasPrefix("-") && text.count - 1 > maximumIntegerLiteralDigits ? 1 : 0
    }

    /// The float as Python source: `repr(value)` when finite, else `float('nan')`, `float('inf')`, `-float('inf')`.
    static func float(_ value: Double) -> String {
        if value.isNaN { return "float('nan')" }
        if value.isInfinite { return value < 0 ? "-float('inf')" : "float('inf')" }
        return JSONWriter.pythonFloatRepr(value)
    }

    /// Extra bracket depth the float's source text opens (`float(...)` for non-finite values).
    static func bracketDepth(of value: Double) -> Int {
        value.isFinite ? 0 : 1
    }
}

extension String {
    /// Whether `self` sorts before `other` by Unicode code point, as Python orders `str` values.
    ///
    /// Swift's `<` compares canonical equivalents, which differs from Python for non-ASCII text.
    func precedesByCodePoint(_ other: String) -> Bool {
        unicodeScalars.lexicographicallyPrecedes(other.unicodeScalars) { $0.value < $1.value }
    }
}
