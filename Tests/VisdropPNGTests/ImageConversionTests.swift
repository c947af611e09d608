import Foundation
import Testing
import VisdropNPY
import VisdropPNG

/// One accepted array of `Fixtures/conversion/cases.json` and the pixels numpy computed for it.
struct ConversionCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let dtype: String
    let shape: [Int]
    let height: Int
    let width: Int
    let channels: Int
    let bitDepth: Int
    let expectedDtype: String

    var testDescription: String { name }

    static func all() throws -> [ConversionCase] {
        try Fixtures.decodeJSON([ConversionCase].self, "conversion/cases.json")
    }

    func array() throws -> NPYArray {
        try Fixtures.npyArray("conversion/\(name).npy", dtype: dtype, shape: shape)
    }

    func expectedSamples() throws -> PixelSamples {
        try Fixtures.expectedSamples("conversion/\(name).expected.npy", dtype: expectedDtype)
    }
}

@Suite("array to image conversion")
struct ImageConversionTests {
    @Test("each accepted array converts to numpy's expected pixels", arguments: try ConversionCase.all())
    func convertsToExpectedPixels(testCase: ConversionCase) throws {
        let image = try ImageConversion.pixelImage(from: testCase.array())
        #expect(image.height == testCase.height)
        #expect(image.width == testCase.width)
        #expect(image.channels == testCase.channels)
        #expect(image.bitDepth == testCase.bitDepth)
        #expect(firstDifference(image.samples, try testCase.expectedSamples()) == nil)
    }

    @Test("each accepted array survives encode, file, decode", arguments: try ConversionCase.all())
    func roundTripsThroughAFile(testCase: ConversionCase) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let image = try ImageConversion.pixelImage(from: testCase.array())
        let file = try directory.write(PNGEncoder().encode(image), to: "\(testCase.name).png")
        let decoded = try PNGDecoder.decode([UInt8](Data(contentsOf: file)))
        #expect(decoded.height == testCase.height && decoded.width == testCase.width)
        #expect(decoded.channels == testCase.channels && decoded.bitDepth == testCase.bitDepth)
        #expect(firstDifference(decoded.samples, try testCase.expectedSamples()) == nil)
    }

    @Test("every encoded case passes the independent zlib/numpy PNG check")
    func encodedCasesPassIndependentCheck() throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        var pairs: [(png: URL, expected: URL)] = []
        for testCase in try ConversionCase.all() {
            let image = try ImageConversion.pixelImage(from: testCase.array())
            let file = try directory.write(PNGEncoder().encode(image), to: "\(testCase.name).png")
            pairs.append((file, try Fixtures.url("conversion/\(testCase.name).expected.npy")))
        }
        let check = try independentPNGCheck(pairs)
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.split(separator: "\n").filter { $0.hasPrefix("OK ") }.count == pairs.count)
    }

    @Test("a full-HD float32 RGB frame converts like numpy's formula says")
    func convertsFullHDFrame() throws {
        // Element i holds (i % 256) / 256; numpy computes the 256 possible bytes with torchvision's formula.
        let script = """
            import numpy as np
            x = np.arange(256, dtype=np.float32) / np.float32(256)
            print(" ".join(str(v) for v in np.clip(x * np.float32(255) + np.float32(0.5), 0, 255).astype(np.uint8)))
            """
        let expected = try runPython(script).split(separator: " ").compactMap { UInt8($0) }
        try #require(expected.count == 256)
        let (height, width) = (1080, 1920)
        let count = height * width * 3
        var data = [UInt8](repeating: 0, count: count * 4)
        data.withUnsafeMutableBytes { raw in
            for index in 0..<count {
                raw.storeBytes(of: Float(index % 256) / 256, toByteOffset: index * 4, as: Float.self)
            }
        }
        let image = try ImageConversion.pixelImage(
            from: try NPYArray(elementType: .float32, shape: [height, width, 3], data: data))
        guard case .eightBit(let samples) = image.samples else {
            Issue.record("expected 8-bit samples")
            return
        }
        #expect(samples.count == count)
        #expect(samples.indices.allSatisfy { samples[$0] == expected[$0 % 256] })
        let decoded = try PNGDecoder.decode(PNGEncoder().encode(image))
        #expect(decoded == image)
    }
}
