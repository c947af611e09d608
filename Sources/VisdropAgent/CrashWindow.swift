#if canImport(Glibc)
    import Glibc
#endif

/// Test support for the crash test: widens the moments between a batch's steps, so that random
/// SIGKILLs land inside batches often enough to exercise recovery.
///
/// `VISDROP_CRASH_WINDOW_MS=N` sleeps up to N ms (random) at each widened point; unset, it does
/// nothing. It changes timing only, never what is written or in which order.
enum CrashWindow {
    private static let maximumMicroseconds: UInt32 = {
        guard let text = getenv("VISDROP_CRASH_WINDOW_MS"), let milliseconds = UInt32(String(cString: text))
        else {
            return 0
        }
        return min(milliseconds, 1000) * 1000
    }()

    /// Sleeps a random moment when the crash test asked for it.
    static func widen() {
        let maximum = maximumMicroseconds
        if maximum > 0 { usleep(UInt32.random(in: 0...maximum)) }
    }
}
