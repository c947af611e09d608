import Testing
import VisdropFileSystem

@testable import VisdropAgent

/// The scalar journal's bytes as the file holds them: the file never shrinks, so a record is
/// read with whatever a longer, older one left after it.
@Suite("scalar journal record")
struct JournalRecordTests {
    private static func intent(sources: Int, inode: UInt64, targetLength: Int) -> ScalarJournal.Intent {
        ScalarJournal.Intent(
            sources: (0..<sources).map {
                .init(
                    path: "/drop/run/m_\($0).json",
                    identity: FileSystem.FileIdentity(
                        device: 2049, inode: inode + UInt64($0), size: 90, modificationTime: 1_700_000_000))
            },
            targets: [.init(path: "/out/run/scalars.json", length: targetLength)])
    }

    /// `bytes` written over `file` from offset 0, as `RecordFile.write(_:at:durable:)` does.
    private static func overwrite(_ file: [UInt8], with bytes: [UInt8]) -> [UInt8] {
        bytes + file.dropFirst(bytes.count)
    }

    @Test("numbers are spelled as Swift's own description spells them, at every length and sign")
    func decimalsMatchDescription() {
        var values: [Int64] = [
            0, 1, 9, 10, 11, 99, 100, -1, -10, Int64.max, Int64.min, 1_765_141_234_123_456_789,
        ]
        var power: Int64 = 1
        for _ in 0..<18 {
            power *= 10
            values += [power - 1, power, power + 1, -power]
        }
        var generator = SystemRandomNumberGenerator()
        values += (0..<200).map { _ in Int64.random(in: .min ... .max, using: &generator) }
        for value in values {
            var bytes: [UInt8] = []
            JournalRecord.appendDecimal(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == String(describing: value))
        }
        for value in [UInt64.max, UInt64.max - 9, UInt64(Int64.max) + 1] {
            var bytes = Array("x".utf8)
            JournalRecord.appendDecimal(value, to: &bytes)
            #expect(String(decoding: bytes, as: UTF8.self) == "x" + String(describing: value))
        }
    }

    @Test("a record with its own mark is appended; without one it is not")
    func markNamesItsRecord() {
        let intent = Self.intent(sources: 3, inode: 100, targetLength: 4096)
        let record = JournalRecord.encode(intent, sequence: 1)
        #expect(JournalRecord.decode(record) == .batch(intent, appended: false))
        let marked = record + JournalRecord.appendedMark(for: record)
        #expect(JournalRecord.decode(marked) == .batch(intent, appended: true))
    }

    @Test("an older record's mark left after a new record does not mark it")
    func staleMarkIsIgnored() {
        let old = JournalRecord.encode(Self.intent(sources: 3, inode: 100, targetLength: 4096), sequence: 1)
        let file = old + JournalRecord.appendedMark(for: old) + Array(repeating: UInt8(ascii: "x"), count: 64)
        // Same length as the old record (one digit of the target length differs), so the old mark
        // sits exactly where this record's would go.
        let sameLength = Self.intent(sources: 3, inode: 100, targetLength: 5096)
        let newRecord = JournalRecord.encode(sameLength, sequence: 2)
        #expect(newRecord.count == old.count)
        #expect(
            JournalRecord.decode(Self.overwrite(file, with: newRecord)) == .batch(sameLength, appended: false)
        )
        let shorter = Self.intent(sources: 1, inode: 200, targetLength: 7)
        #expect(
            JournalRecord.decode(Self.overwrite(file, with: JournalRecord.encode(shorter, sequence: 3)))
                == .batch(shorter, appended: false))
    }

    @Test("a batch retried with the same files and lengths is not marked by its first try's mark")
    func retriedBatchIsNotMarkedByTheFirstTry() {
        let intent = Self.intent(sources: 2, inode: 40, targetLength: 100)
        let first = JournalRecord.encode(intent, sequence: 10)
        // The first try was marked, then rolled back (idle line over its start, mark left behind).
        let file = Self.overwrite(first + JournalRecord.appendedMark(for: first), with: JournalRecord.idle)
        let retry = JournalRecord.encode(intent, sequence: 11)
        #expect(retry.count == first.count)
        #expect(JournalRecord.decode(Self.overwrite(file, with: retry)) == .batch(intent, appended: false))
    }

    @Test("a version 1 journal (written before the file stopped shrinking) is still read")
    func versionOne() {
        let intent = Self.intent(sources: 1, inode: 9, targetLength: 12)
        var record = Array("visdrop-journal 1\n".utf8)
        for source in intent.sources {
            record += Array("S \(source.identity) \(source.path.utf8.count) \(source.path)\n".utf8)
        }
        for target in intent.targets {
            record += Array("T \(target.length) \(target.path.utf8.count) \(target.path)\n".utf8)
        }
        record += Array("end \(JournalRecord.checksum(record))\n".utf8)
        #expect(JournalRecord.decode(record) == .batch(intent, appended: false))
        #expect(JournalRecord.decode(record + Array("appended ok\n".utf8)) == .batch(intent, appended: true))
    }

    @Test("the idle line over a record, and an empty file, mean no batch")
    func idle() {
        let record = JournalRecord.encode(Self.intent(sources: 2, inode: 7, targetLength: 0), sequence: 1)
        #expect(JournalRecord.decode(Self.overwrite(record, with: JournalRecord.idle)) == .idle)
        #expect(JournalRecord.decode([]) == .idle)
    }

    @Test("a torn record is unreadable")
    func tornRecord() {
        var record = JournalRecord.encode(Self.intent(sources: 2, inode: 7, targetLength: 10), sequence: 1)
        record[record.count / 2] ^= 0x01
        #expect(JournalRecord.decode(record) == .unreadable)
        #expect(JournalRecord.decode(Array("not a journal\n".utf8)) == .unreadable)
    }
}
