import Testing
import VisdropNPY

/// The reader's path for a file read in two steps, as the agent reads a dropped `.npy`: the first
/// bytes (`readHeader`), the size check against the file's size (`checkDataSize`), then the data
/// section alone (`read(header:data:)`).
enum TwoStepReading {
    /// The bytes a reader needs before the header is known: magic, version, length field and the
    /// longest header `limits` allows.
    static func prefixLength(of fileSize: Int, limits: NPYLimits) -> Int {
        min(fileSize, 12 + limits.maximumHeaderLength)
    }

    /// Reads `file` as a header from its first bytes, then its data section.
    static func read(_ file: [UInt8], with reader: NPYReader = NPYReader()) throws(NPYError) -> NPYArray {
        let prefix = Array(file.prefix(prefixLength(of: file.count, limits: reader.limits)))
        let header = try reader.readHeader(prefix)
        try reader.checkDataSize(header, fileSize: file.count)
        return try reader.read(header: header, data: Array(file[header.dataOffset...]))
    }
}

@Suite struct NPYTwoStepReadingTests {
    @Test func rejectsAnOversizedFileBeforeReadingItsData() throws {
        let file = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent("mmengine_wide_2.npy"))
        let header = try NPYReader().readHeader(file)
        let reader = NPYReader(limits: NPYLimits(maximumDataBytes: header.dataByteCount - 1))
        let prefix = Array(file.prefix(TwoStepReading.prefixLength(of: file.count, limits: reader.limits)))
        #expect(throws: NPYError.tooLarge(bytes: header.dataByteCount, limit: header.dataByteCount - 1)) {
            try reader.checkDataSize(try reader.readHeader(prefix), fileSize: file.count)
        }
    }
}
