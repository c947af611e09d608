import Histogram

#if canImport(Glibc)
    import Glibc
#endif

/// Collects every round's measurements and prints them as Markdown tables.
struct BenchReport {
    /// CPU used by an agent left idle for `idleSeconds`.
    struct Idle {
        var ticks: Int
        var nanoseconds: UInt64
        var contextSwitches: Int
    }

    let workloads: [Workload]
    let lone: Workload
    let rounds: Int
    let idleSeconds: Int
    let visdropArguments: [String]
    var loadBefore = ""
    var loadAfter = ""
    var peerVersions = ""
    private var results: [String: [BenchAgent.Side: [RunResult]]] = [:]
    private var idle: [BenchAgent.Side: [Idle]] = [:]
    private var lifetimePeak: [BenchAgent.Side: Int] = [:]

    init(workloads: [Workload], lone: Workload, rounds: Int, idleSeconds: Int, visdropArguments: [String]) {
        self.workloads = workloads
        self.lone = lone
        self.rounds = rounds
        self.idleSeconds = idleSeconds
        self.visdropArguments = visdropArguments
    }

    mutating func add(workload: Workload, side: BenchAgent.Side, _ result: RunResult) {
        results[workload.label, default: [:]][side, default: []].append(result)
    }

    mutating func addIdle(side: BenchAgent.Side, _ measurement: Idle) {
        idle[side, default: []].append(measurement)
    }

    mutating func addLifetimePeak(side: BenchAgent.Side, bytes: Int) {
        lifetimePeak[side] = max(lifetimePeak[side] ?? 0, bytes)
    }

    // MARK: - Aggregates

    private func runs(_ workload: Workload, _ side: BenchAgent.Side) -> [RunResult] {
        results[workload.label]?[side] ?? []
    }

    private func medianRate(_ workload: Workload, _ side: BenchAgent.Side) -> Double {
        Bench.median(runs(workload, side).map(\.rate))
    }

    private func mergedLatency(_ workload: Workload, _ side: BenchAgent.Side) -> Histogram<UInt64> {
        var merged = DropRun.histogram()
        for run in runs(workload, side) { merged.add(run.latency) }
        return merged
    }

    private func milliseconds(_ histogram: Histogram<UInt64>, _ percentile: Double) -> Double {
        guard histogram.totalCount > 0 else { return .nan }
        let microseconds = percentile >= 100 ? histogram.max : histogram.valueAtPercentile(percentile)
        return Double(microseconds) / 1000
    }

    private func peakBytes(_ workload: Workload, _ side: BenchAgent.Side) -> Int {
        runs(workload, side).map(\.peakResidentBytes).max() ?? 0
    }

    private func averageOutputBytes(_ workload: Workload, _ side: BenchAgent.Side) -> Double {
        let all = runs(workload, side)
        let files = all.reduce(0) { $0 + $1.units }
        return files == 0 ? .nan : Double(all.reduce(0) { $0 + $1.outputBytes }) / Double(files)
    }

    // MARK: - Markdown

