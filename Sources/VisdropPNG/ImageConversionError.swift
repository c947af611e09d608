public import VisdropNPY

/// Why an array (or a set of samples) cannot become a ``PixelImage``.
public enum ImageConversionError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The array's element type has no image meaning (signed integers, uint32, uint64).
    case unsupportedElementType(NPYElementType, shape: [Int])
    /// The array's shape is not one of the accepted image shapes.
    case unsupportedShape([Int], elementType: NPYElementType)
    /// The image would have no pixels (a height or width of 0); `shape` is the array's shape.
    case emptyImage(shape: [Int])
    /// The image exceeds PNG's size limit or ``ImageConversion/maximumPixelCount``.
    case tooLarge(shape: [Int])
    /// The array's data does not hold `shape`'s element count times the element size.
    case dataSizeMismatch(
        shape: [Int], elementType: NPYElementType, expectedByteCount: Int?, actualByteCount: Int)
    /// The samples given to ``PixelImage`` do not match width × height × channels
    /// (`expected` is nil when that product overflows).
    case sampleCountMismatch(width: Int, height: Int, layout: PixelLayout, expected: Int?, actual: Int)

    /// What is wrong and what the user can do about it.
    public var description: String {
        switch self {
        case .unsupportedElementType(let elementType, let shape):
            return "cannot make an image from a \(elementType.numpyName) array of shape "
                + "\(NPYWriter.pythonTuple(shape)): accepted dtypes are bool, uint8, uint16 (16-bit PNG), "
                + "float16, float32 and float64 (values in [0, 1]); convert the array with "
                + "astype(np.uint8) or scale it to [0, 1] floats before dropping it"
        case .unsupportedShape(let shape, let elementType):
            return "cannot make an image from a \(elementType.numpyName) array of shape "
                + "\(NPYWriter.pythonTuple(shape)): accepted shapes are (H, W) or (H, W, 1) gray, (H, W, 3) RGB, "
                + "(H, W, 4) RGBA, and channel-first (C, H, W) with C = 1, 3 or 4; select a single "
                + "image out of a batch and drop or merge extra channels"
        case .emptyImage(let shape):
            return
                "an array of shape \(NPYWriter.pythonTuple(shape)) has no pixels: an image needs a height and "
                + "a width of at least 1"
        case .tooLarge(let shape):
            return
                "an array of shape \(NPYWriter.pythonTuple(shape)) is too large for an image: height and width "
                + "must be at most \(PixelImage.maximumDimension) and height × width at most "
                + "\(ImageConversion.maximumPixelCount) pixels; downscale or crop it"
        case .dataSizeMismatch(let shape, let elementType, let expected, let actual):
            let needed = expected.map { "\($0) bytes" } ?? "more bytes than fit in memory"
            return "a \(elementType.numpyName) array of shape \(NPYWriter.pythonTuple(shape)) needs "
                + "\(needed) of data but holds \(actual); the array is inconsistent"
        case .sampleCountMismatch(let width, let height, let layout, let expected, let actual):
            let needed = expected.map { "\($0) samples" } ?? "more samples than fit in memory"
            return "a \(width)x\(height) \(layout) image needs \(needed) but \(actual) were given"
        }
    }
}
