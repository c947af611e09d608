import Foundation
import Testing
import VisdropPNG

/// Exactly-once across crashes: the agent is killed with SIGKILL again and again while a writer
/// drops files, and restarted each time.
///
/// The killed agents run with `VISDROP_CRASH_WINDOW_MS`, which sleeps a random moment between a
/// batch's steps (timing only), so that kills land inside batches; the test checks they did.
/// The writer drops about 400 scalar files (2 records each on average) and 50 images a second
/// until the kills are done: `VISDROP_CRASH_KILLS` (default 45) makes it a longer soak, and
/// `VISDROP_CRASH_FILES` caps the scalar files (default 20,000; images at most 400).
@Suite("crashes, end to end")
struct CrashEndToEndTests {
    static let kills = Int(ProcessInfo.processInfo.environment["VISDROP_CRASH_KILLS"] ?? "") ?? 45
    static let files = Int(ProcessInfo.processInfo.environment["VISDROP_CRASH_FILES"] ?? "") ?? 20_000
    static let images = 400

    @Test("SIGKILL at random moments, dozens of times: every record once, every image whole")
    func killedAgainAndAgain() throws {
        try Self.killAgainAndAgain(appending: false)
    }

    @Test("SIGKILL at random moments while a logger appends in place, reopening its file per record")
    func killedAgainAndAgainWithAppenders() throws {
        try Self.killAgainAndAgain(appending: true)
    }

    /// The kill-and-restart run; with `appending`, the writer appends its records in place to
    /// one `log.jsonl` (an `open(path, "a")` per record) instead of renaming files in.
    static func killAgainAndAgain(appending: Bool) throws {
        let workspace = try TestWorkspace()
        let fixtures = try Fixtures.directory() + "/crash"
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        let stopFile = workspace.root + "/stop-writing"
        writer.arguments =
            [
                "python3", fixtures + "/writer.py", workspace.drop, "\(Self.files)", "\(Self.images)",
                stopFile,
            ] + (appending ? ["append"] : [])
        // The appender pauses 12 ms now and then: a short quiet time makes each pause a batch, so
        // kills land inside batches (and claims race the writer's reopening far more often).
        let arguments = workspace.watchArguments(logLevel: "info", appending ? ["--quiet-ms", "5"] : [])
        let writerOutput = Pipe()
        writer.standardOutput = writerOutput
        try writer.run()

        var generator = SystemRandomNumberGenerator()
        var kills = 0
        var incarnation = 0
        // The writer keeps dropping files until the kills are done (or it reaches its maximum), so
        // every kill, however slow a busy machine makes the agent's start, meets work in progress.
        while writer.isRunning {
            if kills >= Self.kills { _ = FileManager.default.createFile(atPath: stopFile, contents: nil) }
            incarnation += 1
            let agent = try AgentProcess(
                arguments,
                logPath: workspace.root + "/agent-\(incarnation).log",
                environment: ["VISDROP_CRASH_WINDOW_MS": "15"])
            // Every fifth kill comes within 3 ms of the start (often during recovery); the rest
            // up to 250 ms after the agent has started watching, while it files the backlog that
            // piled up meanwhile and the new drops (however slow a busy machine makes the start).
            if kills % 5 == 0 {
                usleep(UInt32.random(in: 0...3_000, using: &generator))
            } else {
                try eventually("the agent to start watching") {
                    agent.log.contains("watching") || !agent.process.isRunning
                }
                // Polled files settle over two polls and the settle time: wait longer for batches.
                usleep(
                    UInt32.random(in: 0...(TestWorkspace.isPolling ? 900_000 : 250_000), using: &generator))
            }
            kill(agent.process.processIdentifier, SIGKILL)
            agent.process.waitUntilExit()
            #expect(agent.process.terminationReason == .uncaughtSignal, "\(agent.log)")
            kills += 1
        }
        // The kills must land inside batches, or the test proves nothing: count the recoveries.
        let logs = (1...incarnation).map { workspace.text(workspace.root + "/agent-\($0).log") }.joined()
        let undone = logs.components(separatedBy: "undid a batch").count - 1
        let finished = logs.components(separatedBy: "finished a batch").count - 1
        // A polled appender's file settles only when the appender stops: no batch to interrupt before.
        if !(TestWorkspace.isPolling && appending) {
            #expect(undone + finished > 0, "no kill interrupted a batch")
        }
        print(
            "crash test\(appending ? " (appenders)" : ""): \(kills) kills, \(undone) batches undone, "
                + "\(finished) finished by recovery")
        writer.waitUntilExit()
        #expect(writer.terminationStatus == 0)
        let counts = String(decoding: writerOutput.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            .split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        try #require(counts.count == 2, "the writer printed no counts")
        let (records, images) = (counts[0], counts[1])

        let agent = try AgentProcess(arguments, logPath: workspace.log)
        try agent.waitUntilWatching()
        try eventually("the drop folder to be emptied; log:\n\(agent.log)") {
            workspace.visibleDropFiles().isEmpty && WritingStylesEndToEndTests.claimedFiles(workspace).isEmpty
        }
        #expect(try agent.terminate() == 0)

        let run = workspace.out + "/run"
        let check = try Python.run(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            arguments: [fixtures + "/check.py", run, "\(records)", "\(images)"]
        ).split(separator: "\n")
        try #require(check.count == images + 1, "check.py printed \(check.count) lines")
        #expect(check[0] == "records \(records) lost 0 duplicated 0 torn 0", "after \(kills) kills")
        for k in 0..<images {
            let decoded = try PNGDecoder.decode(try workspace.bytes(run + "/vis_image/img_\(k)_\(k).png"))
            #expect(decoded.width == 16 && decoded.height == 16 && decoded.channels == 3)
            #expect(decoded.samples == .eightBit(try pixelValues(String(check[k + 1]))), "image \(k)")
        }
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: run + "/vis_image").filter {
            !$0.hasSuffix(".png") || $0.hasPrefix(".")
        }
        #expect(leftovers.isEmpty, "temporary files left in vis_image: \(leftovers)")
        #expect(!workspace.exists(workspace.drop + "/.rejected"), "a file was rejected")
        #expect(kills >= 40)
    }
}
