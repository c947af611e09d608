/// Counts and latencies of the files an agent run has handled, for its log lines and summary.
public struct FilingStatistics: Sendable, Equatable {
    /// Files filed, by kind label (image, config, scalars).
    public var filed: [String: Int] {
        ["image": filedImages, "scalars": filedScalars, "config": filedConfigs]
    }
    /// The counts behind `filed`: counted per file without hashing a label.
    private(set) var filedImages = 0
    private(set) var filedScalars = 0
    private(set) var filedConfigs = 0
    /// Scalar records appended.
    public private(set) var records = 0
    /// Files set aside in `.rejected`.
    public private(set) var rejected = 0
    /// Files kept for a retry because the output could not be written.
    public private(set) var retried = 0
    /// Files `ingest` left in the drop folder because a writer still had them open.
    public internal(set) var stillBeingWritten = 0
    /// The slowest filing, in nanoseconds.
    public private(set) var maximumNanoseconds: UInt64 = 0
    private var totalNanoseconds: UInt64 = 0

    /// Creates empty statistics.
    public init() {}

    /// All files filed, whatever their kind.
    public var totalFiled: Int { filedImages + filedScalars + filedConfigs }

    /// Files filed, set aside or kept for a retry: those a latency was recorded for.
    var handled: Int { totalFiled + rejected + retried }

    mutating func record(_ outcome: FilingOutcome, nanoseconds: UInt64) {
        switch outcome {
        case .filed(let kind, _, let count):
            switch kind {
            case .image: filedImages += 1
            case .scalars: filedScalars += 1
            case .config: filedConfigs += 1
            case .workInProgress, .unknown: break  // Never filed.
            }
            records += count
        case .rejected: rejected += 1
        case .retry: retried += 1
        case .skipped, .deferred: return
        }
        totalNanoseconds += nanoseconds
        maximumNanoseconds = max(maximumNanoseconds, nanoseconds)
    }

    /// Adds what `other` counted (a batch's outcomes, added once per batch).
    mutating func add(_ other: FilingStatistics) {
        filedImages += other.filedImages
        filedScalars += other.filedScalars
        filedConfigs += other.filedConfigs
        records += other.records
        rejected += other.rejected
        retried += other.retried
        stillBeingWritten += other.stillBeingWritten
        totalNanoseconds += other.totalNanoseconds
        maximumNanoseconds = max(maximumNanoseconds, other.maximumNanoseconds)
    }

    /// One line: files filed by kind, records, rejected, retries and the mean and worst latency.
    public var summary: String {
        let mean = handled == 0 ? 0 : Double(totalNanoseconds) / Double(handled) / 1e6
        let kinds = ["image", "scalars", "config"].map { "\($0)=\(filed[$0, default: 0])" }.joined(
            separator: " ")
        return
            "filed \(totalFiled) (\(kinds)), records \(records), rejected \(rejected), retries \(retried), "
            + (stillBeingWritten > 0 ? "left open by a writer \(stillBeingWritten), " : "")
            + "latency mean \(Self.milliseconds(mean)) max \(Self.milliseconds(nanoseconds: maximumNanoseconds))"
    }

    /// `nanoseconds` as milliseconds with two decimals, e.g. `3.66 ms`.
    static func milliseconds(nanoseconds: UInt64) -> String {
        milliseconds(Double(nanoseconds) / 1e6)
    }

    static func milliseconds(_ value: Double) -> String {
        let hundredths = (value * 100).rounded()
        return "\(Int(hundredths) / 100).\(String(Int(hundredths) % 100).leftPadded(to: 2)) ms"
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
