/// Everything that can go wrong while reading, validating or building a NumPy `.npy` array.
///
/// Offsets are byte offsets from the start of the file. Each `description` says what is wrong,
/// where, and what the user can do about it.
public enum NPYError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The input does not start with the `\x93NUMPY` magic string; `found` is the hex dump of its first bytes.
    case badMagic(found: String)
    /// The format version is not 1.0, 2.0 or 3.0.
    case unsupportedVersion(major: Int, minor: Int)
    /// The input ends before the header does: `needed` bytes are required, only `available` exist.
    case truncatedHeader(needed: Int, available: Int)
    /// The header length field announces `length` bytes, more than the configured `limit`.
    case headerTooLong(length: Int, limit: Int)
    /// The header text is not the dictionary literal the format prescribes.
    case malformedHeader(reason: String, offset: Int)
    /// The dtype descriptor names a type this reader does not handle (structured, object, string, complex...).
    case unsupportedDType(descr: String)
    /// The array has more dimensions than the reader accepts.
    case tooManyDimensions(count: Int, limit: Int)
    /// The shape's element count or byte size does not fit in a machine integer.
    case shapeOverflow(shape: String)
    /// A shape is invalid for another reason (for example a negative dimension).
    case invalidShape(shape: String, reason: String)
    /// The data section holds `actual` bytes where the header promises `expected`.
    case dataSizeMismatch(expected: Int, actual: Int)
    /// The array's data takes `bytes` bytes, more than the configured `limit`.
    case tooLarge(bytes: Int, limit: Int)

    /// A sentence saying what is wrong, where, and what to do about it.
    public var description: String {
        switch self {
        case .badMagic(let found):
            return "not a NumPy .npy file: it starts with bytes [\(found)] instead of the magic "
                + "\\x93NUMPY; write the array with numpy.save(path, array)"
        case .unsupportedVersion(let major, let minor):
            return "unsupported .npy format version \(major).\(minor) (byte 6-7); only versions 1.0, 2.0 "
                + "and 3.0 exist; write the array with numpy.save(path, array)"
        case .truncatedHeader(let needed, let available):
            return "truncated .npy header: the header needs \(needed) bytes but the file has only "
                + "\(available); the file was cut short, write it again with numpy.save(path, array)"
        case .headerTooLong(let length, let limit):
            return "the .npy header claims to be \(length) bytes long (length field at byte 8), more than "
                + "the limit of \(limit) bytes; the file is corrupt or not a plain array, write it again "
                + "with numpy.save(path, array)"
        case .malformedHeader(let reason, let offset):
            return "malformed .npy header at byte \(offset): \(reason); write the array with "
                + "numpy.save(path, array)"
        case .unsupportedDType(let descr):
            return "unsupported .npy dtype \(descr): only bool, int8-int64, uint8-uint64 and "
                + "float16/32/64 arrays are readable; convert to uint8 or float32 first, "
                + "for example numpy.save(path, array.astype(numpy.float32))"
        case .tooManyDimensions(let count, let limit):
            return "the array has \(count) dimensions, more than the supported \(limit); "
                + "reshape it to fewer dimensions before saving"
        case .shapeOverflow(let shape):
            return "the shape \(shape) describes more elements or bytes than fit in memory addresses; "
                + "the header is corrupt, write the array again with numpy.save(path, array)"
        case .invalidShape(let shape, let reason):
            return "invalid shape \(shape): \(reason)"
        case .dataSizeMismatch(let expected, let actual):
            let problem = actual < expected ? "truncated data" : "trailing data"
            return "\(problem): the header promises \(expected) data bytes but the file holds \(actual) "
                + "after the header; the file is damaged or still being written, save it again with "
                + "numpy.save(path, array)"
        case .tooLarge(let bytes, let limit):
            return "the array holds \(bytes) bytes of data, more than the limit of \(limit) bytes; "
                + "save a smaller array (crop, downsample, or convert to uint8) or raise the limit"
        }
    }
}
