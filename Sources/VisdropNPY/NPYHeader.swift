/// The validated contents of a `.npy` header: what the data section holds and how it is laid out.
public struct NPYHeader: Sendable, Hashable {
    /// The format's major version: 1, 2 or 3.
    public let majorVersion: Int
    /// The format's minor version (always 0 so far).
    public let minorVersion: Int
    /// The type of every element.
    public let elementType: NPYElementType
    /// The dimensions, outermost first; empty for a 0-d (scalar) array.
    public let shape: [Int]
    /// True when the data section stores the array in Fortran (column-major) order.
    public let isFortranOrder: Bool
    /// True when the data section stores multi-byte elements most significant byte first.
    public let isBigEndian: Bool
    /// The byte offset where the data section starts: the magic, version, length field and header.
    public let dataOffset: Int
    /// The number of elements, the product of `shape` (1 for a 0-d array).
    public let elementCount: Int
    /// The number of bytes the data section must hold: `elementCount * elementType.byteWidth`.
    public let dataByteCount: Int
}

extension NPYHeader {
    static let magic: [UInt8] = [
        0x93, UInt8(ascii: "N"), UInt8(ascii: "U"), UInt8(ascii: "M"), UInt8(ascii: "P"), UInt8(ascii: "Y"),
    ]

    /// Parses and validates the header at the start of `bytes` (the data section need not be present).
    static func parse(_ bytes: [UInt8], limits: NPYLimits) throws(NPYError) -> NPYHeader {
        let magicLength = magic.count
        guard bytes.starts(with: magic) else {
            if magic.starts(with: bytes) { throw .truncatedHeader(needed: 10, available: bytes.count) }
            let shown = bytes.prefix(magicLength).map { byte in
                (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
            throw .badMagic(found: shown.joined(separator: " "))
        }
        guard bytes.count >= magicLength + 2 else {
            throw .truncatedHeader(needed: 10, available: bytes.count)
        }
        let major = Int(bytes[magicLength])
        let minor = Int(bytes[magicLength + 1])
        let lengthFieldSize: Int
        switch (major, minor) {
        case (1, 0): lengthFieldSize = 2
        case (2, 0), (3, 0): lengthFieldSize = 4
        default: throw .unsupportedVersion(major: major, minor: minor)
        }
        let headerStart = magicLength + 2 + lengthFieldSize
        guard bytes.count >= headerStart else {
            throw .truncatedHeader(needed: headerStart, available: bytes.count)
        }
        var headerLength = 0
        for index in (0..<lengthFieldSize).reversed() {
            headerLength = headerLength << 8 | Int(bytes[magicLength + 2 + index])
        }
        guard headerLength <= limits.maximumHeaderLength else {
            throw .headerTooLong(length: headerLength, limit: limits.maximumHeaderLength)
        }
        let dataOffset = headerStart + headerLength
        guard bytes.count >= dataOffset else {
            throw .truncatedHeader(needed: dataOffset, available: bytes.count)
        }
        let headerRange = headerStart..<dataOffset
        let isUTF8 = major >= 3
        if isUTF8 {
            try validateUTF8(bytes[headerRange])
        }
        var parser = PythonLiteralParser(
            bytes: bytes, range: headerRange, isUTF8: isUTF8, acceptsLongSuffix: major <= 2)
        let entries = try parser.parseDictionary()
        let fields = try HeaderFields(entries: entries, headerOffset: headerStart)

        let shape = try validatedShape(fields.shape, limits: limits)
        guard case .boolean(let isFortranOrder) = fields.fortranOrder.kind else {
            throw .malformedHeader(
                reason: "'fortran_order' must be True or False, found \(fields.fortranOrder.text)",
                offset: fields.fortranOrder.offset)
        }
        let (elementType, isBigEndian) = try parseDescr(fields.descr)
        guard let elementCount = checkedProduct(shape),
            case (let dataByteCount, false) = elementCount.multipliedReportingOverflow(
                by: elementType.byteWidth)
        else {
            throw .shapeOverflow(shape: fields.shape.text)
        }
        return NPYHeader(
            majorVersion: major, minorVersion: minor, elementType: elementType, shape: shape,
            isFortranOrder: isFortranOrder, isBigEndian: isBigEndian, dataOffset: dataOffset,
            elementCount: elementCount, dataByteCount: dataByteCount)
    }

    /// The product of the dimensions, or nil when it overflows `Int`.
    static func checkedProduct(_ shape: [Int]) -> Int? {
        if shape.contains(0) { return 0 }
        var product = 1
        for dimension in shape {
            let (next, overflow) = product.multipliedReportingOverflow(by: dimension)
            if overflow { return nil }
            product = next
        }
        return product
    }

    private static func validateUTF8(_ header: ArraySlice<UInt8>) throws(NPYError) {
        var iterator = header.makeIterator()
        var decoder = UTF8()
        var offset = header.startIndex
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar): offset += UTF8.width(scalar)
            case .emptyInput: return
            case .error:
                throw .malformedHeader(reason: "a version 3.0 header must be valid UTF-8", offset: offset)
            }
        }
    }

    private static func validatedShape(_ literal: PythonLiteral, limits: NPYLimits) throws(NPYError) -> [Int]
    {
        let expectation = "'shape' must be a tuple of non-negative integers such as (480, 640, 3), (5,) or ()"
        guard case .tuple(let elements) = literal.kind else {
            throw .malformedHeader(reason: "\(expectation), found \(literal.text)", offset: literal.offset)
        }
        guard elements.count <= limits.maximumDimensions else {
            throw .tooManyDimensions(count: elements.count, limit: limits.maximumDimensions)
        }
        var shape: [Int] = []
        shape.reserveCapacity(elements.count)
        for element in elements {
            guard case .integer(let value, let isNegative) = element.kind else {
                throw .malformedHeader(
                    reason: "\(expectation), found \(element.text)", offset: element.offset)
            }
            guard let value else {
                if isNegative {
                    throw .malformedHeader(
                        reason: "\(expectation), found \(element.text)", offset: element.offset)
                }
                throw .shapeOverflow(shape: literal.text)
            }
            guard value >= 0 else {
                throw .malformedHeader(
                    reason: "\(expectation), found \(element.text)", offset: element.offset)
            }
            shape.append(value)
        }
        return shape
    }

    /// Reads a type string such as `<f4`, `>u2`, `|b1` or `=i8` into an element type and byte order.
    private static func parseDescr(_ literal: PythonLiteral) throws(NPYError) -> (NPYElementType, Bool) {
        switch literal.kind {
        case .string(let descr):
            guard let parsed = elementType(forDescr: descr) else {
                throw .unsupportedDType(descr: literal.text)
            }
            return parsed
        case .list, .tuple:
            throw .unsupportedDType(descr: literal.text)
        case .integer, .boolean:
            throw .malformedHeader(
                reason: "'descr' must be a dtype string such as '<f4', found \(literal.text)",
                offset: literal.offset)
        }
    }

    /// The element type and whether its data is big-endian, or nil when `descr` is not a supported type.
    static func elementType(forDescr descr: String) -> (NPYElementType, Bool)? {
        var characters = Substring(descr)
        let hostIsBigEndian = 1.bigEndian == 1
        var isBigEndian = hostIsBigEndian
        switch characters.first {
        case "<": isBigEndian = false
        case ">": isBigEndian = true
        case "|", "=": isBigEndian = hostIsBigEndian
        default: break
        }
        if let first = characters.first, "<>|=".contains(first) { characters = characters.dropFirst() }
        let type: NPYElementType
        switch characters {
        case "b1", "?": type = .bool
        case "i1": type = .int8
        case "i2": type = .int16
        case "i4": type = .int32
        case "i8": type = .int64
        case "u1": type = .uint8
        case "u2": type = .uint16
        case "u4": type = .uint32
        case "u8": type = .uint64
        case "f2": type = .float16
        case "f4": type = .float32
        case "f8": type = .float64
        default: return nil
        }
        return (type, isBigEndian)
    }
}

