/// A non-negative integer of any size, built digit by digit, for YAML's `0x`, `0b`, octal and base-60 integers.
struct DecimalAccumulator {
    /// Digits beyond this many in a binary, octal or hexadecimal literal are refused: converting them to
    /// decimal costs time quadratic in their number.
    static let maximumRadixDigits = 10_000

    private static let limbBase: UInt64 = 1_000_000_000
    private static let limbDigits = 9

    /// Base-10⁹ limbs, least significant first.
    private var limbs: [UInt32] = [0]

    /// Creates zero.
    init() {}

    /// Appends `digits` in `radix` (2, 8, 10 or 16): the value becomes `value * radix**count + digits`.
    ///
    /// Returns `false`, leaving the value unspecified, when `digits` is empty, holds a character that is not a
    /// digit of `radix`, or (for radix other than 10) is longer than `maximumRadixDigits`.
    mutating func append(digits: Substring, radix: Int) -> Bool {
        guard !digits.isEmpty else { return false }
        if radix == 10 {
            return appendDecimal(digits)
        }
        guard digits.utf8.count <= Self.maximumRadixDigits else { return false }
        for character in digits {
            guard let digit = character.hexDigitValue, digit < radix else { return false }
            multiply(by: UInt32(radix))
            add(UInt32(digit))
        }
        return true
    }

    /// Appends decimal digits nine at a time, so any length costs time linear in it when the value was zero.
    private mutating func appendDecimal(_ digits: Substring) -> Bool {
        guard digits.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else {
            return false
        }
        let bytes = Array(digits.utf8)
        var chunkStart = bytes.count % Self.limbDigits
        if chunkStart == 0 { chunkStart = Self.limbDigits }
        var start = 0
        var end = min(chunkStart, bytes.count)
        while start < bytes.count {
            var chunk: UInt32 = 0
            for byte in bytes[start..<end] {
                chunk = chunk * 10 + UInt32(byte - UInt8(ascii: "0"))
            }
            var scale: UInt32 = 1
            for _ in start..<end { scale *= 10 }
            multiply(by: scale)
            add(chunk)
            start = end
            end = min(end + Self.limbDigits, bytes.count)
        }
        return true
    }

    /// Multiplies the value by `factor` (at most 10⁹).
    mutating func multiply(by factor: UInt32) {
        var carry: UInt64 = 0
        for index in limbs.indices {
            let product = UInt64(limbs[index]) * UInt64(factor) + carry
            limbs[index] = UInt32(product % Self.limbBase)
            carry = product / Self.limbBase
        }
        while carry > 0 {
            limbs.append(UInt32(carry % Self.limbBase))
            carry /= Self.limbBase
        }
    }

    /// Adds `addend` (less than 10⁹).
    mutating func add(_ addend: UInt32) {
        var other = DecimalAccumulator()
        other.limbs = [addend]
        add(other)
    }

    /// Adds another accumulated value.
    mutating func add(_ other: DecimalAccumulator) {
        var carry: UInt64 = 0
        var index = 0
        while index < other.limbs.count || carry > 0 {
            if index == limbs.count { limbs.append(0) }
            let otherLimb = index < other.limbs.count ? UInt64(other.limbs[index]) : 0
            let sum = UInt64(limbs[index]) + otherLimb + carry
            limbs[index] = UInt32(sum % Self.limbBase)
            carry = sum / Self.limbBase
            index += 1
        }
    }

    /// The value in decimal, without leading zeros.
    var decimalText: String {
        var significant = limbs
        while significant.count > 1, significant.last == 0 { significant.removeLast() }
        var text = String(significant.last ?? 0)
        for limb in significant.dropLast().reversed() {
            let digits = String(limb)
            text += String(repeating: "0", count: Self.limbDigits - digits.count) + digits
        }
        return text
    }
}
