import Foundation
import Testing
import VisdropPNG

/// Every way a program writes a file, against the real binary: appenders that reopen the file,
/// hard links, memory-mapped arrays, writers that hold a file open, archived names.
/// Each style must file every record exactly once, in order, and leave nothing in `.rejected`.
@Suite("writing styles, end to end")
struct WritingStylesEndToEndTests {
    /// A shell loop appending records `first..<first + lines` with `>>`, one open and close per
    /// record; `pause` is a shell command run after every `every` lines (none when empty).
    static func appendLoop(first: Int = 0, lines: Int, every: Int = 0, pause: String = "") -> String {
        let wait = pause.isEmpty ? "" : #"if [ $(( (i + 1) % \#(every) )) = 0 ]; then \#(pause); fi"#
        return #"""
            mkdir -p "$1/run"
            for i in $(seq \#(first) \#(first + lines - 1)); do
              echo "{\"i\": $i, \"step\": $i}" >> "$1/run/log.jsonl"
              \#(wait)
            done
            """#
    }

    /// What mmengine writes for the records `{"i": i, "step": i}`, by Python's json.
    static func expectedLines(_ count: Int) throws -> String {
        try Python.run(
            "import json, sys\nfor i in range(int(sys.argv[1])): print(json.dumps({'i': i, 'step': i}))",
            arguments: ["\(count)"])
    }

    /// Runs a shell script with the drop folder as `$1`.
    static func shell(_ script: String, _ workspace: TestWorkspace) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = ["-c", script, "writer", workspace.drop]
        try process.run()
        process.waitUntilExit()
        try #require(process.terminationStatus == 0, "the writer failed")
    }

    /// Waits until `run/scalars.json` holds `count` lines and the drop tree holds no file to file.
    static func waitForLines(_ count: Int, _ workspace: TestWorkspace, _ agent: AgentProcess) throws {
        let scalars = workspace.out + "/run/scalars.json"
        try eventually("\(count) lines in scalars.json; log:\n\(agent.log.suffix(3000))", deadline: 300) {
            workspace.text(scalars).split(separator: "\n").count >= count
                && workspace.visibleDropFiles().isEmpty
                && claimedFiles(workspace).isEmpty
        }
    }

    /// Files in claim folders (taken but not filed yet).
    static func claimedFiles(_ workspace: TestWorkspace) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: workspace.drop) else { return [] }
        var files: [String] = []
        while let item = enumerator.nextObject() as? String {
            let parts = item.split(separator: "/")
            if parts.count >= 2, parts[parts.count - 2] == ".visdrop-claim" { files.append(item) }
        }
        return files
    }

    /// The appended lines are all there, once, in order, none torn, and nothing was rejected.
    static func expectAllLines(_ count: Int, _ workspace: TestWorkspace, _ agent: AgentProcess) throws {
        try waitForLines(count, workspace, agent)
        #expect(workspace.text(workspace.out + "/run/scalars.json") == (try expectedLines(count)))
        #expect(!workspace.exists(workspace.drop + "/.rejected"), "rejected: \(agent.log.suffix(2000))")
        #expect(try agent.terminate() == 0)
    }

    @Test("10,000 lines appended with >> at full speed: every line once, in order")
    func appendLoopFullSpeed() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()
        try Self.shell(Self.appendLoop(lines: 10_000), workspace)
        try Self.expectAllLines(10_000, workspace, agent)
    }

    @Test(
        "lines appended with >> and a 200 ms pause every 10 lines, then every 500 (longer than the quiet time)"
    )
    func appendLoopWithPauses() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        // Bursts of 10 lines are over before the agent looks; bursts of 500 outlast its filing.
        try Self.shell(Self.appendLoop(lines: 200, every: 10, pause: "sleep 0.2"), workspace)
        try Self.shell(Self.appendLoop(first: 200, lines: 3000, every: 500, pause: "sleep 0.2"), workspace)
        try Self.expectAllLines(3200, workspace, agent)
        // Under inotify each pause ends a filing; a poll sees a file settle only once its writer has
        // paused for the settle time, so there only the lines count.
        if !TestWorkspace.isPolling {
            #expect(
                agent.log.components(separatedBy: "] filed").count > 20, "the pauses should split the filings"
            )
        }
    }

    @Test("10,000 lines appended with >> and a short sleep every 100 lines")
    func appendLoopWithShortSleeps() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()
        try Self.shell(Self.appendLoop(lines: 10_000, every: 100, pause: "sleep 0.01"), workspace)
        try Self.expectAllLines(10_000, workspace, agent)
    }

    @Test("Python opening the file with 'a' for every record: every record once, in order")
    func pythonAppendPerRecord() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()
        _ = try Python.run(
            """
            import json, os, sys, time
            path = os.path.join(sys.argv[1], "run", "log.jsonl")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            for i in range(3000):
                with open(path, "a") as f:
                    f.write(json.dumps({"i": i, "step": i}) + "\\n")
                if i % 250 == 0:
                    time.sleep(0.1)
            """, arguments: [workspace.drop])
        try Self.expectAllLines(3000, workspace, agent)
    }

    @Test("a writer holding the file open across flushes and pauses, and a >> between: all filed, once")
    func writerHoldingTheFileOpen() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        // The logger keeps its file open for the whole run; a shell line appends to the same
        // name meanwhile, and its close must not make the agent take the file from the logger.
        _ = try Python.run(
            """
            import json, os, subprocess, sys, time
            path = os.path.join(sys.argv[1], "run", "log.jsonl")
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "a") as f:
                for i in range(50):
                    f.write(json.dumps({"i": i, "step": i}) + "\\n")
                    if i % 10 == 9:
                        f.flush()
                        if i == 9:
                            line = json.dumps({"i": 1000, "step": 1000})
                            subprocess.run(["bash", "-c", 'printf "%s\\\\n" "$1" >> "$0"', path, line], check=True)
                        time.sleep(0.2)
            """, arguments: [workspace.drop])
        try Self.waitForLines(51, workspace, agent)
        let expected = try Python.run(
            """
            import json
            for i in list(range(10)) + [1000] + list(range(10, 50)):
                print(json.dumps({"i": i, "step": i}))
            """)
        #expect(workspace.text(workspace.out + "/run/scalars.json") == expected)
        #expect(!workspace.exists(workspace.drop + "/.rejected"), "rejected: \(agent.log.suffix(2000))")
        #expect(try agent.terminate() == 0)
    }

    @Test("hard links from outside the drop tree (a scalar file and an image) are filed at once")
    func hardLinksFromOutside() throws {
        let workspace = try TestWorkspace()
        // The run folder is watched before the links are made: only their own events can file them.
        try FileManager.default.createDirectory(
            atPath: workspace.drop + "/run", withIntermediateDirectories: true)
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let record = #"{"m": 0.5, "step": 3}"#
        let scalarOutside = workspace.staging + "/m.json"
        #expect(FileManager.default.createFile(atPath: scalarOutside, contents: Data(record.utf8)))
        let imageOutside = workspace.staging + "/tiny_2.npy"
        try FileManager.default.copyItem(
            atPath: try Fixtures.directory() + "/images/tiny_2.npy", toPath: imageOutside)
        #expect(link(scalarOutside, workspace.drop + "/run/m.json") == 0)
        #expect(link(imageOutside, workspace.drop + "/run/tiny_2.npy") == 0)
        let png = workspace.out + "/run/vis_image/tiny_2.png"
        try eventually("both links to be filed; log:\n\(agent.log)") {
            workspace.text(workspace.out + "/run/scalars.json").hasSuffix("\n") && workspace.exists(png)
                && workspace.visibleDropFiles().isEmpty
        }
        #expect(
            workspace.text(workspace.out + "/run/scalars.json") == (try Python.expectedScalarLines([record])))
        let reference = try PNGDecoder.decode(
            try workspace.bytes(try Fixtures.directory() + "/images/expected/vis_image/tiny_2.png"))
        #expect(try PNGDecoder.decode(try workspace.bytes(png)) == reference)
        // The names outside are the writer's: untouched.
        #expect(workspace.text(scalarOutside) == record)
        #expect(try agent.terminate() == 0)
    }

    /// Python with numpy: `open_memmap` arrays filled `delay` seconds after creation; prints
    /// each array's pixels, one line each, and fails if numpy ever raises.
    static func memmapWriter(count: Int, delay: Double) -> String {
        """
        import os, sys, time
        import numpy as np
        run = os.path.join(sys.argv[1], "run")
        os.makedirs(run, exist_ok=True)
        for k in range(\(count)):
            y, x = np.mgrid[0:16, 0:24]
            data = np.stack([(x * 9 + k) % 256, (y * 13 + 3 * k) % 256, np.full_like(x, (7 * k) % 256)], axis=-1).astype(np.uint8)
            array = np.lib.format.open_memmap(os.path.join(run, f"mm_{k}.npy"), mode="w+", dtype=np.uint8, shape=data.shape)
            time.sleep(\(delay))
            array[:] = data
            array.flush()
            del array
            print(",".join(map(str, data.ravel())))
        """
    }

    static func expectMemmapImages(_ pixels: String, _ workspace: TestWorkspace, _ agent: AgentProcess) throws
    {
        let lines = pixels.split(separator: "\n")
        for k in lines.indices {
            let png = workspace.out + "/run/vis_image/mm_\(k).png"
            try eventually("mm_\(k).png; log:\n\(agent.log.suffix(3000))") {
                workspace.exists(png) && !workspace.exists(workspace.drop + "/run/mm_\(k).npy")
            }
            let decoded = try PNGDecoder.decode(try workspace.bytes(png))
            #expect(decoded.width == 24 && decoded.height == 16 && decoded.channels == 3)
            #expect(decoded.samples == .eightBit(try pixelValues(String(lines[k]))), "mm_\(k).png")
        }
        #expect(!workspace.exists(workspace.drop + "/.rejected"), "rejected: \(agent.log.suffix(2000))")
        #expect(try agent.terminate() == 0)
    }

    @Test("numpy open_memmap filled at once, 50 times: every PNG is the data, numpy never fails")
    func memmapFilledAtOnce() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let pixels = try Python.run(Self.memmapWriter(count: 50, delay: 0), arguments: [workspace.drop])
        try Self.expectMemmapImages(pixels, workspace, agent)
    }

    @Test("numpy open_memmap filled 0.5 s after creation: the PNG is the data, not zeros")
    func memmapFilledLater() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let pixels = try Python.run(Self.memmapWriter(count: 4, delay: 0.5), arguments: [workspace.drop])
        try Self.expectMemmapImages(pixels, workspace, agent)
    }

    @Test("--archive keeps every source of the same name: m.json, then m.json.1")
    func archiveKeepsSameNames() throws {
        let workspace = try TestWorkspace()
        let archive = workspace.root + "/archive"
        let agent = try AgentProcess(
            workspace.watchArguments(["--archive", archive]), logPath: workspace.log)
        try agent.waitUntilWatching()
        let records = [#"{"m": 1}"#, #"{"m": 2}"#]
        for (index, record) in records.enumerated() {
            try workspace.writeByRename("run/m.json", Array(record.utf8))
            try eventually("record \(index + 1) to be filed") {
                workspace.text(workspace.out + "/run/scalars.json").split(separator: "\n").count == index + 1
                    && workspace.visibleDropFiles().isEmpty
            }
        }
        try eventually("both sources in the archive") { workspace.exists(archive + "/run/m.json.1") }
        #expect(workspace.text(archive + "/run/m.json") == records[0])
        #expect(workspace.text(archive + "/run/m.json.1") == records[1])
        #expect(try agent.terminate() == 0)
    }

    @Test("a new version renamed over a file between the agent's read and its claim is filed, not lost")
    func replacedBetweenReadAndClaim() throws {
        let workspace = try TestWorkspace()
        // The agent pauses between reading a file and claiming it, and says so: the writer renames
        // its next version over the name in that moment, so the claim takes the new file.
        let agent = try AgentProcess(
            workspace.watchArguments(), logPath: workspace.log,
            environment: ["VISDROP_TEST_CLAIM_DELAY_MS": "500"])
        try agent.waitUntilWatching()
        try workspace.writeByRename("run/latest.json", Array(#"{"version": 1, "step": 1}"#.utf8))
        try eventually("the agent to read the first version") {
            agent.log.contains("pausing before the claim")
        }
        try workspace.writeByRename("run/latest.json", Array(#"{"version": 2, "step": 2}"#.utf8))
        let scalars = workspace.out + "/run/scalars.json"
        try eventually("the second version to be filed; log:\n\(agent.log.suffix(3000))", deadline: 60) {
            workspace.text(scalars).contains(#""version": 2"#) && workspace.visibleDropFiles().isEmpty
                && Self.claimedFiles(workspace).isEmpty
        }
        // The first version was replaced before it was taken: only the second is filed, once.
        let expected = try Python.run("import json; print(json.dumps({'version': 2, 'step': 2}))")
        #expect(workspace.text(scalars) == expected)
        #expect(!workspace.exists(workspace.drop + "/.rejected"), "rejected: \(agent.log.suffix(2000))")
        #expect(try agent.terminate() == 0)
    }
}
