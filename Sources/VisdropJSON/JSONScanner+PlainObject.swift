/// The fast path of `JSONRecords.pythonLines`: a flat, plainly spelled object re-spelled as
/// Python's `json.dumps` writes it, straight from its text, without building a `JSONValue`.
///
/// "Plain" means: every key and string value is printable ASCII without a backslash (so its text
/// is already what `json.dumps` writes), no key repeats, and every value is a number, a string,
/// `true`, `false`, `null`, `NaN`, `Infinity` or `-Infinity`. Numbers are copied when their text
/// is already Python's spelling and re-spelled otherwise. Anything else — nesting, escapes,
/// non-ASCII, a repeated key, invalid JSON — makes it give up, and the caller reads the text with
/// the full parser, so the fast path only ever decides how fast, never what is written.
extension JSONScanner {
    /// More keys than this in one object: leave it to the full parser (the repeated-key check is quadratic).
    static let plainObjectKeyLimit = 64

    /// Appends `json.dumps` of the object at `position` after Python's
    /// `setdefault(key, value)`, given the default entry's key as written (quoted) and its value as
    /// written; returns `false` when the object is not plain, with `buffer` and `position`
    /// unspecified (the caller starts over with the full parser).
    ///
    /// `keys` is scratch space for the keys' byte ranges, reused across calls.
    mutating func appendPlainObject(
        defaultKey: UnsafeBufferPointer<UInt8>, defaultValue: UnsafeBufferPointer<UInt8>,
        keys: inout [Range<Int>], to buffer: inout ByteWriter
    ) -> Bool {
        keys.removeAll(keepingCapacity: true)
        skipWhitespace()
        guard position < end, bytes[position] == UInt8(ascii: "{") else { return false }
        position += 1
        buffer.append(UInt8(ascii: "{"))
        skipWhitespace()
        var hasDefaultKey = false
        if position < end, bytes[position] == UInt8(ascii: "}") {
            position += 1
        } else {
            entries: while true {
                skipWhitespace()
                guard let key = scanPlainString(), keys.count < Self.plainObjectKeyLimit else { return false }
                for seen in keys where seen.count == key.count {
                    if bytes[seen].elementsEqual(bytes[key]) { return false }
                }
                if !hasDefaultKey, bytes[key].elementsEqual(defaultKey) { hasDefaultKey = true }
                if !keys.isEmpty { Self.appendSeparator(UInt8(ascii: ","), to: &buffer) }
                keys.append(key)
                buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[key]))
                skipWhitespace()
                guard position < end, bytes[position] == UInt8(ascii: ":") else { return false }
                position += 1
                Self.appendSeparator(UInt8(ascii: ":"), to: &buffer)
                skipWhitespace()
                guard appendPlainValue(to: &buffer) else { return false }
                skipWhitespace()
                guard position < end else { return false }
                switch bytes[position] {
                case UInt8(ascii: ","): position += 1
                case UInt8(ascii: "}"):
                    position += 1
                    break entries
                default: return false
                }
            }
        }
        if !hasDefaultKey {
            if !keys.isEmpty { Self.appendSeparator(UInt8(ascii: ","), to: &buffer) }
            buffer.append(contentsOf: defaultKey)
            Self.appendSeparator(UInt8(ascii: ":"), to: &buffer)
            buffer.append(contentsOf: defaultValue)
        }
        buffer.append(UInt8(ascii: "}"))
        return true
    }

    /// Appends `json.dumps`' separator: the `,` or `:` and a space.
    private static func appendSeparator(_ mark: UInt8, to buffer: inout ByteWriter) {
        buffer.append(mark)
        buffer.append(UInt8(ascii: " "))
    }

    /// Whether `text` is a string `json.dumps` writes unchanged: quoted printable ASCII, no backslash.
    static func isPlainString(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        guard text.count >= 2, text.first == UInt8(ascii: "\""), text.last == UInt8(ascii: "\"") else {
            return false
        }
        return text.dropFirst().dropLast().allSatisfy {
            (0x20...0x7E).contains($0) && $0 != 0x22 && $0 != 0x5C
        }
    }

    /// The range of a plain string at `position`, quotes included, moving past it.
    mutating func scanPlainString() -> Range<Int>? {
        guard position < end, bytes[position] == UInt8(ascii: "\"") else { return nil }
        let start = position
        position += 1
        while position < end {
            let byte = bytes[position]
            position += 1
            if byte == UInt8(ascii: "\"") { return start..<position }
            guard byte >= 0x20, byte <= 0x7E, byte != UInt8(ascii: "\\") else { return nil }
        }
        return nil
    }

    /// Appends a plain value's `json.dumps` spelling and moves past it.
    private mutating func appendPlainValue(to buffer: inout ByteWriter) -> Bool {
        guard position < end else { return false }
        let start = position
        switch bytes[position] {
        case UInt8(ascii: "\""):
            guard scanPlainString() != nil else { return false }
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            let token: NumberToken
            do { token = try scanNumber() } catch { return false }
            switch token {
            case .negativeInfinity: break
            case .integer(let text):
                guard text.count <= Self.integerDigitLimit else { return false }
                if text.count == 2, text[0] == UInt8(ascii: "-"), text[1] == UInt8(ascii: "0") {
                    buffer.append(UInt8(ascii: "0"))  // Python's int has no negative zero
                    return true
                }
            case .float(let text):
                guard !Self.isShortFixedRepr(text) else { break }
                guard let double = Self.double(text) else { return false }
                JSONWriter.appendPythonJSON(float: double, to: &buffer)
                return true
            }
        case UInt8(ascii: "t"): guard (try? expectLiteral("true")) != nil else { return false }
        case UInt8(ascii: "f"): guard (try? expectLiteral("false")) != nil else { return false }
        case UInt8(ascii: "n"): guard (try? expectLiteral("null")) != nil else { return false }
        case UInt8(ascii: "N"): guard (try? expectLiteral("NaN")) != nil else { return false }
        case UInt8(ascii: "I"): guard (try? expectLiteral("Infinity")) != nil else { return false }
        default: return false
        }
        buffer.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<position]))
        return true
    }

    /// Whether a float's text (matched by the number grammar) is exactly Python's `repr` of its value,
    /// decided from the text alone for the common case: fixed notation, `-?D.F` without an exponent,
    /// at most 15 significant digits, no trailing zero (except the `.0` of a whole number), and a
    /// magnitude where `repr` uses fixed notation (`1e-4 <= |x| < 1e16`, or zero).
    ///
    /// Why the digits are then `repr`'s: every decimal of at most 15 significant digits rounds to a
    /// different `Double` (`DBL_DIG` is 15), so no other decimal that short — shorter ones included —
    /// rounds to this value, and `repr` prints the shortest decimal that rounds back to it.
    static func isShortFixedRepr(_ text: UnsafeBufferPointer<UInt8>) -> Bool {
        var index = text.first == UInt8(ascii: "-") ? 1 : 0
        let integerStart = index
        while index < text.count, text[index] &- UInt8(ascii: "0") < 10 { index += 1 }
        let integerDigits = index - integerStart
        guard index < text.count, text[index] == UInt8(ascii: ".") else { return false }
        let fractionStart = index + 1
        let fractionDigits = text.count - fractionStart
        for position in fractionStart..<text.count where text[position] &- UInt8(ascii: "0") >= 10 {
            return false  // an exponent
        }
        if fractionDigits == 1, text[fractionStart] == UInt8(ascii: "0") {
            return integerDigits <= 15  // a whole number below 1e15 (or zero), written `N.0` as repr does
        }
        guard text[text.count - 1] != UInt8(ascii: "0") else { return false }
        guard integerDigits == 1, text[integerStart] == UInt8(ascii: "0") else {
            return integerDigits + fractionDigits <= 15
        }
        var zeros = 0
        while text[fractionStart + zeros] == UInt8(ascii: "0") { zeros += 1 }
        // 0.000ddd is printed fixed down to 1e-4 (three zeros); the digits after the zeros count.
        return zeros <= 3 && fractionDigits - zeros <= 15
    }
}
