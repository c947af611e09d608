public import VisdropNPY

/// Turns a numpy array into a ``PixelImage``, following the conventions of mmengine and torchvision.
///
/// Accepted shapes: `(H, W)` and `(H, W, 1)` gray, `(H, W, 3)` RGB, `(H, W, 4)` RGBA, and
/// channel-first `(C, H, W)` with `C` in {1, 3, 4} when the last dimension is not in {1, 3, 4}
/// (it is transposed to height × width × channels).
///
/// Accepted element types:
/// - `uint8`: samples as they are;
/// - `bool`: `False` → 0, `True` → 255;
/// - `uint16`: a 16-bit PNG with the same values;
/// - `float16`, `float32`, `float64`: torchvision's `save_image` formula
///   `x.mul(255).add_(0.5).clamp_(0, 255).to(torch.uint8)`, evaluated in the array's own
///   precision, with NaN → 0.
public enum ImageConversion {
    /// The largest number of pixels (height × width) an image may have: 2^28.
    public static let maximumPixelCount = 1 << 28

    /// Converts `array` to an image, or explains which shapes and element types are accepted.
    public static func pixelImage(from array: NPYArray) throws(ImageConversionError) -> PixelImage {
        let geometry = try ImageGeometry(array: array)
        let samples: PixelSamples
        switch array.elementType {
        case .uint8:
            samples = .eightBit(
                geometry.isChannelFirst ? mapSamples(ByteSamples(), of: array.data, geometry) : array.data)
        case .bool:
            samples = .eightBit(mapSamples(BoolSamples(), of: array.data, geometry))
        case .uint16:
            samples = .sixteenBit(mapSamples(UInt16Samples(), of: array.data, geometry))
        case .float16:
            samples = .eightBit(
                float16ByteTable.withUnsafeBufferPointer { table in
                    mapSamples(Float16Samples(table: table), of: array.data, geometry)
                })
        case .float32:
            samples = .eightBit(mapSamples(Float32Samples(), of: array.data, geometry))
        case .float64:
            samples = .eightBit(mapSamples(Float64Samples(), of: array.data, geometry))
        case .int8, .int16, .int32, .int64, .uint32, .uint64:
            throw .unsupportedElementType(array.elementType, shape: array.shape)
        }
        return try PixelImage(
            width: geometry.width, height: geometry.height, layout: geometry.layout, samples: samples)
    }
}

/// How an array's dimensions map to an image, validated against its element type and data size.
struct ImageGeometry {
    let height: Int
    let width: Int
    let layout: PixelLayout
    /// The array is `(C, H, W)` and must be transposed to `(H, W, C)`.
    let isChannelFirst: Bool

    var sampleCount: Int { height * width * layout.channelCount }

    init(array: NPYArray) throws(ImageConversionError) {
        try self.init(shape: array.shape, elementType: array.elementType, dataByteCount: array.data.count)
    }

    /// Checks a shape, element type and data size; NPYArray already guarantees the data size,
    /// so the last check is a defence that only direct callers (the tests) can reach.
    init(shape: [Int], elementType: NPYElementType, dataByteCount: Int) throws(ImageConversionError) {
        guard let elementByteCount = imageElementByteCount(elementType) else {
            throw .unsupportedElementType(elementType, shape: shape)
        }
        guard shape.count == 2 || shape.count == 3, shape.allSatisfy({ $0 >= 0 }) else {
            throw .unsupportedShape(shape, elementType: elementType)
        }
        guard !shape.contains(0) else {
            throw .emptyImage(shape: shape)
        }
        let channelCounts: Set<Int> = [1, 3, 4]
        let channels: Int
        if shape.count == 2 {
            (height, width, channels, isChannelFirst) = (shape[0], shape[1], 1, false)
        } else if channelCounts.contains(shape[2]) {
            (height, width, channels, isChannelFirst) = (shape[0], shape[1], shape[2], false)
        } else if channelCounts.contains(shape[0]) {
            (height, width, channels, isChannelFirst) = (shape[1], shape[2], shape[0], true)
        } else {
            throw .unsupportedShape(shape, elementType: elementType)
        }
        guard let layout = PixelLayout(rawValue: channels) else {
            throw .unsupportedShape(shape, elementType: elementType)
        }
        self.layout = layout
        guard height <= PixelImage.maximumDimension, width <= PixelImage.maximumDimension else {
            throw .tooLarge(shape: shape)
        }
        let (pixelCount, pixelOverflow) = height.multipliedReportingOverflow(by: width)
        guard !pixelOverflow, pixelCount <= ImageConversion.maximumPixelCount else {
            throw .tooLarge(shape: shape)
        }
        // At most 2^28 pixels × 4 channels × 8 bytes: no overflow below.
        let expectedByteCount = pixelCount * channels * elementByteCount
        guard dataByteCount == expectedByteCount else {
            throw .dataSizeMismatch(
                shape: shape, elementType: elementType, expectedByteCount: expectedByteCount,
                actualByteCount: dataByteCount)
        }
    }
}

/// The size in bytes of one element of a type that can become an image, or nil for other types.
private func imageElementByteCount(_ elementType: NPYElementType) -> Int? {
    switch elementType {
    case .bool, .uint8: 1
    case .uint16, .float16: 2
    case .float32: 4
    case .float64: 8
    case .int8, .int16, .int32, .int64, .uint32, .uint64: nil
    }
}
