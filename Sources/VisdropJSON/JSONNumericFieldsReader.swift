/// The fast path for reading scalar lines: the numeric fields of a flat, plainly spelled object,
/// read straight from its text into `(key, Double)` pairs without building a `JSONValue`.
///
/// "Plain" is `appendPlainObject`'s sense: every key and string value is printable ASCII without a
/// backslash, no key repeats, and every value is a number, a string, `true`, `false`, `null`,
/// `NaN`, `Infinity` or `-Infinity`. Anything else — nesting, escapes, non-ASCII, a repeated key, a
/// byte order mark, invalid JSON — makes it give up, and the caller reads the line with
/// `JSONParser`; so the fast path decides only how fast, never what is read: for a plain line the
/// pairs are exactly the numbers (`.integer` and `.float`, not booleans) of what `JSONParser`
/// gives, as `JSONValue.doubleValue` converts them, in the object's order.
///
/// Key strings are kept from one line to the next: a key spelt with the same bytes at the same
/// place as on the line before is given the same `String`, so a file of like lines makes no key
/// string after its first line.
package struct JSONNumericFieldsReader {
    /// The keys of the last line, in order and pairwise different: where a line's keys start the
    /// same, their strings are reused.
    private var knownKeys: [(bytes: [UInt8], string: String)] = []

    /// Creates a reader with no known keys.
    package init() {}

    /// Replaces `fields` with the numeric fields of the object that is the whole of `line`
    /// (whitespace around it allowed), in order; returns `false` when the line is not a plain
    /// flat object (or not valid JSON), with `fields` unspecified: read it with `JSONParser`.
    package mutating func read(
        _ line: UnsafeBufferPointer<UInt8>, into fields: inout [(key: String, value: Double)]
    ) -> Bool {
        fields.removeAll(keepingCapacity: true)
        var scanner = JSONScanner(bytes: line, start: 0, end: line.count, maximumDepth: 1)
        scanner.skipWhitespace()
        guard scanner.position < scanner.end, line[scanner.position] == UInt8(ascii: "{") else {
            return false
        }
        scanner.position += 1
        scanner.skipWhitespace()
        if scanner.position < scanner.end, line[scanner.position] == UInt8(ascii: "}") {
            scanner.position += 1
            return scanner.isAtEndAfterWhitespace()
        }
        var keyCount = 0
        while true {
            scanner.skipWhitespace()
            guard keyCount < JSONScanner.plainObjectKeyLimit, let quoted = scanner.scanPlainString(),
                let key = key(
                    UnsafeBufferPointer(rebasing: line[quoted.dropFirst().dropLast()]), at: keyCount)
            else { return false }
            keyCount += 1
            scanner.skipWhitespace()
            guard scanner.position < scanner.end, line[scanner.position] == UInt8(ascii: ":") else {
                return false
            }
            scanner.position += 1
            scanner.skipWhitespace()
            guard let value = scanner.scanPlainNumericValue() else { return false }
            if let number = value { fields.append((key, number)) }
            scanner.skipWhitespace()
            guard scanner.position < scanner.end else { return false }
            switch line[scanner.position] {
            case UInt8(ascii: ","): scanner.position += 1
            case UInt8(ascii: "}"):
                scanner.position += 1
                return scanner.isAtEndAfterWhitespace()
            default: return false
            }
        }
    }

    /// The string of the `index`th key of a line, spelt `bytes`: the last line's when it had the
    /// same key there (and every key before it was the same too), a new one otherwise; `nil` when
    /// an earlier key of this line is the same (a repeated key).
    ///
    /// `knownKeys[..<index]` are this line's keys so far: each either matched or replaced the one
    /// known at its place, and a replacement drops the known keys after it. So the known keys
    /// stay pairwise different, and a key matching the one known at its place repeats none before.
    private mutating func key(_ bytes: UnsafeBufferPointer<UInt8>, at index: Int) -> String? {
        if index < knownKeys.count, Self.equal(knownKeys[index].bytes, bytes) {
            return knownKeys[index].string
        }
        for known in knownKeys[..<index] where Self.equal(known.bytes, bytes) { return nil }
        let string = String(decoding: bytes, as: UTF8.self)
        knownKeys.removeSubrange(index...)
        knownKeys.append((Array(bytes), string))
        return string
    }

    /// Whether two keys' bytes are the same (an index loop: `elementsEqual`'s iterators cost
    /// more than the few bytes of a key).
    private static func equal(_ known: [UInt8], _ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard known.count == bytes.count else { return false }
        return known.withUnsafeBufferPointer { known in
            for index in 0..<known.count where known[index] != bytes[index] { return false }
            return true
        }
    }
}

