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
    /// The other visdrop build measured in the same rounds (`--baseline`), if any.
    let baseline: String?
    var loadBefore = ""
    var loadAfter = ""
    var peerVersions = ""
    private var results: [String: [BenchAgent.Side: [RunResult]]] = [:]
    private var idle: [BenchAgent.Side: [Idle]] = [:]
    private var lifetimePeak: [BenchAgent.Side: Int] = [:]
    /// Files per second renamed into an unwatched folder, per workload and round.
    private var renameOnly: [String: [Double]] = [:]

    /// Issue 14's baseline: CPU per file (ms, all threads, until the trash is empty) at 105cf11,
    /// from one run of this benchmark; the target is at most half of it.
    static let cpuBaseline: [Workload.Kind: (milliseconds: Double, commit: String)] = [
        .scalarFiles: (0.127, "105cf11"),
        .images(width: 64, height: 64): (1.003, "105cf11"),
    ]

    init(
        workloads: [Workload], lone: Workload, rounds: Int, idleSeconds: Int, visdropArguments: [String],
        baseline: String? = nil
    ) {
        self.baseline = baseline
        self.workloads = workloads
        self.lone = lone
        self.rounds = rounds
        self.idleSeconds = idleSeconds
        self.visdropArguments = visdropArguments
    }

    mutating func add(workload: Workload, side: BenchAgent.Side, _ result: RunResult) {
        results[workload.label, default: [:]][side, default: []].append(result)
    }

    mutating func addRenameOnly(workload: Workload, filesPerSecond: Double) {
        renameOnly[workload.label, default: []].append(filesPerSecond)
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

    /// The bare flushes timed beside the lone files of `side`'s runs.
    private func mergedFlushes(_ side: BenchAgent.Side) -> Histogram<UInt64> {
        var merged = DropRun.histogram()
        for run in runs(lone, side) { if let flushes = run.flushLatency { merged.add(flushes) } }
        return merged
    }

    /// Files (not records) per second, median over rounds.
    private func medianFileRate(_ workload: Workload, _ side: BenchAgent.Side) -> Double {
        Bench.median(runs(workload, side).map { Double(workload.files) / $0.seconds })
    }

    private func medianCPU(_ workload: Workload, _ side: BenchAgent.Side) -> Double {
        Bench.median(runs(workload, side).map { Double($0.cpuNanoseconds) / Double(workload.files) / 1e6 })
    }

    /// The CPU per file a workload's target halves, and where it comes from: issue 14's figure
    /// from 105cf11's run, and the baseline build in this run when there is one (the machine's
    /// speed moves from day to day by more than a change does).
    private func cpuTargetBases(_ workload: Workload) -> [(Double, String)] {
        guard let fixed = Self.cpuBaseline[workload.kind] else { return [] }
        var bases = [(fixed.milliseconds, "at \(fixed.commit)")]
        if baseline != nil, !runs(workload, .baseline).isEmpty {
            bases.append((medianCPU(workload, .baseline), "for the baseline build in this run"))
        }
        return bases
    }

    /// Issue 14's rate targets: visdrop/peer.
    private static func peerTarget(_ workload: Workload) -> Double {
        switch workload.kind {
        case .images(64, 64): 4
        case .images: 2
        default: 10
        }
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
            let target = Self.peerTarget(workload)
            lines.append(
                row(
                    "\(workload.label), \(workload.files) files", workload.unit, Bench.rate(ours),
                    Bench.rate(theirs), "\(Bench.fixed(ratio, 2))×", "≥ \(Int(target))×", ratio >= target))
        }
        for workload in workloads where workload.kind == .scalarFiles {
            let ceiling = Bench.median(renameOnly[workload.label] ?? [])
            let ours = medianFileRate(workload, .visdrop) / ceiling
            lines.append(
                row(
                    "\(workload.label): drain rate / rename-only rate (\(Bench.rate(ceiling)) files/s)", "",
                    Bench.fixed(ours, 2), Bench.fixed(medianFileRate(workload, .peer) / ceiling, 2), "",
                    "≥ 0.50", ours >= 0.5))
        }
        for workload in workloads {
            for (before, source) in cpuTargetBases(workload) {
                let ours = medianCPU(workload, .visdrop)
                lines.append(
                    row(
                        "CPU per file, \(workload.label) (\(Bench.fixed(before, 3)) ms \(source))",
                        "ms", Bench.fixed(ours, 3), Bench.fixed(medianCPU(workload, .peer), 3), "",
                        "≤ \(Bench.fixed(before / 2, 3)) ms", ours <= before / 2))
            }
        }
        let ourLone = mergedLatency(lone, .visdrop)
        let theirLone = mergedLatency(lone, .peer)
        let ourFlushes = mergedFlushes(.visdrop)
        let theirFlushes = mergedFlushes(.peer)
        for (name, percentile) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
            let ours = milliseconds(ourLone, percentile)
            let theirs = milliseconds(theirLone, percentile)
            let flush = milliseconds(ourFlushes, 99)
            let isTarget = percentile == 99
            lines.append(
                row(
                    "latency of a lone scalar file, rename → line in scalars.json, \(name)", "ms",
                    Bench.fixed(ours, 2), Bench.fixed(theirs, 2), Bench.fixed(ours / theirs, 2) + "×",
                    isTarget ? "≤ bare fdatasync p99 + 1.5 ms (\(Bench.fixed(flush + 1.5, 2)) ms)" : "",
                    isTarget ? ours <= flush + 1.5 : nil))
        }
        for (name, percentile) in [("p50", 50.0), ("p99", 99.0), ("max", 100.0)] {
            lines.append(
                row(
                    "… a bare fdatasync (200 bytes rewritten in place) in each lone file's pause, \(name)",
                    "ms", Bench.fixed(milliseconds(ourFlushes, percentile), 2),
                    Bench.fixed(milliseconds(theirFlushes, percentile), 2), "", "", nil))
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
            "Cost per file: the CPU the agent used (user + system of all threads, from /proc/PID/task/*/schedstat, "
                + "from the first rename until its trash was empty; median over rounds, ms), and the drain rate "
                + "as a fraction of the rename-only rate (the same files renamed by the same loop into a folder "
                + "nobody watches, in the same round; files/s, medians):")
        lines.append("")
        lines.append(
            "| workload | CPU visdrop | CPU peer | visdrop/peer | rename-only | visdrop drain / rename-only | peer drain / rename-only |"
        )
        lines.append("|---|--:|--:|--:|--:|--:|--:|")
        for workload in workloads + [lone] {
            let ours = medianCPU(workload, .visdrop)
            let theirs = medianCPU(workload, .peer)
            var cells = [Bench.fixed(ours, 3), Bench.fixed(theirs, 3), "\(Bench.fixed(ours / theirs, 2))×"]
            if let ceilings = renameOnly[workload.label] {
                let ceiling = Bench.median(ceilings)
                cells += [
                    Bench.rate(ceiling), Bench.fixed(medianFileRate(workload, .visdrop) / ceiling, 3),
                    Bench.fixed(medianFileRate(workload, .peer) / ceiling, 3),
                ]
            } else {
                cells += ["", "", ""]
            }
            lines.append("| \(workload.label) | " + cells.joined(separator: " | ") + " |")
        }

        if let baseline { lines += beforeAfter(baseline) }

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

    /// The baseline build against this one, measured in the same rounds.
    private func beforeAfter(_ baseline: String) -> [String] {
        var lines = [
            "",
            "Before and after in this run: the baseline build (`\(baseline)`) and this one, in the same "
                + "rounds (which goes first alternates by round); medians over rounds:",
            "",
            "| measure | unit | baseline | visdrop | visdrop/baseline |",
            "|---|---|--:|--:|--:|",
        ]
        func add(_ measure: String, _ unit: String, _ before: Double, _ after: Double, digits: Int?) {
            let text = { (value: Double) in digits.map { Bench.fixed(value, $0) } ?? Bench.rate(value) }
            lines.append(
                "| \(measure) | \(unit) | \(text(before)) | \(text(after)) | \(Bench.fixed(after / before, 2))× |"
            )
        }
        for workload in workloads {
            add(
                "\(workload.label): rate", workload.unit, medianRate(workload, .baseline),
                medianRate(workload, .visdrop), digits: nil)
            add(
                "… CPU per file", "ms", medianCPU(workload, .baseline), medianCPU(workload, .visdrop),
                digits: 3)
            if let ceilings = renameOnly[workload.label], workload.kind == .scalarFiles {
                let ceiling = Bench.median(ceilings)
                add(
                    "… drain rate / rename-only rate (\(Bench.rate(ceiling)) files/s)", "",
                    medianFileRate(workload, .baseline) / ceiling,
                    medianFileRate(workload, .visdrop) / ceiling,
                    digits: 3)
            }
        }
        for (name, percentile) in [("p50", 50.0), ("p99", 99.0)] {
            add(
                "lone scalar file latency, \(name)", "ms",
                milliseconds(mergedLatency(lone, .baseline), percentile),
                milliseconds(mergedLatency(lone, .visdrop), percentile), digits: 2)
        }
        add(
            "… bare fdatasync p99 beside it", "ms", milliseconds(mergedFlushes(.baseline), 99),
            milliseconds(mergedFlushes(.visdrop), 99), digits: 2)
        add(
            "… CPU per lone file", "ms", medianCPU(lone, .baseline), medianCPU(lone, .visdrop), digits: 3)
        let idleMilliseconds = { (side: BenchAgent.Side) in
            Double(self.idle[side]?.map(\.nanoseconds).max() ?? 0) / 1e6
        }
        add(
            "idle CPU over \(idleSeconds) s, worst round", "ms", idleMilliseconds(.baseline),
            idleMilliseconds(.visdrop), digits: 3)
        if let largest = workloads.last(where: \.isImage) {
            add(
                "peak RSS filing \(largest.label.replacingImages())", "MB",
                Double(peakBytes(largest, .baseline)) / 1e6,
                Double(peakBytes(largest, .visdrop)) / 1e6, digits: 1)
        }
        return lines
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
