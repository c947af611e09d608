import Dispatch
import Histogram
import Logging

/// What the agent filed since its last info line: counts by kind and outcome, and the filing
/// latencies' percentiles — logged at most every `interval` while filing, instead of a line per
/// file (those are at debug level).
struct FilingSummary {
    /// The longest time between two summary lines while files keep coming.
    static let intervalNanoseconds: UInt64 = 10_000_000_000

    private var window = FilingStatistics()
    /// Each handled file's filing latency in microseconds (the batch it was filed in).
    private var latencies = Self.histogram()
    /// When the window's first file was handled (uptime nanoseconds), nil while it is empty.
    private(set) var windowStart: UInt64?

    private static func histogram() -> Histogram<UInt64> {
        Histogram(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Counts a batch's outcomes (`FilingStatistics`), each file handled in `nanoseconds`, the
    /// batch's latency; deferrals and skips are not counted.
    mutating func record(_ batch: FilingStatistics, nanoseconds: UInt64) {
        guard batch.handled > 0 else { return }
        if windowStart == nil { windowStart = DispatchTime.now().uptimeNanoseconds }
        window.add(batch)
        latencies.record(nanoseconds / 1000, count: UInt64(batch.handled))
    }

    /// True once the window is `intervalNanoseconds` old.
    var isDue: Bool {
        guard let windowStart else { return false }
        return DispatchTime.now().uptimeNanoseconds - windowStart >= Self.intervalNanoseconds
    }

    /// Logs the window at info level (when it holds anything) and starts a new one.
    mutating func flush(to logger: Logger) {
        guard let windowStart else { return }
        let seconds = Double(DispatchTime.now().uptimeNanoseconds - windowStart) / 1e9
        logger.info(
            "filing",
            metadata: [
                "seconds": "\(Int(seconds.rounded()))",
                "filed": "\(window.totalFiled)",
                "image": "\(window.filed["image", default: 0])",
                "scalars": "\(window.filed["scalars", default: 0])",
                "config": "\(window.filed["config", default: 0])",
                "records": "\(window.records)", "rejected": "\(window.rejected)",
                "retries": "\(window.retried)",
                "latency-p50": "\(milliseconds(latencies.valueAtPercentile(50)))",
                "latency-p99": "\(milliseconds(latencies.valueAtPercentile(99)))",
                "latency-max": "\(milliseconds(latencies.max))",
            ])
        window = FilingStatistics()
        latencies = Self.histogram()
        self.windowStart = nil
    }

    private func milliseconds(_ microseconds: UInt64) -> String {
        FilingStatistics.milliseconds(nanoseconds: microseconds * 1000)
    }
}
