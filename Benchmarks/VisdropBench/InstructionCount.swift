#if canImport(Glibc)
    import Glibc
#endif

/// Instructions per filed file, counted by valgrind's callgrind: unlike time, the count hardly
/// moves when other work shares the machine.
///
/// For each workload the agent runs under `valgrind --tool=callgrind` twice, filing a small and
/// a large burst; each burst is renamed in while the agent is stopped (`SIGSTOP`), so it finds
/// the whole burst queued and files it in the same batches every time, and the agent is stopped
/// once its trash is empty (the sweeper's deletions count). The difference of the two totals
/// over the difference of the bursts is the cost of a file, without start-up and shut-down.
///
/// Debian 12's valgrind (3.19) cannot run the agent as built: it gives up on the binary's DWARF 5
/// debug information, and it dies writing to the read-only signal mask libdispatch hands
/// `sigsuspend`. So it runs a copy without debug information (`objcopy --strip-debug`; function
/// names stay) with `bench/valgrind-sigsuspend.c` preloaded, which hands the kernel a copy.
struct InstructionCount {
    let visdrop: String
    let visdropArguments: [String]
    let directory: String
    let bursts: (small: Int, large: Int)
    let sigsuspendShim: String

    static let valgrind = "/usr/bin/valgrind"

    func run() throws(BenchError) -> String {
        guard Bench.exists(Self.valgrind) else {
            throw .agent("--instructions needs valgrind (apt-get install valgrind)")
        }
        try Bench.makeDirectories(directory)
        let agentCopy = Bench.join(directory, "visdrop-without-debug-info")
        let shim = Bench.join(directory, "valgrind-sigsuspend.so")
        try Self.runTool(["/usr/bin/objcopy", "--strip-debug", visdrop, agentCopy], log: directory)
        try Self.runTool(
            ["/usr/bin/cc", "-O2", "-shared", "-fPIC", "-o", shim, sigsuspendShim], log: directory)
        setenv("LD_PRELOAD", shim, 1)
        defer { unsetenv("LD_PRELOAD") }
        var lines = [
            "### Instructions per filed file (callgrind, all threads, until the trash is empty)",
            "",
            "| workload | total, \(bursts.small) files | total, \(bursts.large) files | per file |",
            "|---|--:|--:|--:|",
        ]
        var images = ImageContent()
        for kind in [Workload.Kind.scalarFiles, .images(width: 64, height: 64)] {
            let small = try count(Workload(kind: kind, files: bursts.small), agentCopy, images: &images)
            let large = try count(Workload(kind: kind, files: bursts.large), agentCopy, images: &images)
            let perFile = Double(large - small) / Double(bursts.large - bursts.small)
            lines.append(
                "| \(Workload(kind: kind, files: 0).label) | \(Bench.grouped(small)) | \(Bench.grouped(large)) | "
                    + "\(Bench.grouped(Int(perFile.rounded()))) |")
        }
        lines.append("")
        lines.append(
            "Profiles: `callgrind_annotate \(directory)/<workload>-<files>/callgrind.out` "
                + "(visdrop: `visdrop watch`\(visdropArguments.isEmpty ? "" : " " + visdropArguments.joined(separator: " ")))."
        )
        return lines.joined(separator: "\n") + "\n"
    }

    /// The agent's total instructions for start-up, a warm-up, `workload` and shut-down.
    private func count(_ workload: Workload, _ visdrop: String, images: inout ImageContent) throws(BenchError)
        -> Int
    {
        let name = (workload.isImage ? "images64" : "scalars") + "-\(workload.files)"
        let agent = try BenchAgent(side: .visdrop, root: Bench.join(directory, name))
        let output = Bench.join(agent.root, "callgrind.out")
        try agent.start(
            [
                Self.valgrind, "--tool=callgrind", "--callgrind-out-file=\(output)", visdrop, "watch",
                "--drop",
                agent.drop, "--out", agent.out,
            ] + visdropArguments)
        defer { agent.stop(graceSeconds: 120) }
        try agent.waitUntilWatching(timeoutSeconds: 300)
        let run = try DropRun(agent: agent)
        let warmUp = Workload(kind: workload.kind, files: 3)
        try run.stage(warmUp, images: &images)
        _ = try run.run(warmUp, timeoutSeconds: 300)
        try run.stage(workload, images: &images)
        sync()
        _ = try run.run(workload, timeoutSeconds: 600, paused: true)
        agent.stop(graceSeconds: 120)
        let text = String(decoding: Bench.readFile(output) ?? [], as: UTF8.self)
        guard
            let line = text.split(separator: "\n").last(where: {
                $0.hasPrefix("totals: ") || $0.hasPrefix("summary: ")
            }), let total = Int(line.split(separator: " ").last ?? "")
        else { throw .agent("no instruction total in \(output)\n\(agent.logTail())") }
        return total
    }

    /// Runs a tool to its end; fails when it does not exit 0.
    private static func runTool(_ command: [String], log directory: String) throws(BenchError) {
        let output = Bench.join(directory, "tool.log")
        let child = try BenchAgent.spawn(command, output: output, errorsToOutput: true)
        var status: Int32 = 0
        waitpid(child, &status, 0)
        guard status == 0 else {
            let text = String(decoding: Bench.readFile(output) ?? [], as: UTF8.self)
            throw .agent("\(command.joined(separator: " ")) failed (status \(status)):\n\(text)")
        }
    }
}
