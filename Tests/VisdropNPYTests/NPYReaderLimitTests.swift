import Foundation
import Testing
import VisdropNPY

/// Configurable limits, checked on numpy-written fixtures.
@Suite struct NPYReaderLimitTests {
    /// `arange(6, dtype='<f4').reshape(2, 3)` as numpy.save wrote it.
    private func float32Matrix() throws -> [UInt8] {
        try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent("dtype_float32_little.npy"))
    }

    @Test func headerLengthAboveTheCapIsRejected() throws {
        let bytes = try float32Matrix()
        let declaredLength = Int(bytes[8]) | Int(bytes[9]) << 8
        let reader = NPYReader(limits: NPYLimits(maximumHeaderLength: declaredLength - 1))
        #expect(throws: NPYError.headerTooLong(length: declaredLength, limit: declaredLength - 1)) {
            try reader.read(bytes)
        }
        _ = try NPYReader(limits: NPYLimits(maximumHeaderLength: declaredLength)).read(bytes)
    }

    @Test func dataAboveTheCapIsRejected() throws {
        let bytes = try float32Matrix()
        #expect(throws: NPYError.tooLarge(bytes: 24, limit: 23)) {
            try NPYReader(limits: NPYLimits(maximumDataBytes: 23)).read(bytes)
        }
        let array = try NPYReader(limits: NPYLimits(maximumDataBytes: 24)).read(bytes)
        #expect(array.count == 6)
    }

    @Test func dimensionsAboveTheCapAreRejected() throws {
        let bytes = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent("cube_int16.npy"))
        #expect(throws: NPYError.tooManyDimensions(count: 3, limit: 2)) {
            try NPYReader(limits: NPYLimits(maximumDimensions: 2)).read(bytes)
        }
    }

    @Test func defaultsFollowTheDocumentation() {
        let limits = NPYLimits()
        #expect(limits.maximumHeaderLength == 65536)
        #expect(limits.maximumDataBytes == 1 << 30)
        #expect(limits.maximumDimensions == 32)
    }

    @Test func everyPrefixOfAValidFileFailsCleanly() throws {
        let bytes = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent("hyper_float64_big_fortran.npy"))
        for length in 0..<bytes.count {
            #expect(throws: NPYError.self) { try NPYReader().read(Array(bytes[..<length])) }
        }
    }

    @Test func everySingleByteCorruptionOfTheHeaderFailsCleanlyOrReadsConsistently() throws {
        let bytes = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent("cube_int16.npy"))
        let dataOffset = try NPYReader().readHeader(bytes).dataOffset
        for offset in 0..<dataOffset {
            for replacement: UInt8 in [0x00, 0x27, 0x28, 0x29, 0x2C, 0x7B, 0x7D, 0xFF, 0x31] {
                var corrupted = bytes
                corrupted[offset] = replacement
                do {
                    let array = try NPYReader().read(corrupted)
                    #expect(array.data.count == array.count * array.elementType.byteWidth)
                    #expect(array.data.count <= corrupted.count)
                } catch {
                    #expect(!error.description.isEmpty)
                }
            }
        }
    }
}
