package import VisdropFileSystem
public import VisdropPNG

/// How a `LocalVisBackend` writes its files.
public struct LocalVisBackendOptions: Sendable {
    /// Flush every file to disk before a call returns (the agent needs this; mmengine does not).
    public var durable: Bool
    /// The PNG encoder (zlib level and filters).
    public var pngEncoder: PNGEncoder
    /// Where images may be written into finished files instead of new ones (the agent's trash;
    /// see `FileRecycler`).
    package var fileRecycler: (any FileRecycler)?

    /// Creates options; by default nothing is flushed and PNGs use the encoder's defaults.
    public init(durable: Bool = false, pngEncoder: PNGEncoder = PNGEncoder()) {
        self.durable = durable
        self.pngEncoder = pngEncoder
    }
}
