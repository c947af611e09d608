/// Formats a `Double` exactly as Python's `repr(float)` does.
///
/// The digits are the shortest that round-trip (taken from Swift's `description`, which produces the same
/// shortest, closest digits as Python's `dtoa`); the layout follows CPython's `float_repr_style = 'short'`:
/// fixed notation when the decimal exponent is in `-4..<16` (with `.0` for integral values), otherwise
/// `d.ddde±XX` with at least two exponent digits and no `.0` on a one-digit mantissa.
enum PythonFloatFormatter {
    /// Appends `repr(value)`: `nan`, `inf` and `-inf` for the non-finite values.
    static func appendRepr(of value: Double, to buffer: inout some ByteSink & ~Copyable) {
        if value.isNaN {
            append("nan", to: &buffer)
            return
        }
        if value.sign == .minus { buffer.append(UInt8(ascii: "-")) }
        if value.isInfinite {
            append("inf", to: &buffer)
            return
        }
        if value == 0 {
            append("0.0", to: &buffer)
            return
        }
        var description = value.magnitude.description
        description.withUTF8 { text in
            withUnsafeTemporaryAllocation(of: UInt8.self, capacity: text.count) { storage in
                let (digits, decimalPoint) = shortestDigits(text, into: storage)
                // The value is 0.DIGITS x 10^decimalPoint, so its scientific exponent is decimalPoint - 1.
                let exponent = decimalPoint - 1
                if exponent >= -4, exponent < 16 {
                    appendFixed(digits: digits, decimalPoint: decimalPoint, to: &buffer)
                } else {
                    appendScientific(digits: digits, exponent: exponent, to: &buffer)
                }
            }
        }
    }

    /// The significant digits (no leading or trailing zeros) of Swift's shortest round-trip
    /// `description` of a finite positive value, copied into `storage`, and the position of the
    /// decimal point relative to the first digit.
    static func shortestDigits(
        _ text: UnsafeBufferPointer<UInt8>, into storage: UnsafeMutableBufferPointer<UInt8>
    )
        -> (digits: UnsafeBufferPointer<UInt8>, decimalPoint: Int)
    {
        var count = 0
        var integerDigitCount = 0
        var seenPoint = false
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        for byte in text {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                } else {
                    storage[count] = byte
                    count += 1
                    if !seenPoint { integerDigitCount += 1 }
                }
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-"): exponentSign = -1
            default: break  // "+" of the exponent
            }
        }
        var first = 0
        while first < count, storage[first] == UInt8(ascii: "0") { first += 1 }
        while count > first, storage[count - 1] == UInt8(ascii: "0") { count -= 1 }
        let decimalPoint = integerDigitCount + exponentSign * exponent - first
        return (UnsafeBufferPointer(rebasing: storage[first..<count]), decimalPoint)
    }

    private static func appendFixed(
        digits: UnsafeBufferPointer<UInt8>, decimalPoint: Int, to buffer: inout some ByteSink & ~Copyable
    ) {
        if decimalPoint <= 0 {
            buffer.append(UInt8(ascii: "0"))
            buffer.append(UInt8(ascii: "."))
            for _ in 0..<(-decimalPoint) { buffer.append(UInt8(ascii: "0")) }
            buffer.append(contentsOf: digits)
        } else if decimalPoint < digits.count {
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[..<decimalPoint]))
            buffer.append(UInt8(ascii: "."))
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[decimalPoint...]))
        } else {
            buffer.append(contentsOf: digits)
            for _ in 0..<(decimalPoint - digits.count) { buffer.append(UInt8(ascii: "0")) }
            buffer.append(UInt8(ascii: "."))
            buffer.append(UInt8(ascii: "0"))
        }
    }

    private static func appendScientific(
        digits: UnsafeBufferPointer<UInt8>, exponent: Int, to buffer: inout some ByteSink & ~Copyable
    ) {
        buffer.append(digits[0])
        if digits.count > 1 {
            buffer.append(UInt8(ascii: "."))
            buffer.append(contentsOf: UnsafeBufferPointer(rebasing: digits[1...]))
        }
        buffer.append(UInt8(ascii: "e"))
        buffer.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        let magnitude = exponent.magnitude
        if magnitude >= 100 { buffer.append(UInt8(ascii: "0") + UInt8(magnitude / 100)) }
        buffer.append(UInt8(ascii: "0") + UInt8(magnitude / 10 % 10))
        buffer.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
    }

    /// Appends an ASCII literal.
    static func append(_ literal: StaticString, to buffer: inout some ByteSink & ~Copyable) {
        buffer.append(
            contentsOf: UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }
}
