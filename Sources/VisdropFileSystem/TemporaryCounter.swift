import Synchronization

/// A process-wide counter that makes temporary file names unique across threads.
final class TemporaryCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    /// The next number, never returned before in this process.
    func next() -> UInt64 {
        value.wrappingAdd(1, ordering: .relaxed).newValue
    }
}
