import CoreMetrics
import Foundation

/// The agent's metrics, recorded through the swift-metrics facade: nothing is kept unless the
/// executable bootstrapped a backend (`watch --serve` bootstraps Prometheus for `GET /metrics`).
///
/// The handles are made on first use, after the bootstrap, once per label and kind.
public enum AgentMetrics {
    /// The filing latency histogram's name, for a backend's bucket settings.
    public static let filingDurationLabel = "visdrop_filing_duration_seconds"

    private static let kinds = ["image", "scalars", "config", "wip", "unknown"]
    private static let filed = Dictionary(
        uniqueKeysWithValues: kinds.map {
            ($0, Counter(label: "visdrop_files_filed_total", dimensions: [("kind", $0)]))
        })
    private static let rejected = Dictionary(
        uniqueKeysWithValues: kinds.map {
            ($0, Counter(label: "visdrop_files_rejected_total", dimensions: [("kind", $0)]))
        })
    private static let records = Counter(label: "visdrop_records_total")
    private static let retries = Counter(label: "visdrop_retries_total")
    private static let batches = Counter(label: "visdrop_batches_total")
    private static let pending = Gauge(label: "visdrop_queue_depth")
    private static let watched = Gauge(label: "visdrop_folders_watched")
    private static let polled = Gauge(label: "visdrop_folders_polled")
    private static let lastFiled = Gauge(label: "visdrop_last_filed_timestamp_seconds")
    private static let latency = Timer(label: filingDurationLabel)

    /// One file's outcome and how long its batch took.
    static func record(_ outcome: FilingOutcome, nanoseconds: UInt64) {
        switch outcome {
        case .filed(let kind, _, let count):
            filed[kind.label]?.increment()
            if count > 0 { records.increment(by: count) }
            lastFiled.record(Date().timeIntervalSince1970)
        case .rejected(let kind, _): rejected[kind.label]?.increment()
        case .retry: retries.increment()
        case .skipped, .deferred: return
        }
        latency.recordNanoseconds(Int64(clamping: nanoseconds))
    }

    /// A batch was filed.
    static func batchFiled() {
        batches.increment()
    }

    /// How many files the filer has seen and is waiting on (quiet time, a writer, a retry).
    static func pendingFiles(_ count: Int) {
        pending.record(count)
    }

    /// The folders inotify watches now (one watch each).
    static func foldersWatched(_ count: Int) {
        watched.record(count)
    }

    /// The folders polled now: each folder handed to the poller, with everything below it.
    static func foldersPolled(_ count: Int) {
        polled.record(count)
    }
}
