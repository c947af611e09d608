// libFuzzer target: arbitrary bytes -> PNGDecoder (inputs starting with the PNG signature) or
// NPYReader -> ImageConversion (everything else), then PNGEncoder -> PNGDecoder.
//
// libpng rejects a chunk whose CRC is wrong, which almost every mutation makes it; so a PNG input is
// decoded both as it is and with every chunk's CRC recomputed, letting mutations reach the chunk parsers.
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
    if bytes.starts(with: pngSignature) {
        let repaired = withChunkCRCsRecomputed(bytes)
        for input in repaired == bytes ? [bytes] : [bytes, repaired] {
            do {
                let image = try PNGDecoder.decode(input)
                checkSampleCount(image)
                checkRoundTrip(image)
            } catch {
                _ = error.description
            }
        }
        return 0
    }
    let image: PixelImage
    do {
        image = try ImageConversion.pixelImage(from: try NPYReader().read(bytes))
    } catch let error as ImageConversionError {
        _ = error.description
        return 0
    } catch {
        return 0
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

/// `png` with the CRC of every complete chunk after the signature set to the CRC-32 of its type and data.
private func withChunkCRCsRecomputed(_ png: [UInt8]) -> [UInt8] {
    var bytes = png
    var offset = pngSignature.count
    while offset + 12 <= bytes.count {
        let length = bytes[offset..<offset + 4].reduce(0) { $0 << 8 | Int($1) }
        let crcOffset = offset + 8 + length
        guard crcOffset + 4 <= bytes.count else { break }
        let crc = crc32(bytes[(offset + 4)..<crcOffset])
        for index in 0..<4 {
            bytes[crcOffset + index] = UInt8(truncatingIfNeeded: crc >> (24 - 8 * UInt32(index)))
        }
        offset = crcOffset + 4
    }
    return bytes
}

/// The CRC-32 (ISO 3309, as PNG uses it) of `bytes`.
private func crc32(_ bytes: ArraySlice<UInt8>) -> UInt32 {
    var crc: UInt32 = 0xFFFF_FFFF
    for byte in bytes {
        crc = crc32Table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8)
    }
    return crc ^ 0xFFFF_FFFF
}

private let crc32Table: [UInt32] = (0..<256).map { (entry: UInt32) in
    (0..<8).reduce(entry) { crc, _ in crc & 1 == 1 ? 0xEDB8_8320 ^ (crc >> 1) : crc >> 1 }
}
