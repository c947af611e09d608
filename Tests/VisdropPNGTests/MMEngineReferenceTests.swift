import Foundation
import Testing
import VisdropNPY
import VisdropPNG

/// Ground truth from mmengine's LocalVisBackend (OpenCV's imwrite): `Fixtures/mmengine/`.
@Suite("mmengine reference images")
struct MMEngineReferenceTests {
    static let names = ["tiny_2", "small_2", "wide_2"]

    /// The `|u1` (H, W, 3) array mmengine was given; its shape is read back by numpy's header.
    static func array(_ name: String) throws -> NPYArray {
        let shapes = ["tiny_2": [1, 1, 3], "small_2": [10, 10, 3], "wide_2": [7, 301, 3]]
        let shape = try #require(shapes[name])
        return try Fixtures.npyArray("mmengine/\(name).npy", dtype: "uint8", shape: shape)
    }

    @Test("our decoder reads mmengine's PNG as the array's pixels", arguments: names)
    func decodesMMEnginePNG(name: String) throws {
        let array = try Self.array(name)
        let image = try PNGDecoder.decode(Fixtures.bytes("mmengine/expected/\(name).png"))
        #expect(image.height == array.shape[0])
        #expect(image.width == array.shape[1])
        #expect(image.layout == .rgb)
        #expect(image.bitDepth == 8)
        #expect(firstDifference(image.samples, .eightBit(array.data)) == nil)
    }

    @Test("an encoded array decodes to mmengine's pixels, at most 10% larger", arguments: names)
    func encodesLikeMMEngine(name: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanUp() }
        let reference = try Fixtures.bytes("mmengine/expected/\(name).png")
        let image = try ImageConversion.pixelImage(from: Self.array(name))
        let file = try directory.write(PNGEncoder().encode(image), to: "vis_image/\(name).png")

        let written = [UInt8](try Data(contentsOf: file))
        let ours = try PNGDecoder.decode(written)
        let theirs = try PNGDecoder.decode(reference)
        #expect(ours.width == theirs.width && ours.height == theirs.height && ours.layout == theirs.layout)
        #expect(firstDifference(ours.samples, theirs.samples) == nil)
        #expect(
            Double(written.count) <= Double(reference.count) * 1.1, "\(written.count) vs \(reference.count)")

        let check = try independentPNGCheck([(file, Fixtures.url("mmengine/\(name).npy"))])
        #expect(check.status == 0, "\(check.output)")
    }
}
