import VisdropFileSystem

/// The bytes of a scalar-journal record: a checksummed list of sources and targets, optionally
/// followed by the appended mark.
///
/// Layout (text, one item per line, paths length-prefixed so any byte may occur in them):
/// `visdrop-journal 1`, then `S <device> <inode> <size> <mtime> <byte count> <path>` per source,
/// `T <length> <byte count> <path>` per target, and `end <checksum>`, the FNV-1a hash of
/// everything before it. The appended mark is the line `appended ok` right after it; a torn mark
/// reads as no mark.
enum JournalRecord {
    static func encode(_ intent: ScalarJournal.Intent) -> [UInt8] {
        var bytes = Array("visdrop-journal 1\n".utf8)
        for source in intent.sources {
            let path = Array(source.path.utf8)
            bytes += Array("S \(source.identity) \(path.count) ".utf8) + path + [UInt8(ascii: "\n")]
        }
        for target in intent.targets {
            let path = Array(target.path.utf8)
            bytes += Array("T \(target.length) \(path.count) ".utf8) + path + [UInt8(ascii: "\n")]
        }
        bytes += Array("end \(checksum(bytes))\n".utf8)
        return bytes
    }

    /// The line `markAppended` adds after a record.
    static var appendedMark: [UInt8] { Array("appended ok\n".utf8) }

    /// The intent and whether the appended mark follows it; nil when the record is torn or foreign.
    static func decode(_ bytes: [UInt8]) -> (ScalarJournal.Intent, appended: Bool)? {
        var reader = Reader(bytes: bytes)
        guard reader.word() == "visdrop-journal", reader.word() == "1", reader.endOfLine() else { return nil }
        var intent = ScalarJournal.Intent(sources: [], targets: [])
        while true {
            let lineStart = reader.position
            switch reader.word() {
            case "S":
                guard let device = reader.number().flatMap(UInt64.init(exactly:)),
                    let inode = reader.number().flatMap(UInt64.init(exactly:)), let size = reader.number(),
                    let time = reader.number(), let path = reader.path(), reader.endOfLine()
                else { return nil }
                let identity = FileSystem.FileIdentity(
                    device: device, inode: inode, size: Int(size), modificationTime: time)
                intent.sources.append(.init(path: path, identity: identity))
            case "T":
                guard let length = reader.number(), let path = reader.path(), reader.endOfLine() else {
                    return nil
                }
                intent.targets.append(.init(path: path, length: Int(length)))
            case "end":
                guard let sum = reader.number(), sum == checksum(bytes[..<lineStart]),
                    reader.endOfLine()
                else { return nil }
                let rest = bytes[reader.position...]
                return (intent, rest.elementsEqual(appendedMark))
            default:
                return nil
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