/// The three entries a header dictionary must have, each exactly once and nothing else.
private struct HeaderFields {
    let descr: PythonLiteral
    let fortranOrder: PythonLiteral
    let shape: PythonLiteral

    init(entries: [(key: PythonLiteral, value: PythonLiteral)], headerOffset: Int) throws(NPYError) {
        var found: [String: PythonLiteral] = [:]
        for (key, value) in entries {
            guard case .string(let name) = key.kind else {
                throw .malformedHeader(reason: "keys must be strings", offset: key.offset)
            }
            guard ["descr", "fortran_order", "shape"].contains(name) else {
                throw .malformedHeader(
                    reason: "unknown key \(key.text): a .npy header has exactly the keys 'descr', "
                        + "'fortran_order' and 'shape'", offset: key.offset)
            }
            guard found[name] == nil else {
                throw .malformedHeader(reason: "the key \(key.text) appears twice", offset: key.offset)
            }
            found[name] = value
        }
        func required(_ name: String) throws(NPYError) -> PythonLiteral {
            guard let value = found[name] else {
                throw .malformedHeader(
                    reason: "the key '\(name)' is missing: a .npy header needs 'descr', 'fortran_order' "
                        + "and 'shape'", offset: headerOffset)
            }
            return value
        }
        let descr = try required("descr")
        let fortranOrder = try required("fortran_order")
        let shape = try required("shape")
        self.descr = descr
        self.fortranOrder = fortranOrder
        self.shape = shape
    }
}
