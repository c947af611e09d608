/// What the channels of a pixel mean, in PNG's order.
public enum PixelLayout: Int, Sendable, Hashable, CaseIterable, CustomStringConvertible {
    /// One channel: gray.
    case gray = 1
    /// Two channels: gray, alpha.
    case grayAlpha = 2
    /// Three channels: red, green, blue.
    case rgb = 3
    /// Four channels: red, green, blue, alpha.
    case rgba = 4

    /// The number of samples per pixel.
    public var channelCount: Int { rawValue }

    /// A short name such as `RGB`.
    public var description: String {
        switch self {
        case .gray: "gray"
        case .grayAlpha: "gray+alpha"
        case .rgb: "RGB"
        case .rgba: "RGBA"
        }
    }
}

/// The samples of an image, row by row and pixel by pixel, either 8 or 16 bits wide.
public enum PixelSamples: Sendable, Equatable {
    /// 8-bit samples.
    case eightBit([UInt8])
    /// 16-bit samples, as numbers (no byte order to worry about).
    case sixteenBit([UInt16])

    /// The number of samples.
    public var count: Int {
        switch self {
        case .eightBit(let samples): samples.count
        case .sixteenBit(let samples): samples.count
        }
    }

    /// The width of one sample in bits: 8 or 16.
    public var bitDepth: Int {
        switch self {
        case .eightBit: 8
        case .sixteenBit: 16
        }
    }
}

/// An image ready to be written as a PNG: width × height pixels, packed row by row.
public struct PixelImage: Sendable, Equatable {
    /// The largest width or height a PNG can declare (2^31 - 1).
    public static let maximumDimension = 0x7FFF_FFFF

    /// The number of pixels per row.
    public let width: Int
    /// The number of rows.
    public let height: Int
    /// What the channels of each pixel mean.
    public let layout: PixelLayout
    /// All samples, `width * height * layout.channelCount` of them.
    public let samples: PixelSamples

    /// The number of samples per pixel: 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    public var channels: Int { layout.channelCount }

    /// The width of one sample in bits: 8 or 16.
    public var bitDepth: Int { samples.bitDepth }

    /// Creates an image after checking that its size is valid for PNG and matches the samples.
    public init(width: Int, height: Int, layout: PixelLayout, samples: PixelSamples)
        throws(ImageConversionError)
    {
        let shape = [height, width, layout.channelCount]
        guard width > 0, height > 0 else {
            throw .emptyImage(shape: shape)
        }
        guard width <= Self.maximumDimension, height <= Self.maximumDimension else {
            throw .tooLarge(shape: shape)
        }
        let (pixels, pixelOverflow) = width.multipliedReportingOverflow(by: height)
        let (expected, sampleOverflow) = pixels.multipliedReportingOverflow(by: layout.channelCount)
        guard !pixelOverflow, !sampleOverflow, expected == samples.count else {
            throw .sampleCountMismatch(
                width: width, height: height, layout: layout,
                expected: pixelOverflow || sampleOverflow ? nil : expected, actual: samples.count)
        }
        self.width = width
        self.height = height
        self.layout = layout
        self.samples = samples
    }
}
