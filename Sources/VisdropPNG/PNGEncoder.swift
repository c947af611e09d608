internal import CPNGShim

/// Which PNG row filters libpng may use (it picks the best one per row when several are allowed).
public enum PNGFilter: Sendable, Hashable, CaseIterable {
    /// No filtering.
    case none
    /// Each byte minus the byte one pixel to the left (OpenCV's default, fast and effective).
    case sub
    /// Each byte minus the byte above.
    case up
    /// Each byte minus the average of left and above.
    case average
    /// Each byte minus the Paeth predictor of left, above and upper-left.
    case paeth
    /// All five filters, chosen per row by libpng's heuristic (libpng's own default; slower).
    case adaptive

    var libpngMask: Int32 {
        switch self {
        case .none: Int32(VISDROP_PNG_FILTER_NONE)
        case .sub: Int32(VISDROP_PNG_FILTER_SUB)
        case .up: Int32(VISDROP_PNG_FILTER_UP)
        case .average: Int32(VISDROP_PNG_FILTER_AVG)
        case .paeth: Int32(VISDROP_PNG_FILTER_PAETH)
        case .adaptive: Int32(VISDROP_PNG_FILTER_ALL)
        }
    }
}

/// How zlib searches for repetitions; only size and speed change, never the pixels.
public enum PNGCompressionStrategy: Sendable, Hashable, CaseIterable {
    /// zlib's general-purpose strategy.
    case standard
    /// Tuned for filtered data: more Huffman coding, less string matching.
    case filtered
    /// Huffman coding only, no string matching.
    case huffmanOnly
    /// Run-length matches only (distance 1): almost as fast as Huffman-only, good on PNG data.
    case runLength
    /// Fixed Huffman codes.
    case fixed

    var zlibValue: Int32 {
        switch self {
        case .standard: Int32(VISDROP_PNG_STRATEGY_DEFAULT)
        case .filtered: Int32(VISDROP_PNG_STRATEGY_FILTERED)
        case .huffmanOnly: Int32(VISDROP_PNG_STRATEGY_HUFFMAN_ONLY)
        case .runLength: Int32(VISDROP_PNG_STRATEGY_RLE)
        case .fixed: Int32(VISDROP_PNG_STRATEGY_FIXED)
        }
    }
}

/// Which code compresses the image data.
public enum PNGCompressor: Sendable, Hashable, CaseIterable {
    /// visdrop's own run-length deflate coder when the settings are OpenCV's kind (sub filter,
    /// run-length strategy, any level from 1), libpng and zlib otherwise.
    ///
    /// With Z_RLE, zlib writes the same stream at every level: literals and runs of the previous
    /// byte. visdrop's coder writes that kind of stream too, in blocks of the same size, and
    /// its files come out within a fraction of a percent of zlib's, several times faster.
    case automatic
    /// libpng and zlib, always.
    case libpng
}

/// Writes ``PixelImage`` values as PNG files in memory.
///
/// The defaults are OpenCV's `imwrite` defaults (zlib level 1, run-length strategy, sub filter),
/// which is what mmengine's `LocalVisBackend` uses: fast, and files of the same size. Those
/// settings are written by visdrop's own coder (see ``PNGCompressor``), all others by libpng.
public struct PNGEncoder: Sendable {
    /// zlib's compression level, 0 (store) to 9 (smallest, slowest).
    public let compressionLevel: Int
    /// The row filters libpng may use.
    public let filter: PNGFilter
    /// zlib's match-finding strategy.
    public let strategy: PNGCompressionStrategy
    /// Which code compresses the image data.
    public let compressor: PNGCompressor

    /// Creates an encoder; a `compressionLevel` outside 0...9 is clamped into it, as OpenCV does.
    public init(
        compressionLevel: Int = 1, filter: PNGFilter = .sub, strategy: PNGCompressionStrategy = .runLength,
        compressor: PNGCompressor = .automatic
    ) {
        self.compressionLevel = min(max(compressionLevel, 0), 9)
        self.filter = filter
        self.strategy = strategy
        self.compressor = compressor
    }

    /// Whether visdrop's own coder writes this encoder's images.
    public var usesRunLengthCoder: Bool {
        compressor == .automatic && filter == .sub && strategy == .runLength && compressionLevel >= 1
    }

    /// Returns the bytes of a PNG file holding `image`.
    public func encode(_ image: PixelImage) throws(PNGError) -> [UInt8] {
        let result: Result<[UInt8], PNGError>
        switch image.samples {
        case .eightBit(let samples):
            result = samples.withUnsafeBytes { encode(image, pixels: $0) }
        case .sixteenBit(let samples):
            result = samples.withUnsafeBytes { encode(image, pixels: $0) }
        }
        return try result.get()
    }

    /// The one call of `visdrop_png_encode`: the C buffer is copied out and freed before returning.
    private func encode(_ image: PixelImage, pixels: UnsafeRawBufferPointer) -> Result<[UInt8], PNGError> {
        let failure = { (message: String) in
            PNGError.encodingFailed(
                width: image.width, height: image.height, layout: image.layout, bitDepth: image.bitDepth,
                message: message)
        }
        // PixelImage guarantees 1 ... 2^31-1, so these conversions cannot fail.
        guard let width = UInt32(exactly: image.width), let height = UInt32(exactly: image.height) else {
            return .failure(failure("image size out of PNG's range"))
        }
        if usesRunLengthCoder {
            let channels = Int32(image.channels)
            let bitDepth = Int32(image.bitDepth)
            let bound = visdrop_png_encode_fast_bound(width, height, channels, bitDepth)
            if bound > 0, let capacity = Int(exactly: bound) {
                // Written in place: no second buffer, no copy.
                var status = Int32(VISDROP_PNG_INVALID_ARGUMENT)
                let png = [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
                    var written = 0
                    status = visdrop_png_encode_fast(
                        pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), pixels.count, width, height,
                        channels, bitDepth, buffer.baseAddress, buffer.count, &written)
                    count = status == Int32(VISDROP_PNG_OK) ? written : 0
                }
                if status == Int32(VISDROP_PNG_OK) { return .success(png) }
            }
            // Out of memory or out of its range: libpng tries, and explains if it fails too.
        }
        return withShimMessageBuffer { message, capacity, readMessage in
            var buffer = visdrop_png_buffer()
            defer { visdrop_png_buffer_free(&buffer) }
            let status = visdrop_png_encode(
                pixels.baseAddress?.assumingMemoryBound(to: UInt8.self), pixels.count, width, height,
                Int32(image.channels), Int32(image.bitDepth), Int32(compressionLevel), strategy.zlibValue,
                filter.libpngMask, &buffer, message, capacity)
            guard status == Int32(VISDROP_PNG_OK), let bytes = buffer.bytes else {
                return .failure(failure(readMessage()))
            }
            return .success(Array(UnsafeBufferPointer(start: bytes, count: buffer.length)))
        }
    }
}
