import Testing
import VisdropPNG

/// One PNG written by `make_fixtures.py` with zlib + struct, and the pixels libpng must return.
struct DecodeCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let height: Int
    let width: Int
    let channels: Int
    let bitDepth: Int
    let expectedDtype: String

    var testDescription: String { name }

    static func all() throws -> [DecodeCase] {
        try Fixtures.decodeJSON([DecodeCase].self, "decode/cases.json")
    }
}

/// One broken PNG and the text (libpng's, zlib's or the shim's) its error must contain.
struct BrokenPNG: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let messageContains: String

    var testDescription: String { name }

    static func all() throws -> [BrokenPNG] {
        try Fixtures.decodeJSON([BrokenPNG].self, "decode/rejected.json")
    }
}

@Suite("PNG decoding")
struct PNGDecoderTests {
    @Test(
        "palette, low-bit gray, 16-bit, gray+alpha and interlaced PNGs decode",
        arguments: try DecodeCase.all())
    func decodes(testCase: DecodeCase) throws {
        let image = try PNGDecoder.decode(Fixtures.bytes("decode/\(testCase.name).png"))
        #expect(image.height == testCase.height && image.width == testCase.width)
        #expect(image.channels == testCase.channels && image.bitDepth == testCase.bitDepth)
        let expected = try Fixtures.expectedSamples(
            "decode/\(testCase.name).expected.npy", dtype: testCase.expectedDtype)
        #expect(firstDifference(image.samples, expected) == nil)
    }

    @Test("broken PNGs are refused with libpng's message", arguments: try BrokenPNG.all())
    func refusesBrokenPNG(broken: BrokenPNG) throws {
        let bytes = try Fixtures.bytes("decode/\(broken.name).png")
        let error = #expect(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        guard case .decodingFailed(let byteCount, let message) = error else {
            Issue.record("expected decodingFailed, got \(String(describing: error))")
            return
        }
        #expect(byteCount == bytes.count)
        #expect(message.contains(broken.messageContains), "\(message)")
        #expect(error?.description.contains(broken.messageContains) == true)
    }

    @Test("a chunk claiming more bytes than the file holds is skipped piecewise, never read whole")
    func skipsOverlongChunkWithoutReadingItWhole() throws {
        // Found by Fuzz/FuzzImage: libpng allocated the 1,577,058,324 bytes this zTXt header claims and
        // asked for them in one read. The shim's end-of-data message names the size of the failed read;
        // a skipped chunk is read in pieces of libpng's PNG_INFLATE_BUF_SIZE (1024 bytes).
        let bytes = try Fixtures.bytes("decode/chunk_claims_1_5_gib.png")
        let error = #expect(throws: PNGError.self) { try PNGDecoder.decode(bytes) }
        guard case .decodingFailed(_, let message) = error else {
            Issue.record("expected decodingFailed, got \(String(describing: error))")
            return
        }
        let requested = try #require(message.firstMatch(of: /(\d+) bytes needed/)?.output.1)
        #expect(try #require(Int(requested)) <= 65_536, "\(message)")
    }

    @Test("empty input is refused")
    func refusesEmptyInput() {
        #expect(throws: PNGError.self) { try PNGDecoder.decode([]) }
    }

    @Test("every truncation of a valid PNG is refused without crashing")
    func refusesEveryTruncation() throws {
        let bytes = try Fixtures.bytes("mmengine/expected/small_2.png")
        for length in 0..<bytes.count {
            #expect(throws: PNGError.self, "truncated to \(length) bytes") {
                try PNGDecoder.decode(Array(bytes[..<length]))
            }
        }
    }
}