    func markdown() -> String {
        var lines: [String] = []
        lines.append("### visdrop vs. a Python watchdog + OpenCV agent")
        lines.append("")
        lines.append(
            "Medians of \(rounds) round\(rounds == 1 ? "" : "s") (A B A B: each workload on visdrop, then on the peer); "
                + "ratios are visdrop/peer.")
        lines.append("")
        lines.append("| measure | unit | visdrop | peer | visdrop/peer | target | met |")
        lines.append("|---|---|--:|--:|--:|---|:-:|")
        for workload in workloads {
            let ours = medianRate(workload, .visdrop)
            let theirs = medianRate(workload, .peer)
            let ratio = ours / theirs
            let target: Double = workload.isImage ? 2 : 10
            lines.append(
                row(
                    "\(workload.label), \(workload.files) files", workload.unit, Bench.rate(ours),
                    Bench.rate(theirs), "\(Bench.fixed(ratio, 2))×", "≥ \(Int(target))×", ratio >= target))
        }
        let ourLone = mergedLatency(lone, .visdrop)
        let theirLone = mergedLatency(lone, .peer)
        for (name, percentile) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
            let ours = milliseconds(ourLone, percentile)
            let theirs = milliseconds(theirLone, percentile)
            let isTarget = percentile == 99
            lines.append(
                row(
                    "latency of a lone scalar file, rename → line in scalars.json, \(name)", "ms",
                    Bench.fixed(ours, 2), Bench.fixed(theirs, 2), Bench.fixed(ours / theirs, 2) + "×",
                    isTarget ? "< 5 ms" : "", isTarget ? ours < 5 : nil))
        }
        let ourIdle = idle[.visdrop] ?? []
        let theirIdle = idle[.peer] ?? []
        let ourIdleTicks = ourIdle.map(\.ticks).max() ?? 0
        // "Not measurable": under 0.01% of one processor (0.1 ms per second), which `top` and
        // `ps` show as 0.0 — no polling, at most a runtime's rare housekeeping wake-up.
        let ourIdleNanoseconds = ourIdle.map(\.nanoseconds).max() ?? 0
        lines.append(
            row(
                "CPU used by the idle agent over \(idleSeconds) s (worst round)", "ms",
                Bench.fixed(Double(ourIdleNanoseconds) / 1e6, 3),
                Bench.fixed(Double(theirIdle.map(\.nanoseconds).max() ?? 0) / 1e6, 3), "",
                "< 0.01% of a core (\(Bench.fixed(Double(idleSeconds) / 10, 1)) ms)",
                ourIdleNanoseconds < UInt64(idleSeconds) * 100_000))
        lines.append(
            row(
                "… each round", "ms",
                ourIdle.map { Bench.fixed(Double($0.nanoseconds) / 1e6, 3) }.joined(separator: ", "),
                theirIdle.map { Bench.fixed(Double($0.nanoseconds) / 1e6, 3) }.joined(separator: ", "),
                "", "", nil))
        lines.append(
            row(
                "… in clock ticks (1/\(sysconf(Int32(_SC_CLK_TCK))) s, /proc/PID/stat; a running total "
                    + "rounded down, so any CPU at all can step it by one)", "ticks",
                "\(ourIdleTicks)", "\(theirIdle.map(\.ticks).max() ?? 0)", "", "", nil))
        lines.append(
            row(
                "… wake-ups (context switches, all threads)", "count",
                "\(ourIdle.map(\.contextSwitches).max() ?? 0)",
                "\(theirIdle.map(\.contextSwitches).max() ?? 0)",
                "", "", nil))
        if let largest = workloads.last(where: \.isImage) {
            let ours = Double(peakBytes(largest, .visdrop)) / 1e6
            let theirs = Double(peakBytes(largest, .peer)) / 1e6
            lines.append(
                row(
                    "peak RSS (VmHWM) while filing \(largest.label.replacingImages())", "MB",
                    Bench.fixed(ours, 1), Bench.fixed(theirs, 1), Bench.fixed(ours / theirs, 2) + "×",
                    "< 50 MB",
                    ours < 50))
        }
        lines.append(
            row(
                "peak RSS over the whole round", "MB",
                Bench.fixed(Double(lifetimePeak[.visdrop] ?? 0) / 1e6, 1),
                Bench.fixed(Double(lifetimePeak[.peer] ?? 0) / 1e6, 1), "", "", nil))
        for workload in workloads where workload.isImage {
            let ours = averageOutputBytes(workload, .visdrop)
            let theirs = averageOutputBytes(workload, .peer)
            let ratio = ours / theirs
            lines.append(
                row(
                    "PNG size, \(workload.label.replacingImages()) (peer: cv2.imwrite defaults)", "bytes",
                    Bench.grouped(Int(ours.rounded())), Bench.grouped(Int(theirs.rounded())),
                    Bench.fixed(ratio, 3) + "×", "≤ 1.10×", ratio <= 1.10))
        }

        lines.append("")
        lines.append("Latency under load (rename → output visible, every file of every round, ms):")
        lines.append("")
        lines.append("| workload | visdrop p50 | p99 | max | peer p50 | p99 | max |")
        lines.append("|---|--:|--:|--:|--:|--:|--:|")
        for workload in workloads {
            let ours = mergedLatency(workload, .visdrop)
            let theirs = mergedLatency(workload, .peer)
            let cells = [ours, theirs].flatMap { histogram in
                [50.0, 99, 100].map { Bench.fixed(milliseconds(histogram, $0), 1) }
            }
            lines.append("| \(workload.label) | " + cells.joined(separator: " | ") + " |")
        }

