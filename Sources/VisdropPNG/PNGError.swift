/// Why an image could not be written as a PNG, or bytes could not be read as one.
public enum PNGError: Error, CustomStringConvertible, Sendable, Equatable {
    /// libpng (or the shim around it) refused to encode the image; `message` is its explanation.
    case encodingFailed(width: Int, height: Int, layout: PixelLayout, bitDepth: Int, message: String)
    /// The bytes are not a complete, valid PNG; `message` is libpng's explanation.
    case decodingFailed(byteCount: Int, message: String)

    /// What is wrong and what the user can do about it.
    public var description: String {
        switch self {
        case .encodingFailed(let width, let height, let layout, let bitDepth, let message):
            return "could not encode a \(width)x\(height) \(bitDepth)-bit \(layout) image as PNG: "
                + "\(message); the image itself is valid, so this usually means memory ran out"
        case .decodingFailed(let byteCount, let message):
            return "could not decode \(byteCount) bytes as PNG: \(message); the data is not a "
                + "complete, uncorrupted PNG file"
        }
    }
}
