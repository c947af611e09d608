import VisdropFileSystem
import VisdropJSON

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
                while let newline = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    if skippingLongLine {
                        skippingLongLine = false
                    } else {
                        let line = UnsafeBufferPointer(rebasing: buffer[start..<newline])
                        if !isBlank(line) {
                            if let record = record(line, parser: parser) {
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

    private static func isBlank(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        line.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
    }

    /// The record on one line: a JSON object with a numeric `step`; its numbers (not booleans)
    /// are the values, `NaN` and the infinities included.
    static func record(_ line: UnsafeBufferPointer<UInt8>, parser: JSONParser) -> Record? {
        guard case .object(let object)? = try? parser.parse(line), let step = number(object["step"]) else {
            return nil
        }
        var values: [(key: String, value: Double)] = []
        values.reserveCapacity(object.count)
        for (key, value) in object where key != "step" {
            if let number = number(value) { values.append((key, number)) }
        }
        return Record(step: step, values: values)
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .integer(let integer)?: return integer.doubleValue
        case .float(let float)?: return float
        default: return nil
        }
    }
}
