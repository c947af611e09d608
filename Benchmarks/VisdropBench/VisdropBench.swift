import ArgumentParser

#if canImport(Glibc)
    import Glibc
#endif

/// `visdrop-bench`: visdrop against a Python watchdog/OpenCV agent, end to end.
///
/// Run it with `scripts/bench`, which builds the release binary and installs the peer's
/// Python packages first. Each round starts both agents on fresh folders, measures them
/// idle, then runs every workload on visdrop, then on the peer (A B A B ...); the report
/// gives medians over rounds and visdrop/peer ratios. With `--baseline`, an older build runs
/// in the same rounds too (before or after visdrop, by turns), for before/after in one run.
@main
struct VisdropBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "visdrop-bench",
        abstract: "Benchmark the built visdrop agent against the Python peer (bench/peer.py), end to end."
    )

    @Option(help: "The visdrop binary to run.")
    var visdrop = ".build/release/visdrop"

    @Option(
        help:
            "Another visdrop build to run in the same rounds as a 'before' (e.g. an older commit's release binary); its CPU per file sets the CPU targets of this run."
    )
    var baseline: String?

    @Option(help: "The Python interpreter that has the peer's packages (bench/requirements.txt).")
    var python = ".build-bench/venv/bin/python"

    @Option(help: "The peer agent script.")
    var peer = "bench/peer.py"

    @Option(
        name: .customLong("sigsuspend-shim"),
        help: "The C file preloaded under valgrind for --instructions (see InstructionCount).")
    var sigsuspendShim = "bench/valgrind-sigsuspend.c"

    @Option(name: .customLong("work-dir"), help: "Scratch folder (same file system for staging and drop).")
    var workDirectory = ".build-bench/work"

    @Option(help: "Rounds; throughput is the median over rounds.")
    var rounds = 5

    @Option(name: .customLong("scalar-files"), help: "One-record .json files per round.")
    var scalarFiles = 3000

    @Option(name: .customLong("batch-files"), help: "100-record .jsonl files per round.")
    var batchFiles = 100

    @Option(name: .customLong("images-64"), help: "64×64 images per round.")
    var images64 = 1000

    @Option(name: .customLong("images-512"), help: "512×512 images per round.")
    var images512 = 150

    @Option(name: .customLong("images-1080"), help: "1920×1080 images per round.")
    var images1080 = 30

    @Option(name: .customLong("lone-files"), help: "Scalar files dropped one at a time into an idle agent.")
    var loneFiles = 200

    @Option(name: .customLong("lone-gap-ms"), help: "Pause after each lone file is filed.")
    var loneGapMilliseconds = 20

    @Option(name: .customLong("idle-seconds"), help: "How long each idle agent's CPU use is measured.")
    var idleSeconds = 10

    @Option(
        name: .customLong("visdrop-arg"), parsing: .unconditionalSingleValue,
        help:
            "An extra argument for `visdrop watch` (repeat it), e.g. --visdrop-arg=--durable --visdrop-arg=false."
    )
    var visdropArguments: [String] = []

    @Option(help: "Also write the Markdown report to this file.")
    var markdown: String?

    @Flag(help: "A smoke run: one round, small counts, 2 s idle.")
    var quick = false

    @Flag(name: .customLong("stages-only"), help: "Only time the filing steps in-process (no agents).")
    var stagesOnly = false

    @Option(name: .customLong("stage-repetitions"), help: "Files per kind for the in-process step timings.")
    var stageRepetitions = 30

    @Flag(
        name: .customLong("deflate-compare"),
        help: "Only compare the PNG coders (run-length, zlib) in-process on the benchmark's images.")
    var deflateCompare = false

    @Flag(
        name: .customLong("instructions"),
        help: "Only count the agent's instructions per filed file under valgrind's callgrind (no peer).")
    var instructions = false

    @Option(
        name: .customLong("instruction-bursts"), parsing: .upToNextOption,
        help: "The two burst sizes for --instructions.")
    var instructionBursts: [Int] = [100, 600]

    @Option(name: .customLong("compare-repetitions"), help: "64×64 images per coder for --deflate-compare.")
    var compareRepetitions = 2000

    mutating func run() throws {
        if quick {
            rounds = 1
            scalarFiles = 300
            batchFiles = 10
            images64 = 100
            images512 = 20
            images1080 = 4
            loneFiles = 30
            idleSeconds = 2
            stageRepetitions = 5
            compareRepetitions = 200
        }
        let stages = StageProfile(
            directory: Bench.join(workDirectory, "stages"), repetitions: stageRepetitions)
        if deflateCompare {
            print(try DeflateCompare(repetitions: compareRepetitions).run())
            return
        }
        if instructions {
            guard instructionBursts.count == 2, instructionBursts[0] < instructionBursts[1] else {
                throw ValidationError("--instruction-bursts takes two sizes, the smaller first")
            }
            print(
                try InstructionCount(
                    visdrop: visdrop, visdropArguments: visdropArguments,
                    directory: Bench.join(workDirectory, "instructions"),
                    bursts: (instructionBursts[0], instructionBursts[1]),
                    sigsuspendShim: sigsuspendShim
                ).run())
            return
        }
        if stagesOnly {
            print(try stages.run())
            return
        }
        let workloads = [
            Workload(kind: .scalarFiles, files: scalarFiles),
            Workload(kind: .scalarBatches, files: batchFiles),
            Workload(kind: .images(width: 64, height: 64), files: images64),
            Workload(kind: .images(width: 512, height: 512), files: images512),
            Workload(kind: .images(width: 1920, height: 1080), files: images1080),
        ]
        let lone = Workload(kind: .loneScalars, files: loneFiles)
        var report = BenchReport(
            workloads: workloads, lone: lone, rounds: rounds, idleSeconds: idleSeconds,
            visdropArguments: visdropArguments, baseline: baseline)
        report.loadBefore = BenchReport.loadAverage()
        var images = ImageContent()
        for round in 1...rounds {
            log("round \(round) of \(rounds)")
            try runRound(round, workloads: workloads, lone: lone, images: &images, report: &report)
        }
        report.loadAfter = BenchReport.loadAverage()
        report.peerVersions = peerVersions()
        log("timing the filing steps in-process")
        let text = report.markdown() + "\n" + (try stages.run())
        print(text)
        if let markdown { try Bench.writeFile(markdown, Array(text.utf8)) }
    }

    private func runRound(
        _ round: Int, workloads: [Workload], lone: Workload, images: inout ImageContent,
        report: inout BenchReport
    ) throws {
        let roundDirectory = Bench.join(workDirectory, "round-\(round)")
        // The visdrop builds: this one, and the baseline when given.
        var builds = [
            (agent: try BenchAgent(side: .visdrop, root: Bench.join(roundDirectory, "visdrop")), visdrop)
        ]
        if let baseline {
            builds.append(
                (try BenchAgent(side: .baseline, root: Bench.join(roundDirectory, "baseline")), baseline))
        }
        let peerAgent = try BenchAgent(side: .peer, root: Bench.join(roundDirectory, "peer"))
        let agents = builds.map(\.agent) + [peerAgent]
        defer { for agent in agents { agent.stop() } }
        for (agent, binary) in builds {
            try agent.start([binary, "watch", "--drop", agent.drop, "--out", agent.out] + visdropArguments)
        }
        try peerAgent.start([python, peer, peerAgent.drop, peerAgent.out])
        // The two builds take turns going first, so that neither always runs right after the other.
        let visdropOrder = round % 2 == 0 ? builds.map(\.agent) : builds.map(\.agent).reversed()
        var runs: [DropRun] = []
        for agent in visdropOrder + [peerAgent] { runs.append(try DropRun(agent: agent)) }
        for run in runs { try run.agent.waitUntilWatching(timeoutSeconds: 60) }

        // Warm up (imports, first directories, caches) and make sure both are watching.
        for run in runs {
            for warmUp in [
                Workload(kind: .scalarFiles, files: 3),
                Workload(kind: .images(width: 64, height: 64), files: 3),
            ] {
                try run.stage(warmUp, images: &images)
                _ = try run.run(warmUp, timeoutSeconds: 60)
            }
        }

        log("  idle CPU over \(idleSeconds) s")
        // Let the warm-up's last work finish, and libdispatch retire the worker threads it woke
        // (after about 5 s idle), so that no thread exits during the window and every
        // nanosecond is counted from schedstat; and let visdrop log the warm-up's summary line,
        // due 10 s after its first file: it is the warm-up's work, not the idle agent's.
        Bench.sleep(milliseconds: 11_000)
        let before = runs.map { $0.agent.cpuSample() }
        Bench.sleep(milliseconds: idleSeconds * 1000)
        for (run, start) in zip(runs, before) {
            let used = run.agent.cpuUsed(since: start)
            report.addIdle(
                side: run.agent.side,
                BenchReport.Idle(
                    ticks: used.ticks, nanoseconds: used.nanoseconds, contextSwitches: used.contextSwitches))
        }

        for workload in workloads + [lone] {
            if workload.kind != .loneScalars {
                // The ceiling: the same files renamed by the same loop into a folder nobody watches.
                try runs[0].stage(workload, images: &images)
                sync()
                report.addRenameOnly(workload: workload, filesPerSecond: try runs[0].renameOnlyRate(workload))
            }
            for run in runs {
                try run.stage(workload, images: &images)
                sync()  // no writeback of staged files during the timed part
                let timeout = 120 + Double(workload.files) * (workload.isImage ? 2 : 0.1)
                let result =
                    workload.kind == .loneScalars
                    ? try run.runOneAtATime(
                        workload, gapMilliseconds: loneGapMilliseconds, timeoutSeconds: 30)
                    : try run.run(workload, timeoutSeconds: timeout)
                log(
                    "  \(run.agent.side.rawValue.padding(7)) \(workload.label): "
                        + "\(Bench.rate(result.rate)) \(workload.unit), "
                        + "p50 \(Bench.fixed(Double(result.latency.valueAtPercentile(50)) / 1000, 2)) ms, "
                        + "p99 \(Bench.fixed(Double(result.latency.valueAtPercentile(99)) / 1000, 2)) ms, "
                        + "peak RSS \(Bench.fixed(Double(result.peakResidentBytes) / 1_048_576, 1)) MiB")
                report.add(workload: workload, side: run.agent.side, result)
                // visdrop deletes filed sources in the background once filing pauses: let it
                // finish before the other agent's run, so that neither pays for the other's work.
                run.agent.waitForBackgroundDeletions(timeoutSeconds: 60)
            }
        }
        for agent in agents {
            report.addLifetimePeak(side: agent.side, bytes: agent.peakResidentBytes())
            agent.stop()
        }
        Bench.removeTree(roundDirectory)
    }

    /// The peer's package versions, as its interpreter reports them.
    private func peerVersions() -> String {
        let script =
            "import cv2, numpy, watchdog.version as w; print(f'opencv {cv2.__version__}, numpy {numpy.__version__}, watchdog {w.VERSION_STRING}')"
        let output = Bench.join(workDirectory, "versions.txt")
        unlink(output)
        guard
            let child = try? BenchAgent.spawn([python, "-c", script], output: output, errorsToOutput: false)
        else { return "?" }
        var status: Int32 = 0
        waitpid(child, &status, 0)
        let text = String(decoding: Bench.readFile(output) ?? [], as: UTF8.self)
        return text.split(separator: "\n").first.map(String.init) ?? "?"
    }

    private func log(_ message: String) {
        let line = Array((message + "\n").utf8)
        _ = line.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
    }
}

extension String {
    fileprivate func padding(_ width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }
}
