import Foundation
import Testing
import VisdropNPY
import VisdropPNG

/// visdrop's own deflate coder (used for OpenCV's settings): libpng must read back exactly the
/// input, Python's zlib + numpy must too, and files must stay as small as libpng + zlib's.
@Suite("PNG run-length coder")
struct RunLengthCoderTests {
    /// A named test image; `content` picks the kind of pixels.
    struct Case: CustomStringConvertible, Sendable {
        enum Content: Sendable {
            /// Colour ramps plus noise of ±7, like a photo or a rendered visualisation.
            case realistic
            /// All zero: runs of 258 bytes across block and window boundaries.
            case zeros
            /// Flat rectangles: short and long runs mixed with literals.
            case rectangles
            /// Uniform random bytes: nothing to compress.
            case random
            /// Stripes of 0 and 255, 50 pixels wide: runs, two literals, no run as long as 258.
            case stripes
            /// Runs of every length from 1 to 300 of a few values: every length code.
            case runs
        }

        let width: Int
        let height: Int
        let layout: PixelLayout
        let sixteenBit: Bool
        let content: Content

        var description: String {
            "\(content) \(width)x\(height) \(layout)\(sixteenBit ? " 16-bit" : "")"
        }

        func image() throws -> PixelImage {
            let count = width * height * layout.channelCount
            var state: UInt64 = UInt64(count) &* 0x9E37_79B9_7F4A_7C15 | 1
            var values: [Int] = []
            values.reserveCapacity(count)
            var (runLeft, runValue) = (0, 0)
            for index in 0..<count {
                state ^= state << 13
                state ^= state >> 7
                state ^= state << 17
                let pixel = index / layout.channelCount
                let (x, y) = (pixel % width, pixel / width)
                let channel = index % layout.channelCount
                switch content {
                case .realistic:
                    let ramp = (x * 170 / max(width, 1) + y * 60 / max(height, 1) + channel * 40) % 256
                    values.append(min(max(ramp + Int(state % 15) - 7, 0), 255))
                case .zeros:
                    values.append(0)
                case .rectangles:
                    values.append(((x / 37 + y / 23 + channel) % 5) * 50)
                case .random:
                    values.append(Int(state >> 40))
                case .stripes:
                    values.append((x / 50) % 2 * 255)
                case .runs:
                    if values.isEmpty || runLeft == 0 {
                        runLeft = Int(state % 300) + 1
                        runValue = Int(state >> 50) % 4 * 60
                    }
                    runLeft -= 1
                    values.append(runValue)
                }
            }
            let samples: PixelSamples =
                sixteenBit
                ? .sixteenBit(values.map { UInt16(truncatingIfNeeded: $0 &* 257 ^ ($0 << 3)) })
                : .eightBit(values.map { UInt8(truncatingIfNeeded: $0) })
            return try PixelImage(width: width, height: height, layout: layout, samples: samples)
        }
    }

    static let cases: [Case] = [
        Case(width: 300, height: 200, layout: .rgb, sixteenBit: false, content: .realistic),
        Case(width: 64, height: 64, layout: .rgb, sixteenBit: false, content: .realistic),
        Case(width: 1000, height: 700, layout: .gray, sixteenBit: false, content: .zeros),
        Case(width: 257, height: 129, layout: .rgba, sixteenBit: false, content: .rectangles),
        Case(width: 97, height: 61, layout: .rgb, sixteenBit: false, content: .random),
        Case(width: 30000, height: 2, layout: .rgb, sixteenBit: false, content: .realistic),
        Case(width: 3, height: 20000, layout: .grayAlpha, sixteenBit: false, content: .rectangles),
        Case(width: 123, height: 45, layout: .gray, sixteenBit: true, content: .realistic),
        Case(width: 77, height: 33, layout: .rgba, sixteenBit: true, content: .rectangles),
        Case(width: 256, height: 64, layout: .gray, sixteenBit: false, content: .stripes),
        Case(width: 500, height: 300, layout: .rgb, sixteenBit: false, content: .runs),
        Case(width: 61, height: 17, layout: .grayAlpha, sixteenBit: true, content: .runs),
        Case(width: 1, height: 1, layout: .rgb, sixteenBit: false, content: .random),
        Case(width: 1, height: 9, layout: .gray, sixteenBit: false, content: .zeros),
        Case(width: 9, height: 1, layout: .rgba, sixteenBit: true, content: .random),
    ]

