import Foundation
import Testing
import VisdropNPY
import VisdropPNG

@Suite("PNG encoding")
struct PNGEncoderTests {
    /// Deterministic samples with both smooth and noisy regions, so every filter gets used.
    static func samples(count: Int) -> [UInt8] {
        var state: UInt32 = 12345
        return (0..<count).map { index in
            state = state &* 1_103_515_245 &+ 12345
            return index % 7 < 4
                ? UInt8(truncatingIfNeeded: index / 3) : UInt8(truncatingIfNeeded: state >> 16)
        }
    }

    static let encoders: [PNGEncoder] =
        PNGFilter.allCases.flatMap { filter in
            PNGCompressionStrategy.allCases.map {
                PNGEncoder(compressionLevel: 6, filter: filter, strategy: $0)
            }
        } + [0, 1, 9].map { PNGEncoder(compressionLevel: $0) }

    @Test("every filter, strategy and level round-trips 8- and 16-bit images", arguments: encoders)
    func roundTrips(encoder: PNGEncoder) throws {
        let rgb = try PixelImage(
            width: 17, height: 9, layout: .rgb, samples: .eightBit(Self.samples(count: 17 * 9 * 3)))
        #expect(try PNGDecoder.decode(encoder.encode(rgb)) == rgb)
        let wide = Self.samples(count: 5 * 6 * 2 * 2)
        let grayAlpha16 = try PixelImage(
            width: 5, height: 6, layout: .grayAlpha,
            samples: .sixteenBit(
                stride(from: 0, to: wide.count, by: 2).map { UInt16(wide[$0]) << 8 | UInt16(wide[$0 + 1]) }))
        #expect(try PNGDecoder.decode(encoder.encode(grayAlpha16)) == grayAlpha16)
    }

    @Test("PNGs written with every filter pass the independent zlib/numpy check")
    func filtersPassIndependentCheck() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        // The check compares against numpy's reading of the same fixture array the image came from.
        let testCase = try #require(try ConversionCase.all().first { $0.name == "uint8_rgb_64x48" })
        let image = try ImageConversion.pixelImage(from: testCase.array())
        let expected = try Fixtures.url("conversion/\(testCase.name).expected.npy")
        var pairs: [(png: URL, expected: URL)] = []
        for (index, encoder) in Self.encoders.enumerated() {
            pairs.append((try directory.write(encoder.encode(image), to: "\(index).png"), expected))
        }
        let check = try independentPNGCheck(pairs)
        #expect(check.status == 0, "\(check.output)")
    }

    @Test("compression levels outside 0...9 are clamped, as OpenCV does")
    func clampsCompressionLevel() {
        #expect(PNGEncoder(compressionLevel: 42).compressionLevel == 9)
        #expect(PNGEncoder(compressionLevel: -3).compressionLevel == 0)
    }

    @Test("rows longer than libpng's default 1,000,000-pixel limit are written and read")
    func writesVeryWideRows() throws {
        let width = 1_000_001
        let image = try PixelImage(
            width: width, height: 1, layout: .gray, samples: .eightBit(Self.samples(count: width)))
        #expect(try PNGDecoder.decode(PNGEncoder().encode(image)) == image)
    }

    @Test("1×1, 1-row and 1-column images of every layout round-trip")
    func roundTripsThinImages() throws {
        for layout in PixelLayout.allCases {
            for (width, height) in [(1, 1), (9, 1), (1, 9)] {
                let count = width * height * layout.channelCount
                let image = try PixelImage(
                    width: width, height: height, layout: layout,
                    samples: .eightBit(Self.samples(count: count)))
                #expect(
                    try PNGDecoder.decode(PNGEncoder().encode(image)) == image, "\(layout) \(width)x\(height)"
                )
            }
        }
    }
}
