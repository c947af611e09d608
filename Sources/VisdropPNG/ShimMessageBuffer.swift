/// Runs `body` with a zeroed buffer (pointer and capacity) for a CPNGShim error message, and a
/// function that reads the message back once the shim has written it.
func withShimMessageBuffer<Success>(
    _ body: (UnsafeMutablePointer<CChar>?, Int, () -> String) -> Result<Success, PNGError>
) -> Result<Success, PNGError> {
    withUnsafeTemporaryAllocation(of: CChar.self, capacity: 512) { storage in
        storage.initialize(repeating: 0)
        return body(storage.baseAddress, storage.count) {
            String(decoding: storage.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
