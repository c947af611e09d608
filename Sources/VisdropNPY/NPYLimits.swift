/// Resource limits applied while reading, so hostile or corrupt files fail early and cheaply.
public struct NPYLimits: Sendable, Hashable {
    /// The largest header length (the length field, in bytes) accepted. numpy itself refuses 10,000+.
    public var maximumHeaderLength: Int
    /// The largest data section, in bytes, accepted.
    public var maximumDataBytes: Int
    /// The largest number of dimensions accepted (numpy allows 64).
    public var maximumDimensions: Int

    /// Limits with defaults of 64 KiB of header, 1 GiB of data and 32 dimensions.
    public init(
        maximumHeaderLength: Int = 64 * 1024,
        maximumDataBytes: Int = 1 << 30,
        maximumDimensions: Int = 32
    ) {
        self.maximumHeaderLength = maximumHeaderLength
        self.maximumDataBytes = maximumDataBytes
        self.maximumDimensions = maximumDimensions
    }
}
