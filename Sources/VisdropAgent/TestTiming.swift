import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Test support: widens chosen moments of the agent's work so that a test can act inside them.
/// Each knob changes timing only, never what is written or in which order; unset, it does nothing.
///
/// - `VISDROP_CRASH_WINDOW_MS=N` sleeps up to N ms (random) between a batch's steps, so that the
///   crash test's random SIGKILLs land inside batches often enough to exercise recovery.
/// - `VISDROP_TEST_CLAIM_DELAY_MS=N` sleeps N ms between a file's read and its claim, and says so
///   at debug level first, so that a test can replace the file in that moment.
enum TestTiming {
    private static func microseconds(_ variable: String) -> UInt32 {
        guard let text = getenv(variable), let milliseconds = UInt32(String(cString: text)) else { return 0 }
        return min(milliseconds, 10_000) * 1000
    }

    private static let crashWindowMicroseconds = min(microseconds("VISDROP_CRASH_WINDOW_MS"), 1_000_000)
    private static let claimDelayMicroseconds = microseconds("VISDROP_TEST_CLAIM_DELAY_MS")

    /// Sleeps a random moment when the crash test asked for it.
    static func widenCrashWindow() {
        let maximum = crashWindowMicroseconds
        if maximum > 0 { usleep(UInt32.random(in: 0...maximum)) }
    }

    /// Sleeps between the read of `file` and its claim when a test asked for it.
    static func pauseBeforeClaim(_ file: @autoclosure () -> String, logger: Logger) {
        let pause = claimDelayMicroseconds
        guard pause > 0 else { return }
        logger.debug(
            "pausing before the claim (VISDROP_TEST_CLAIM_DELAY_MS)", metadata: ["file": "\(file())"])
        usleep(pause)
    }
}