extension JSONScanner {
    /// Moves past a plain value (as `appendPlainObject` takes them) at `position`: `.some(number)`
    /// for a number, `NaN` or an infinity, `.some(nil)` for a plain string, `true`, `false` or
    /// `null`, and `nil` for anything else (invalid, or not plain).
    mutating func scanPlainNumericValue() -> Double?? {
        guard position < end else { return nil }
        switch bytes[position] {
        case UInt8(ascii: "\""):
            return scanPlainString() == nil ? nil : .some(nil)
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            guard let token = try? scanNumber(), let number = Self.doubleValue(of: token) else { return nil }
            return number
        case UInt8(ascii: "t"): return (try? expectLiteral("true")) == nil ? nil : .some(nil)
        case UInt8(ascii: "f"): return (try? expectLiteral("false")) == nil ? nil : .some(nil)
        case UInt8(ascii: "n"): return (try? expectLiteral("null")) == nil ? nil : .some(nil)
        case UInt8(ascii: "N"): return (try? expectLiteral("NaN")) == nil ? nil : Double.nan
        case UInt8(ascii: "I"): return (try? expectLiteral("Infinity")) == nil ? nil : Double.infinity
        default: return nil
        }
    }

    /// The `Double` `JSONValue.doubleValue` gives for the value the parser makes of `token`, or
    /// `nil` where the parser would refuse it (an integer past Python's digit limit).
    ///
    /// An integer's `Double` is that of its normalized text (`-0` is the integer 0, so `+0.0`).
    static func doubleValue(of token: NumberToken) -> Double? {
        switch token {
        case .negativeInfinity: return -.infinity
        case .integer(let text):
            guard text.count <= integerDigitLimit else { return nil }
            return exactDouble(text, isInteger: true) ?? double(text)
        case .float(let text):
            return exactDouble(text, isInteger: false) ?? double(text)
        }
    }

    /// Powers of ten that a `Double` holds exactly: 10^k for k <= 22 (5^22 < 2^53).
    private static let exactPowersOfTen: [Double] = (0...22).reduce(into: []) { powers, k in
        powers.append(k == 0 ? 1 : powers[k - 1] * 10)
    }

    /// A number's correctly rounded `Double` when a single rounded operation gives it, else `nil`
    /// (the caller converts it the slow way). `text` is matched by the number grammar already.
    ///
    /// With its significant digits read as an integer `m` and its decimal exponent as `e`:
    /// when `m <= 2^53` and `|e| <= 22`, `m` and `10^|e|` are exact `Double`s, so `m * 10^e` or
    /// `m / 10^-e`, rounded once by IEEE arithmetic, is the correctly rounded value (Clinger's
    /// fast path). On x86-64 a wider `m` (up to 19 digits, below 2^64) and `|e| <= 27` are done
    /// in `Float80`, whose 64-bit significand holds both exactly, then rounded to `Double`; that
    /// second rounding can differ from rounding the exact value only when the `Float80` result
    /// lies exactly halfway between two `Double`s (any other halfway point between it and the
    /// exact value would be a nearer `Float80`), and that case is left to the slow way.
    private static func exactDouble(_ text: UnsafeBufferPointer<UInt8>, isInteger: Bool) -> Double? {
        let isNegative = text[0] == UInt8(ascii: "-")
        var index = isNegative ? 1 : 0
        var significand: UInt64 = 0
        var significantDigits = 0
        var exponent = 0
        var fractionStarted = false
        while index < text.count {
            let digit = text[index] &- UInt8(ascii: "0")
            if digit < 10 {
                if significand != 0 || digit != 0 {
                    significantDigits &+= 1
                    significand = significand &* 10 &+ UInt64(digit)
                }
                if fractionStarted { exponent &-= 1 }
            } else if text[index] == UInt8(ascii: ".") {
                fractionStarted = true
            } else {
                break  // the exponent marker
            }
            index &+= 1
        }
        // More than 19 digits wrapped the significand: leave the number to the slow way.
        guard significantDigits <= 19 else { return nil }
        if index < text.count {
            index &+= 1
            let isExponentNegative = text[index] == UInt8(ascii: "-")
            if isExponentNegative || text[index] == UInt8(ascii: "+") { index &+= 1 }
            var written = 0
            while index < text.count {
                guard written < 10_000 else { return nil }
                written = written &* 10 &+ Int(text[index] &- UInt8(ascii: "0"))
                index &+= 1
            }
            exponent &+= isExponentNegative ? -written : written
        }
        if significand == 0 {
            return isNegative && !isInteger ? -0.0 : 0.0
        }
        var magnitude: Double
        if significand <= 1 << 53, exponent >= -22, exponent <= 22 {
            magnitude =
                exponent < 0
                ? Double(significand) / exactPowersOfTen[-exponent]
                : Double(significand) * exactPowersOfTen[exponent]
        } else {
            #if arch(x86_64) && !os(Windows) && !os(Android)
                guard exponent >= -27, exponent <= 27 else { return nil }
                let wide =
                    exponent < 0
                    ? Float80(significand) / exactWidePowersOfTen[-exponent]
                    : Float80(significand) * exactWidePowersOfTen[exponent]
                // The 11 bits below a Double's 53: exactly halfway is 100_0000_0000.
                guard wide.significandBitPattern & 0x7FF != 0x400 else { return nil }
                magnitude = Double(wide)
            #else
                return nil
            #endif
        }
        return isNegative ? -magnitude : magnitude
    }

    #if arch(x86_64) && !os(Windows) && !os(Android)
        /// Powers of ten that a `Float80` holds exactly: 10^k for k <= 27 (5^27 < 2^64).
        private static let exactWidePowersOfTen: [Float80] = (0...27).reduce(into: []) { powers, k in
            powers.append(k == 0 ? 1 : powers[k - 1] * 10)
        }
    #endif
}
