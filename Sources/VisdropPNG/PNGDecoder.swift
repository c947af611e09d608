internal import CPNGShim

/// Reads PNG files held in memory, through libpng.
///
/// Palette images come out as RGB (RGBA when they carry transparency), gray images of fewer
/// than 8 bits as 8-bit gray; every other image keeps its channels and bit depth. Chunks other than
/// IHDR, PLTE, tRNS, IDAT and IEND (text, color profiles, gamma, ...) are skipped unread.
public enum PNGDecoder {
    /// Decodes a complete PNG file, or throws libpng's reason for rejecting it.
    public static func decode(_ bytes: [UInt8]) throws(PNGError) -> PixelImage {
        try bytes.withUnsafeBufferPointer { decode($0) }.get()
    }

    /// The one call of `visdrop_png_decode`: the C pixels are copied out and freed before returning.
    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<PixelImage, PNGError> {
        let failure = { (message: String) in PNGError.decodingFailed(byteCount: bytes.count, message: message)
        }
        return withShimMessageBuffer { message, capacity, readMessage in
            var image = visdrop_png_image()
            defer { visdrop_png_image_free(&image) }
            let status = visdrop_png_decode(bytes.baseAddress, bytes.count, &image, message, capacity)
            guard status == Int32(VISDROP_PNG_OK), let pixels = image.pixels else {
                return .failure(failure(readMessage()))
            }
            guard let layout = PixelLayout(rawValue: Int(image.channels)) else {
                return .failure(failure("unexpected channel count \(image.channels)"))
            }
            let samples: PixelSamples
            switch image.bit_depth {
            case 8:
                samples = .eightBit(Array(UnsafeBufferPointer(start: pixels, count: image.byte_count)))
            case 16:
                let count = image.byte_count / 2
                samples = .sixteenBit(
                    [UInt16](unsafeUninitializedCapacity: count) { output, initializedCount in
                        UnsafeMutableRawBufferPointer(output).copyMemory(
                            from: UnsafeRawBufferPointer(start: pixels, count: count * 2))
                        initializedCount = count
                    })
            default:
                return .failure(failure("unexpected bit depth \(image.bit_depth)"))
            }
            do throws(ImageConversionError) {
                return .success(
                    try PixelImage(
                        width: Int(image.width), height: Int(image.height), layout: layout, samples: samples))
            } catch {
                return .failure(failure(error.description))
            }
        }
    }
}