    @Test(
        "the coder's PNGs decode with libpng to the input and are no larger than libpng's", arguments: cases)
    func matchesLibpng(testCase: Case) throws {
        let image = try testCase.image()
        let ours = try PNGEncoder().encode(image)
        #expect(try PNGDecoder.decode(ours) == image)
        let libpng = try PNGEncoder(compressor: .libpng).encode(image)
        // zlib's own stream for the same settings is the yardstick: at most 1% and 16 bytes more.
        #expect(
            ours.count <= libpng.count + libpng.count / 100 + 16, "\(ours.count) vs libpng's \(libpng.count)")
    }

    /// 150 more images of every content, layout and depth, in sizes from 1 to 400 pixels a side.
    static let mixedCases: [Case] = {
        var state: UInt64 = 0x1234_5678_9ABC_DEF1
        func next(_ bound: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int(state >> 33) % bound
        }
        let contents: [Case.Content] = [.realistic, .zeros, .rectangles, .random, .stripes, .runs]
        return (0..<150).map { _ in
            Case(
                width: next(400) + 1, height: next(60) + 1, layout: PixelLayout.allCases[next(4)],
                sixteenBit: next(4) == 0, content: contents[next(contents.count)])
        }
    }()

    @Test("150 mixed images round-trip through libpng's decoder")
    func mixedRoundTrips() throws {
        for testCase in Self.mixedCases {
            let image = try testCase.image()
            #expect(try PNGDecoder.decode(PNGEncoder().encode(image)) == image, "\(testCase)")
        }
    }

    @Test("the coder's PNGs pass the independent zlib/numpy check")
    func passesIndependentCheck() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var pairs: [(png: URL, expected: URL)] = []
        for (index, testCase) in Self.cases.enumerated() {
            let image = try testCase.image()
            let png = try directory.write(PNGEncoder().encode(image), to: "\(index).png")
            let expected = try directory.write(try Self.npy(of: image), to: "\(index).npy")
            pairs.append((png, expected))
        }
        let check = try independentPNGCheck(pairs)
        #expect(check.status == 0, "\(check.output)")
    }

    @Test("tiny images get fixed codes, incompressible ones stored blocks, others dynamic codes")
    func choosesBlockTypes() throws {
        let tiny = try Case(width: 2, height: 2, layout: .rgb, sixteenBit: false, content: .realistic).image()
        let random = try Case(width: 97, height: 61, layout: .rgb, sixteenBit: false, content: .random)
            .image()
        let realistic = try Case(
            width: 300, height: 200, layout: .rgb, sixteenBit: false, content: .realistic
        )
        .image()
        #expect(try Self.firstBlockType(PNGEncoder().encode(tiny)) == 1)
        #expect(try Self.firstBlockType(PNGEncoder().encode(random)) == 0)
        #expect(try Self.firstBlockType(PNGEncoder().encode(realistic)) == 2)
    }

    @Test("only OpenCV's kind of settings use the coder")
    func routing() {
        #expect(PNGEncoder().usesRunLengthCoder)
        #expect(PNGEncoder(compressionLevel: 9).usesRunLengthCoder)
        #expect(!PNGEncoder(compressionLevel: 0).usesRunLengthCoder)
        #expect(!PNGEncoder(filter: .paeth).usesRunLengthCoder)
        #expect(!PNGEncoder(strategy: .standard).usesRunLengthCoder)
        #expect(!PNGEncoder(compressor: .libpng).usesRunLengthCoder)
    }

    /// BTYPE of the first deflate block: 0 stored, 1 fixed codes, 2 dynamic codes.
    static func firstBlockType(_ png: [UInt8]) throws -> Int {
        // Signature (8) + IHDR (25) + IDAT length and type (8) + zlib header (2).
        let offset = 8 + 25 + 8 + 2
        let type = try #require(png.count > offset ? Array(png[37..<41]) : nil)
        #expect(type == Array("IDAT".utf8))
        return Int(png[offset] >> 1) & 3
    }

    /// The image as a (height, width, channels) `.npy`, 16-bit samples little-endian.
    static func npy(of image: PixelImage) throws -> [UInt8] {
        let shape = [image.height, image.width, image.channels]
        switch image.samples {
        case .eightBit(let samples):
            return NPYWriter.encode(try NPYArray(shape: shape, elements: samples))
        case .sixteenBit(let samples):
            return NPYWriter.encode(try NPYArray(shape: shape, elements: samples))
        }
    }
}
