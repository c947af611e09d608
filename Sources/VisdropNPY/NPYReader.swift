/// Reads NumPy `.npy` files (format versions 1.0, 2.0 and 3.0) without evaluating their headers.
///
/// Data comes back normalized to little-endian C order (see `NPYArray`). The reader never allocates
/// more than the input's size and enforces `limits` before copying any data.
public struct NPYReader: Sendable {
    /// The limits applied to every file read.
    public let limits: NPYLimits

    /// Creates a reader enforcing `limits`.
    public init(limits: NPYLimits = .init()) {
        self.limits = limits
    }

    /// Parses and validates the header at the start of `bytes`; the data section need not be present.
    public func readHeader(_ bytes: [UInt8]) throws(NPYError) -> NPYHeader {
        try NPYHeader.parse(bytes, limits: limits)
    }

    /// Reads a complete `.npy` file held in `bytes`.
    public func read(_ bytes: [UInt8]) throws(NPYError) -> NPYArray {
        let header = try readHeader(bytes)
        try checkDataSize(header, fileSize: bytes.count)
        let data = bytes.withUnsafeBytes { raw in
            NPYLayoutConverter.normalize(
                UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...]), elementType: header.elementType,
                shape: header.shape, isFortranOrder: header.isFortranOrder, isBigEndian: header.isBigEndian)
        }
        return NPYArray(normalizedElementType: header.elementType, shape: header.shape, data: data)
    }

    /// Builds the array from a header (`readHeader`) and the data section read separately.
    ///
    /// `data` must hold exactly `header.dataByteCount` bytes; when it is already little-endian and in
    /// C order it becomes the array's storage without a copy, so a caller that reads the data section
    /// straight into `data` holds the array's bytes only once.
    public func read(header: NPYHeader, data: [UInt8]) throws(NPYError) -> NPYArray {
        guard data.count == header.dataByteCount else {
            throw .dataSizeMismatch(expected: header.dataByteCount, actual: data.count)
        }
        guard header.dataByteCount <= limits.maximumDataBytes else {
            throw .tooLarge(bytes: header.dataByteCount, limit: limits.maximumDataBytes)
        }
        let normalized = NPYLayoutConverter.normalize(
            owned: data, elementType: header.elementType, shape: header.shape,
            isFortranOrder: header.isFortranOrder, isBigEndian: header.isBigEndian)
        return NPYArray(normalizedElementType: header.elementType, shape: header.shape, data: normalized)
    }

    /// Checks that a file of `fileSize` bytes holds exactly the data `header` promises, within limits.
    ///
    /// With `readHeader` on the first bytes of a file, this refuses an inconsistent or oversized file
    /// before its data is read.
    public func checkDataSize(_ header: NPYHeader, fileSize: Int) throws(NPYError) {
        let available = fileSize - header.dataOffset
        guard available == header.dataByteCount else {
            throw .dataSizeMismatch(expected: header.dataByteCount, actual: available)
        }
        guard header.dataByteCount <= limits.maximumDataBytes else {
            throw .tooLarge(bytes: header.dataByteCount, limit: limits.maximumDataBytes)
        }
    }
}
