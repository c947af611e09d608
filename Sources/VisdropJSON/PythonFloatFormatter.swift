/// Formats a `Double` exactly as Python's `repr(float)` does.
///
/// The digits are the shortest that round-trip (taken from Swift's `description`, which produces the same
/// shortest, closest digits as Python's `dtoa`); the layout follows CPython's `float_repr_style = 'short'`:
/// fixed notation when the decimal exponent is in `-4..<16` (with `.0` for integral values), otherwise
/// `d.ddde±XX` with at least two exponent digits and no `.0` on a one-digit mantissa.
enum PythonFloatFormatter {
    /// Appends `repr(value)`: `nan`, `inf` and `-inf` for the non-finite values.
    static func appendRepr(of value: Double, to buffer: inout [UInt8]) {
        if value.isNaN {
            buffer.append(contentsOf: "nan".utf8)
            return
        }
        if value.sign == .minus { buffer.append(UInt8(ascii: "-")) }
        if value.isInfinite {
            buffer.append(contentsOf: "inf".utf8)
            return
        }
        if value == 0 {
            buffer.append(contentsOf: "0.0".utf8)
            return
        }
        let (digits, decimalPoint) = shortestDigits(of: value.magnitude)
        // The value is 0.DIGITS x 10^decimalPoint, so its scientific exponent is decimalPoint - 1.
        let exponent = decimalPoint - 1
        if exponent >= -4, exponent < 16 {
            appendFixed(digits: digits, decimalPoint: decimalPoint, to: &buffer)
        } else {
            appendScientific(digits: digits, exponent: exponent, to: &buffer)
        }
    }

    /// The significant digits of a finite positive value (no leading or trailing zeros) and the position of the
    /// decimal point relative to the first digit, parsed from Swift's shortest round-trip `description`.
    static func shortestDigits(of magnitude: Double) -> (digits: [UInt8], decimalPoint: Int) {
        var digits: [UInt8] = []
        digits.reserveCapacity(17)
        var integerDigitCount = 0
        var seenPoint = false
        var exponent = 0
        var exponentSign = 1
        var inExponent = false
        for byte in magnitude.description.utf8 {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                if inExponent {
                    exponent = exponent * 10 + Int(byte - UInt8(ascii: "0"))
                } else {
                    digits.append(byte)
                    if !seenPoint { integerDigitCount += 1 }
                }
            case UInt8(ascii: "."): seenPoint = true
            case UInt8(ascii: "e"), UInt8(ascii: "E"): inExponent = true
            case UInt8(ascii: "-"): exponentSign = -1
            default: break  // "+" of the exponent
            }
        }
        var decimalPoint = integerDigitCount + exponentSign * exponent
        let leadingZeros = digits.prefix(while: { $0 == UInt8(ascii: "0") }).count
        decimalPoint -= leadingZeros
        let trailingZeros = digits.reversed().prefix(while: { $0 == UInt8(ascii: "0") }).count
        return (Array(digits[leadingZeros..<(digits.count - trailingZeros)]), decimalPoint)
    }

    private static func appendFixed(digits: [UInt8], decimalPoint: Int, to buffer: inout [UInt8]) {
        if decimalPoint <= 0 {
            buffer.append(contentsOf: "0.".utf8)
            buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: -decimalPoint))
            buffer.append(contentsOf: digits)
        } else if decimalPoint < digits.count {
            buffer.append(contentsOf: digits[..<decimalPoint])
            buffer.append(UInt8(ascii: "."))
            buffer.append(contentsOf: digits[decimalPoint...])
        } else {
            buffer.append(contentsOf: digits)
            buffer.append(contentsOf: repeatElement(UInt8(ascii: "0"), count: decimalPoint - digits.count))
            buffer.append(contentsOf: ".0".utf8)
        }
    }

    private static func appendScientific(digits: [UInt8], exponent: Int, to buffer: inout [UInt8]) {
        buffer.append(digits[0])
        if digits.count > 1 {
            buffer.append(UInt8(ascii: "."))
            buffer.append(contentsOf: digits[1...])
        }
        buffer.append(UInt8(ascii: "e"))
        buffer.append(exponent < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+"))
        if exponent.magnitude < 10 { buffer.append(UInt8(ascii: "0")) }
        buffer.append(contentsOf: String(exponent.magnitude).utf8)
    }
}