        lines.append("")
        lines.append(
            "CPU the agent used per file (all threads, from /proc/PID/task/*/schedstat; median over rounds, ms). "
                + "Unlike rates, this hardly depends on what else the machine runs:")
        lines.append("")
        lines.append("| workload | visdrop | peer | visdrop/peer |")
        lines.append("|---|--:|--:|--:|")
        for workload in workloads + [lone] {
            let ours = Bench.median(
                runs(workload, .visdrop).map { Double($0.cpuNanoseconds) / Double(workload.files) })
            let theirs = Bench.median(
                runs(workload, .peer).map { Double($0.cpuNanoseconds) / Double(workload.files) })
            lines.append(
                "| \(workload.label) | \(Bench.fixed(ours / 1e6, 3)) | \(Bench.fixed(theirs / 1e6, 3)) | "
                    + "\(Bench.fixed(ours / theirs, 2))× |")
        }

        lines.append("")
        lines.append("Every round (visdrop / peer, in the unit above):")
        lines.append("")
        lines.append("| workload | " + (1...rounds).map { "round \($0)" }.joined(separator: " | ") + " |")
        lines.append("|---|" + String(repeating: "--:|", count: rounds))
        for workload in workloads {
            let ours = runs(workload, .visdrop)
            let theirs = runs(workload, .peer)
            let cells = zip(ours, theirs).map { "\(Bench.rate($0.rate)) / \(Bench.rate($1.rate))" }
            lines.append("| \(workload.label) | " + cells.joined(separator: " | ") + " |")
        }
        let unobserved = results.values.flatMap { $0.values.flatMap { $0 } }.reduce(0) { $0 + $1.unobserved }
        lines.append("")
        lines.append("Machine: \(Self.machine()). Load average before: \(loadBefore); after: \(loadAfter).")
        lines.append(
            "visdrop: `visdrop watch` with \(visdropArguments.isEmpty ? "its default options" : "`\(visdropArguments.joined(separator: " "))`"); "
                + "peer: `bench/peer.py` (\(peerVersions)).")
        if unobserved > 0 {
            lines.append(
                "\(unobserved) files had no latency sample (inotify queue overflow; completion was checked by listing)."
            )
        }
        return lines.joined(separator: "\n") + "\n"
    }

    private func row(
        _ measure: String, _ unit: String, _ ours: String, _ theirs: String, _ ratio: String,
        _ target: String,
        _ met: Bool?
    ) -> String {
        let mark = met.map { $0 ? "yes" : "**no**" } ?? ""
        return "| \(measure) | \(unit) | \(ours) | \(theirs) | \(ratio) | \(target) | \(mark) |"
    }

    // MARK: - The machine

    static func loadAverage() -> String {
        let text = String(decoding: Bench.readFile("/proc/loadavg") ?? [], as: UTF8.self)
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    static func machine() -> String {
        let cpuinfo = String(decoding: Bench.readFile("/proc/cpuinfo") ?? [], as: UTF8.self)
        let model =
            cpuinfo.split(separator: "\n").first { $0.hasPrefix("model name") }
            .flatMap { $0.split(separator: ":", maxSplits: 1).last }
            .map { $0.trimmingPrefix(" ") }.map(String.init) ?? "unknown CPU"
        let cores = sysconf(Int32(_SC_NPROCESSORS_ONLN))
        let memory = Double(sysconf(Int32(_SC_PHYS_PAGES)) * sysconf(Int32(_SC_PAGESIZE))) / 1_073_741_824
        var name = utsname()
        uname(&name)
        let release = withUnsafeBytes(of: name.release) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        return "\(cores) cores (\(model)), \(Bench.fixed(memory, 0)) GiB, Linux \(release)"
    }
}

extension String {
    /// "images 1920×1080 RGB uint8" → "1920×1080 images".
    fileprivate func replacingImages() -> String {
        guard hasPrefix("images ") else { return self }
        let size = dropFirst("images ".count).split(separator: " ").first ?? ""
        return "\(size) images"
    }
}
