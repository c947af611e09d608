// libFuzzer target: arbitrary bytes -> PNGDecoder (inputs starting with the PNG signature) or
// NPYReader -> ImageConversion (everything else), then PNGEncoder -> PNGDecoder.
//
// Checks that decoding, converting and encoding never crash (libpng runs behind the CPNGShim C code,
// compiled with the same sanitizers), that every image has exactly width * height * channels samples,
// and that encoding an image and decoding the PNG gives the same image back. Any violation calls
// fatalError so that libFuzzer records the input as a crash. Build and run with
// `scripts/fuzz FuzzImage SECONDS`.
import VisdropNPY
import VisdropPNG

private let pngSignature: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]

/// libFuzzer calls this once per input: the `count` bytes at `start`; always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzImage(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let image: PixelImage
    if bytes.starts(with: pngSignature) {
        do {
            image = try PNGDecoder.decode(bytes)
        } catch {
            _ = error.description
            return 0
        }
    } else {
        do {
            image = try ImageConversion.pixelImage(from: try NPYReader().read(bytes))
        } catch let error as ImageConversionError {
            _ = error.description
            return 0
        } catch {
            return 0
        }
    }
    checkSampleCount(image)
    checkRoundTrip(image)
    return 0
}

/// An image holds exactly one sample per channel of every pixel.
private func checkSampleCount(_ image: PixelImage) {
    guard image.width > 0, image.height > 0,
        image.samples.count == image.width * image.height * image.channels
    else {
        fatalError(
            "\(image.width)x\(image.height) \(image.layout) image holds \(image.samples.count) samples")
    }
}

/// Encoding an image and decoding the PNG gives the same image.
private func checkRoundTrip(_ image: PixelImage) {
    let encoded: [UInt8]
    do {
        encoded = try PNGEncoder().encode(image)
    } catch {
        fatalError("encoding a valid \(image.width)x\(image.height) \(image.layout) image failed: \(error)")
    }
    do {
        let decoded = try PNGDecoder.decode(encoded)
        guard decoded == image else {
            fatalError("PNG round trip changed a \(image.width)x\(image.height) \(image.layout) image")
        }
    } catch {
        fatalError("PNGEncoder output does not decode: \(error)")
    }
}
