/// An exact integer of any size, as Python's `int` holds it.
///
/// JSON integers such as `12345678901234567890` do not fit in `Int`, yet Python reads and writes
/// them exactly; this type keeps their normalized decimal text so they round-trip byte for byte.
public struct JSONInteger: Sendable, Hashable, CustomStringConvertible, ExpressibleByIntegerLiteral {
    /// The normalized decimal text: an optional `-`, then digits without leading zeros (`0` is never negative).
    public let decimalText: String

    /// Creates the integer from decimal text: an optional `-` followed by ASCII digits.
    ///
    /// Leading zeros are dropped and `-0` becomes `0`. Returns `nil` for anything else
    /// (empty text, `+`, spaces, non-digits).
    public init?(decimalText text: some StringProtocol) {
        var utf8 = Substring(text).utf8[...]
        let isNegative = utf8.first == UInt8(ascii: "-")
        if isNegative { utf8 = utf8.dropFirst() }
        guard !utf8.isEmpty, utf8.allSatisfy({ $0 &- UInt8(ascii: "0") < 10 }) else { return nil }
        let significant = utf8.drop(while: { $0 == UInt8(ascii: "0") })
        if significant.isEmpty {
            decimalText = "0"
        } else {
            decimalText = (isNegative ? "-" : "") + String(decoding: significant, as: UTF8.self)
        }
    }

    /// Creates the integer from bytes the parser already matched as `-?(0|[1-9][0-9]*)`.
    init(validatedBytes bytes: UnsafeBufferPointer<UInt8>) {
        if bytes.count == 2, bytes[0] == UInt8(ascii: "-"), bytes[1] == UInt8(ascii: "0") {
            decimalText = "0"
        } else {
            decimalText = String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Creates the integer holding `value`.
    public init(_ value: Int) {
        decimalText = String(value)
    }

    /// Creates the integer holding an integer literal.
    public init(integerLiteral value: Int) {
        self.init(value)
    }

    /// The value as an `Int`, or `nil` when it does not fit.
    public var intValue: Int? {
        Int(decimalText)
    }

    /// The nearest `Double`, correctly rounded like Python's `float(int)`.
    ///
    /// Where Python raises `OverflowError` (beyond `Double.greatestFiniteMagnitude`), this gives an infinity.
    public var doubleValue: Double {
        Double(decimalText) ?? .nan
    }

    /// The decimal text, exactly as Python's `repr(int)` writes it.
    public var description: String {
        decimalText
    }
}
