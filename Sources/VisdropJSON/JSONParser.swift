/// Reads JSON exactly as Python's `json.loads` does with default arguments.
///
/// Accepts the bare literals `NaN`, `Infinity` and `-Infinity`, keeps integers exact (up to Python's default
/// limit of 4300 digits), rounds other numbers correctly to `Double` (overflow gives an infinity), and keeps
/// the first position of a repeated object key with its last value. A UTF-8 byte order mark at the start is
/// skipped, as `json.loads(bytes)` does. Unlike Python it rejects lone UTF-16 surrogates, whether escaped or
/// UTF-8-encoded (a Swift `String` cannot hold them), does not auto-detect UTF-16/UTF-32 input, and rejects
/// nesting deeper than `maximumDepth`. Parsing never recurses, so any input fails cleanly instead of crashing.
public struct JSONParser: Sendable {
    /// The deepest nesting of arrays and objects accepted.
    public let maximumDepth: Int

    /// Creates a parser that accepts at most `maximumDepth` nested arrays and objects.
    public init(maximumDepth: Int = 512) {
        self.maximumDepth = max(0, maximumDepth)
    }

    /// Parses a whole document: one value, optionally surrounded by whitespace.
    public func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        try Self.withBuffer(bytes) { buffer throws(JSONParseError) in
            var scanner = JSONScanner(
                bytes: buffer, start: Self.byteOrderMarkLength(buffer), end: buffer.count,
                maximumDepth: maximumDepth)
            return try scanner.parseDocument()
        }
    }

    /// Parses a whole document held in a string.
    public func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(text.utf8)
    }

    /// Parses JSON Lines: one value per `\n`-terminated line; lines holding only whitespace are skipped.
    ///
    /// Errors carry the 1-based line number and the byte offset within the whole input.
    public func parseLines(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> [JSONValue] {
        try Self.withBuffer(bytes) { buffer throws(JSONParseError) in
            var values: [JSONValue] = []
            _ = try JSONScanner.forEachNonBlankLine(
                in: buffer, from: Self.byteOrderMarkLength(buffer), maximumDepth: maximumDepth
            ) { scanner throws(JSONParseError) in
                values.append(try scanner.parseDocument())
                return true
            }
            return values
        }
    }

    /// Parses JSON Lines held in a string.
    public func parseLines(_ text: String) throws(JSONParseError) -> [JSONValue] {
        try parseLines(text.utf8)
    }

    /// UTF-8's byte order mark, which `json.loads(bytes)` skips at the start.
    static let byteOrderMark: [UInt8] = [0xEF, 0xBB, 0xBF]

    private static func byteOrderMarkLength(_ buffer: UnsafeBufferPointer<UInt8>) -> Int {
        buffer.starts(with: byteOrderMark) ? byteOrderMark.count : 0
    }

    /// Runs `body` on contiguous bytes, copying only when the collection is not contiguous already.
    private static func withBuffer<Output>(
        _ bytes: some Collection<UInt8>,
        _ body: (UnsafeBufferPointer<UInt8>) throws(JSONParseError) -> Output
    ) throws(JSONParseError) -> Output {
        let outcome = bytes.withContiguousStorageIfAvailable { buffer in
            Result { () throws(JSONParseError) in try body(buffer) }
        }
        if let outcome { return try outcome.get() }
        return try Array(bytes).withUnsafeBufferPointer { buffer in
            Result { () throws(JSONParseError) in try body(buffer) }
        }.get()
    }
}
