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

    /// A batch's outcomes (`FilingStatistics`) and how long it took, once per batch; files set
    /// aside are counted by kind as they are logged (`rejected(kind:)`).
    static func record(_ batch: FilingStatistics, nanoseconds: UInt64) {
        guard batch.handled > 0 else { return }
        for (kind, count) in [
            ("image", batch.filedImages), ("scalars", batch.filedScalars), ("config", batch.filedConfigs),
        ] where count > 0 {
            filed[kind]?.increment(by: count)
        }
        if batch.records > 0 { records.increment(by: batch.records) }
        if batch.retried > 0 { retries.increment(by: batch.retried) }
        if batch.totalFiled > 0 { lastFiled.record(Date().timeIntervalSince1970) }
        for _ in 0..<batch.handled { latency.recordNanoseconds(Int64(clamping: nanoseconds)) }
    }

    /// A file of `kind` was set aside.
    static func rejected(kind: DropKind) {
        rejected[kind.label]?.increment()
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
