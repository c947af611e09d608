import VisdropFileSystem
import VisdropJSON

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// Reads a scalar file (`scalars.json` or a `file_path` target) line by line from a byte offset,
/// in chunks, never whole: only complete lines count, so a line still being written waits.
enum ScalarLines {
    /// The size of one read.
    static let chunkBytes = 1 << 20
    /// A longer line is skipped (counted), not held in memory.
    static let maximumLineBytes = 16 << 20

    /// One record's numeric values, in the order written, and its step.
    struct Record {
        var step: Double
        var values: [(key: String, value: Double)]
    }

    /// Calls `body` with each record of the complete lines from `offset` on (and before `end`,
    /// which must be the end of a line, when given); returns the offset
    /// after the last complete line and how many non-blank lines were not records with a
    /// numeric `step` (bad JSON, not an object, too long).
    static func read(
        _ file: borrowing RegularFile, from offset: Int, until end: Int = .max, _ body: (Record) -> Void
    ) throws(FileSystemError) -> (endOffset: Int, skippedLines: Int) {
        let parser = JSONParser(maximumDepth: 64)
        var fastReader = JSONNumericFieldsReader()
        var record = Record(step: 0, values: [])
        var carry: [UInt8] = []
        var position = offset
        var lineStart = offset
        var skipped = 0
        var skippingLongLine = false
        while true {
            let chunk = try file.read(upTo: min(chunkBytes, end - position), at: position)
            if chunk.isEmpty { break }
            position += chunk.count
            var bytes = carry
            bytes.append(contentsOf: chunk)
            var start = 0
            bytes.withUnsafeBufferPointer { buffer in
                while let newline = firstNewline(in: buffer, from: start) {
                    if skippingLongLine {
                        skippingLongLine = false
                    } else {
                        let line = UnsafeBufferPointer(rebasing: buffer[start..<newline])
                        if !isBlank(line) {
                            if read(line, into: &record, fastReader: &fastReader, parser: parser) {
                                body(record)
                            } else {
                                skipped += 1
                            }
                        }
                    }
                    start = newline + 1
                }
            }
            lineStart += start
            carry = Array(bytes[start...])
            if carry.count > maximumLineBytes {
                if !skippingLongLine { skipped += 1 }
                skippingLongLine = true
                lineStart += carry.count
                carry = []
            }
            if chunk.count < chunkBytes || position >= end { break }
        }
        return (lineStart, skipped)
    }

    /// The index of the first `\n` in `buffer[start...]`, found by `memchr` (a word at a time).
    private static func firstNewline(in buffer: UnsafeBufferPointer<UInt8>, from start: Int) -> Int? {
        guard start < buffer.count, let base = buffer.baseAddress,
            let found = memchr(base + start, Int32(UInt8(ascii: "\n")), buffer.count - start)
        else { return nil }
        return base.distance(to: found.assumingMemoryBound(to: UInt8.self))
    }

    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// Reads the record on one line into `record`: a JSON object with a numeric `step`; its
    /// numbers (not booleans) are the values, `NaN` and the infinities included. Returns `false`
    /// when the line holds no record (`record` is then unspecified).
    ///
    /// A flat, plainly spelt line (the common one) is read by `JSONNumericFieldsReader` without
    /// building a JSON value; any other goes through `parser`, which gives the same numbers.
    static func read(
        _ line: UnsafeBufferPointer<UInt8>, into record: inout Record,
        fastReader: inout JSONNumericFieldsReader,
        parser: JSONParser
    ) -> Bool {
        if !fastReader.read(line, into: &record.values) {
            guard case .object(let object)? = try? parser.parse(line) else { return false }
            record.values.removeAll(keepingCapacity: true)
            for (key, value) in object {
                if let number = value.doubleValue { record.values.append((key, number)) }
            }
        }
        // The step is most often the last field, where removing it moves nothing.
        guard let stepIndex = record.values.lastIndex(where: { $0.key.utf8.elementsEqual("step".utf8) })
        else { return false }
        record.step = record.values.remove(at: stepIndex).value
        return true
    }
}
