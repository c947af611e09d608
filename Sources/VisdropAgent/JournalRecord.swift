import VisdropFileSystem

/// The bytes of a scalar-journal record: a checksummed list of sources and targets, optionally
/// followed by the appended mark; or the idle line when no batch is under way.
///
/// Layout (text, one item per line, paths length-prefixed so any byte may occur in them):
/// `visdrop-journal 2 <sequence>`, then `S <device> <inode> <size> <mtime> <byte count> <path>` per
/// source, `T <length> <byte count> <path>` per target, and `end <checksum>`, the FNV-1a hash of
/// everything before it. The appended mark is the line `appended <checksum>` right after it,
/// naming the record it marks; a torn mark reads as no mark. The journal file never shrinks
/// (`RecordFile`), so whatever follows the record or the idle line is left from a longer one
/// and ignored — which is why the mark names its record, and why every record carries a new
/// sequence number: bytes left from an older record's mark cannot pass for this one's, even when
/// a batch is retried with the same files and target lengths.
///
/// Version 1 (before the file stopped shrinking) is still read: its file ended with the record,
/// or with the record and the line `appended ok`.
enum JournalRecord {
    /// What the journal file says.
    enum Contents: Equatable {
        /// No batch under way: an empty file, or the idle line.
        case idle
        /// A batch's intent, and whether its lines were marked durable.
        case batch(ScalarJournal.Intent, appended: Bool)
        /// Neither: torn by a crash, or not a journal.
        case unreadable
    }

    /// The line written over the record once its batch is done.
    static let idle = Array("visdrop-journal idle\n".utf8)

    /// The record of `intent`; `sequence` makes it differ from every earlier record.
    static func encode(_ intent: ScalarJournal.Intent, sequence: UInt64) -> [UInt8] {
        // Written byte by byte, not through string interpolation: a batch of thousands of files
        // writes one of these before its first line.
        var bytes: [UInt8] = []
        bytes.reserveCapacity(
            64 + intent.sources.reduce(0) { $0 + 96 + $1.path.utf8.count }
                + intent.targets.reduce(0) { $0 + 48 + $1.path.utf8.count })
        bytes += "visdrop-journal 2 ".utf8
        appendDecimal(sequence, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        for source in intent.sources {
            let identity = source.identity
            bytes += "S ".utf8
            appendDecimal(identity.device, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            appendDecimal(identity.inode, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            appendDecimal(Int64(identity.size), to: &bytes)
            bytes.append(UInt8(ascii: " "))
            appendDecimal(identity.modificationTime, to: &bytes)
            bytes.append(UInt8(ascii: " "))
            appendDecimal(Int64(source.path.utf8.count), to: &bytes)
            bytes.append(UInt8(ascii: " "))
            bytes += source.path.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        for target in intent.targets {
            bytes += "T ".utf8
            appendDecimal(Int64(target.length), to: &bytes)
            bytes.append(UInt8(ascii: " "))
            appendDecimal(Int64(target.path.utf8.count), to: &bytes)
            bytes.append(UInt8(ascii: " "))
            bytes += target.path.utf8
            bytes.append(UInt8(ascii: "\n"))
        }
        let sum = checksum(bytes)
        bytes += "end ".utf8
        appendDecimal(sum, to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    /// Appends `value` in decimal, as `"\(value)"` spells it.
    static func appendDecimal(_ value: Int64, to bytes: inout [UInt8]) {
        if value < 0 { bytes.append(UInt8(ascii: "-")) }
        appendDecimal(value.magnitude, to: &bytes)
    }

    /// Appends `value` in decimal, as `"\(value)"` spells it.
    static func appendDecimal(_ value: UInt64, to bytes: inout [UInt8]) {
        // Last digit first, into room on the stack: a division by the constant 10 compiles to a
        // multiplication, where dividing by a running power of ten took two hardware divisions per
        // digit (a batch's record spells five numbers per source).
        var room: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes; UInt64.max has 20 digits
        withUnsafeMutableBytes(of: &room) { digits in
            var start = digits.count
            var rest = value
            repeat {
                start -= 1
                digits[start] = UInt8(ascii: "0") + UInt8(truncatingIfNeeded: rest % 10)
                rest /= 10
            } while rest > 0
            bytes.append(contentsOf: digits[start...])
        }
    }

    /// The line `markAppended` writes right after `record`.
    static func appendedMark(for record: [UInt8]) -> [UInt8] {
        var bytes = Array("appended ".utf8)
        appendDecimal(checksum(record), to: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        return bytes
    }

    static func decode(_ bytes: [UInt8]) -> Contents {
        if bytes.isEmpty || bytes.starts(with: idle) { return .idle }
        var reader = Reader(bytes: bytes)
        guard reader.word() == "visdrop-journal" else { return .unreadable }
        let version = reader.word()
        guard version == "1" || (version == "2" && reader.number() != nil), reader.endOfLine() else {
            return .unreadable
        }
        var intent = ScalarJournal.Intent(sources: [], targets: [])
        while true {
            let lineStart = reader.position
            switch reader.word() {
            case "S":
                guard let device = reader.number().flatMap(UInt64.init(exactly:)),
                    let inode = reader.number().flatMap(UInt64.init(exactly:)), let size = reader.number(),
                    let time = reader.number(), let path = reader.path(), reader.endOfLine()
                else { return .unreadable }
                let identity = FileSystem.FileIdentity(
                    device: device, inode: inode, size: Int(size), modificationTime: time)
                intent.sources.append(.init(path: path, identity: identity))
            case "T":
                guard let length = reader.number(), let path = reader.path(), reader.endOfLine() else {
                    return .unreadable
                }
                intent.targets.append(.init(path: path, length: Int(length)))
            case "end":
                guard let sum = reader.number(), sum == checksum(bytes[..<lineStart]),
                    reader.endOfLine()
                else { return .unreadable }
                let rest = bytes[reader.position...]
                guard version == "2" else {
                    return .batch(intent, appended: rest.elementsEqual(Array("appended ok\n".utf8)))
                }
                let record = Array(bytes[..<reader.position])
                return .batch(intent, appended: rest.starts(with: appendedMark(for: record)))
            default:
                return .unreadable
            }
        }
    }

    /// 64-bit FNV-1a, printed as a signed decimal for the reader's one number syntax.
    static func checksum<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return Int64(bitPattern: hash)
    }

    private struct Reader {
        let bytes: [UInt8]
        var position = 0

        mutating func word() -> String? {
            let start = position
            while position < bytes.count, bytes[position] != UInt8(ascii: " "),
                bytes[position] != UInt8(ascii: "\n")
            {
                position += 1
            }
            let text = String(decoding: bytes[start..<position], as: UTF8.self)
            if position < bytes.count, bytes[position] == UInt8(ascii: " ") { position += 1 }
            return text
        }

        mutating func number() -> Int64? {
            word().flatMap { Int64($0) }
        }

        mutating func path() -> String? {
            guard let count = number(), count >= 0, count <= bytes.count - position else { return nil }
            let path = String(decoding: bytes[position..<position + Int(count)], as: UTF8.self)
            position += Int(count)
            return path
        }

        mutating func endOfLine() -> Bool {
            guard position < bytes.count, bytes[position] == UInt8(ascii: "\n") else { return false }
            position += 1
            return true
        }
    }
}
