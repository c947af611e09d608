import Foundation
import Testing
import VisdropNPY
import VisdropPNG

/// The real binary watching a real folder: files dropped the ways a training script drops them.
@Suite("visdrop watch, end to end")
struct WatchEndToEndTests {
    @Test("a scalar file written in place is filed when closed, byte-identical to Python's json")
    func scalarWrittenInPlace() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let record =
            #"{"loss": 0.30000000000000004, "lr": 1e-05, "name": "caf\u00e9", "big": 12345678901234567890}"#
        try workspace.writeInPlace("loss_0.json", Array(record.utf8))
        let scalars = workspace.out + "/scalars.json"
        try eventually("scalars.json to hold one line") { workspace.text(scalars).hasSuffix("\n") }
        #expect(workspace.text(scalars) == (try Python.expectedScalarLines([record])))
        try eventually("the source to be removed") { !workspace.exists(workspace.drop + "/loss_0.json") }
        // Its threads are named for `top -H` and `perf` (Linux keeps 15 bytes of a name).
        let threads = try agent.threadNames()
        let watcher = TestWorkspace.isPolling ? "vd-poller" : "vd-watcher"
        for name in [watcher, "vd-filer", "vd-trash sweepe"] {
            #expect(threads.contains(name), "threads: \(threads)")
        }
        #expect(try agent.terminate() == 0)
        #expect(agent.log.contains("filed 1 (image=0 scalars=1 config=0)"))
    }

    @Test("files renamed into a run directory created a moment before are all filed")
    func renamedIntoFreshRunDirectory() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        // mkdir -p a/b/c followed at once by writes: some land before the agent watches c.
        var records: [String] = []
        for step in 0..<20 {
            let record = #"{"acc": \#(Double(step) / 8), "step": \#(step)}"#
            records.append(record)
            try workspace.writeByRename("a/b/c/acc_\(step).json", Array(record.utf8))
        }
        let scalars = workspace.out + "/a/b/c/scalars.json"
        try eventually("20 lines in a/b/c/scalars.json") {
            workspace.text(scalars).split(separator: "\n").count == 20
        }
        // Files found by the new directory's scan and files reported by events keep the writer's order.
        expectLines(of: workspace.text(scalars), equal: try Python.expectedScalarLines(records))
        #expect(workspace.visibleDropFiles().isEmpty)
        // The sources went to the trash; once filing pauses, the sweeper deletes them.
        let trash = workspace.drop + "/.visdrop-trash"
        try eventually("the trash to be emptied", deadline: 120) {
            ((try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? ["?"]).isEmpty
        }
        #expect(try agent.terminate() == 0)
    }

    @Test("files present before start are filed first, oldest first")
    func backlogOldestFirst() throws {
        let workspace = try TestWorkspace()
        var records: [String] = []
        for index in 0..<5 {
            let record = #"{"value": \#(index)}"#
            records.append(record)
            // Written newest-name-first, so only the modification times give the order.
            let path = workspace.drop + "/run/v\(9 - index).json"
            try workspace.writeInPlace("run/v\(9 - index).json", Array(record.utf8))
            let time = Date(timeIntervalSince1970: 1_700_000_000 + Double(index) * 60)
            try FileManager.default.setAttributes([.modificationDate: time], ofItemAtPath: path)
        }
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        let scalars = workspace.out + "/run/scalars.json"
        try eventually("the backlog to be filed") {
            workspace.text(scalars).split(separator: "\n").count == 5
        }
        #expect(workspace.text(scalars) == (try Python.expectedScalarLines(records)))
        #expect(try agent.terminate() == 0)
    }

    @Test("a backlog file a writer still holds open is filed whole, when the writer closes it")
    func backlogFileHeldOpenByAWriter() throws {
        let workspace = try TestWorkspace()
        let path = workspace.drop + "/run/loss.jsonl"
        try FileManager.default.createDirectory(
            atPath: workspace.drop + "/run", withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        let records = [#"{"loss": 1.5, "step": 1}"#, #"{"loss": 0.25, "step": 2}"#]
        try writer.write(contentsOf: Array((records[0] + "\n").utf8))
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try eventually("the agent to see the open file") { agent.log.contains("still open for writing") }
        try writer.write(contentsOf: Array(records[1].utf8))
        try writer.close()
        let scalars = workspace.out + "/run/scalars.json"
        // Gone from its name once claimed; filed once it has left the claim folder too.
        try eventually("both records to be filed") {
            !workspace.exists(path) && workspace.visibleDropFiles().isEmpty
        }
        #expect(workspace.text(scalars) == (try Python.expectedScalarLines(records)))
        #expect(try agent.terminate() == 0)
    }

    @Test("a burst of 5,000 scalar files: every record exactly once, in rename order")
    func burstOfScalarFiles() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(
            workspace.watchArguments(
                logLevel: ProcessInfo.processInfo.environment["VISDROP_TEST_BURST_LOG"] ?? "warning"),
            logPath: workspace.log)
        // At warning level no "watching" line comes: the journal shows the agent is up (a file
        // dropped before its watch exists is in its backlog).
        try eventually("the agent to start") { workspace.exists(workspace.out + "/.visdrop/scalar-journal") }
        var records: [String] = []
        for step in 0..<5000 {
            let record = #"{"loss": \#(1.0 / Double(step + 1)), "step": \#(step)}"#
            records.append(record)
            try workspace.writeByRename("burst/loss_\(step).json", Array(record.utf8))
        }
        let scalars = workspace.out + "/burst/scalars.json"
        try eventually("5,000 lines", deadline: 300) {
            workspace.text(scalars).split(separator: "\n").count >= 5000
        }
        expectLines(of: workspace.text(scalars), equal: try Python.expectedScalarLines(records))
        #expect(workspace.visibleDropFiles().isEmpty)
        // The sources went to the trash; once filing pauses, the sweeper deletes them.
        let trash = workspace.drop + "/.visdrop-trash"
        try eventually("the trash to be emptied", deadline: 120) {
            ((try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? ["?"]).isEmpty
        }
        #expect(try agent.terminate() == 0)
    }

    @Test("a trash folder removed while the agent runs is made again: the next sources still leave")
    func trashFolderRemovedWhileRunning() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let records = [#"{"loss": 1.5, "step": 1}"#, #"{"loss": 0.75, "step": 2}"#]
        let scalars = workspace.out + "/run/scalars.json"
        let trash = workspace.drop + "/.visdrop-trash"
        try workspace.writeByRename("run/loss_1.json", Array(records[0].utf8))
        try eventually("the first file to be filed and its source swept", deadline: 120) {
            workspace.text(scalars).hasSuffix("\n")
                && ((try? FileManager.default.contentsOfDirectory(atPath: trash)) ?? ["?"]).isEmpty
        }
        // The agent keeps the trash folder open from batch to batch; this one is gone under it.
        try FileManager.default.removeItem(atPath: trash)
        try workspace.writeByRename("run/loss_2.json", Array(records[1].utf8))
        try eventually("the second file to be filed") {
            workspace.text(scalars).split(separator: "\n").count == 2
        }
        try eventually("its source to leave the drop folder, claim folder included") {
            workspace.visibleDropFiles().isEmpty
                && !workspace.exists(workspace.drop + "/run/.visdrop-claim/loss_2.json")
        }
        #expect(workspace.text(scalars) == (try Python.expectedScalarLines(records)))
        #expect(workspace.exists(trash), "the trash folder is made again")
        #expect(try agent.terminate() == 0)
        #expect(!agent.log.contains("could not be removed"), "\(agent.log)")
    }

    @Test("work-in-progress names are left alone until renamed")
    func workInProgressIgnored() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let record = #"{"x": 1}"#
        for name in ["x.json.tmp", "x.json.part", "x.json~", ".x.json"] {
            try workspace.writeInPlace(name, Array(record.utf8))
        }
        // A filed marker proves the agent has processed events after the work-in-progress files.
        try workspace.writeByRename("marker.json", Array(#"{"m": 1}"#.utf8))
        try eventually("the marker to be filed") {
            workspace.text(workspace.out + "/scalars.json").contains("\"m\"")
        }
        for name in ["x.json.tmp", "x.json.part", "x.json~", ".x.json"] {
            #expect(workspace.exists(workspace.drop + "/" + name), "\(name) must be left alone")
        }
        #expect(!workspace.text(workspace.out + "/scalars.json").contains("\"x\""))
        try FileManager.default.moveItem(
            atPath: workspace.drop + "/x.json.part", toPath: workspace.drop + "/x.json")
        try eventually("x.json to be filed once renamed") {
            workspace.text(workspace.out + "/scalars.json").contains("{\"x\": 1, \"step\": 0}")
        }
        #expect(try agent.terminate() == 0)
    }

    @Test("the reference arrays become the reference PNGs, pixel for pixel")
    func referenceImages() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let fixtures = try Fixtures.directory()
        for name in ["tiny_2", "small_2", "wide_2"] {
            try workspace.writeByRename(
                "run/\(name).npy", try workspace.bytes(fixtures + "/images/\(name).npy"))
        }
        for name in ["tiny_2", "small_2", "wide_2"] {
            let written = workspace.out + "/run/vis_image/\(name).png"
            try eventually("\(name).png") { workspace.exists(written) }
            let ours = try PNGDecoder.decode(try workspace.bytes(written))
            let reference = try PNGDecoder.decode(
                try workspace.bytes(fixtures + "/images/expected/vis_image/\(name).png"))
            #expect(ours == reference, "\(name): decoded pixels differ from mmengine's PNG")
        }
        #expect(try agent.terminate() == 0)
    }

    @Test("SIGINT also stops the agent cleanly")
    func interruptStops() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        agent.process.interrupt()
        try eventually("the agent to exit after SIGINT") { !agent.process.isRunning }
        #expect(agent.process.terminationStatus == 0)
        #expect(agent.log.contains("stopped: filed 0"))
    }
}

/// The fixtures copied from the mmengine reference into this test target.
enum Fixtures {
    static func directory() throws -> String {
        guard let url = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw TestFailure("the Fixtures resource folder is missing")
        }
        return url.path
    }
}
