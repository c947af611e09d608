import Foundation
import Testing
import VisdropNPY
import VisdropPNG

/// The agent watching a real FUSE mount (bindfs) while writers write into the backing folder,
/// behind the mount's back: what a node of a cluster sees of another node's writes on NFS or
/// Lustre. inotify on the mount sees none of them; `auto` mode polls such file systems.
@Suite(
    "shared file systems: a bindfs mount written behind the agent's back",
    .enabled(if: BindfsMount.unavailableReason == nil, "\(BindfsMount.unavailableReason ?? "")"))
struct SharedFileSystemEndToEndTests {
    /// A workspace whose drop folder is a bindfs mount of `backing`.
    final class MountedWorkspace {
        let workspace: TestWorkspace
        let mount: BindfsMount
        var backing: String { mount.backing }
        var drop: String { mount.mountPoint }
        var out: String { workspace.out }

        init() throws {
            workspace = try TestWorkspace()
            mount = try BindfsMount(backing: workspace.root + "/backing", at: workspace.root + "/mounted")
        }

        /// `watch` on the mount in `auto` mode, polling every 100 ms.
        func watchArguments(_ extra: [String] = []) -> [String] {
            [
                "watch", "--drop", drop, "--out", out, "--settle-ms", "200", "--log-level", "debug",
                "--watch-mode", "auto", "--poll-interval", "100ms",
            ] + extra
        }

        /// Writes `bytes` to `relativePath` in the backing folder, in place.
        func writeBehind(_ relativePath: String, _ bytes: [UInt8]) throws {
            let path = backing + "/" + relativePath
            try FileManager.default.createDirectory(
                atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try Data(bytes).write(to: URL(fileURLWithPath: path))
        }

        /// Files left in the backing folder, outside the agent's own dot-folders.
        func backingFiles() -> [String] {
            guard let enumerator = FileManager.default.enumerator(atPath: backing) else { return [] }
            var files: [String] = []
            while let item = enumerator.nextObject() as? String {
                if item.split(separator: "/").contains(where: { $0.hasPrefix(".") }) {
                    if (item as NSString).lastPathComponent.hasPrefix(".") { enumerator.skipDescendants() }
                    continue
                }
                var isDirectory: ObjCBool = false
                if FileManager.default.fileExists(atPath: backing + "/" + item, isDirectory: &isDirectory),
                    !isDirectory.boolValue
                {
                    files.append(item)
                }
            }
            return files.sorted()
        }
    }

    @Test("inotify on the mount is blind to the backing folder; auto mode polls it and files every kind once")
    func everyKindFiledOnce() throws {
        let mounted = try MountedWorkspace()
        let agent = try AgentProcess(mounted.watchArguments(), logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        #expect(agent.log.contains("polling a folder inotify cannot see"), "log:\n\(agent.log)")
        #expect(agent.log.contains("file-system=fuse"), "log:\n\(agent.log)")
        let pixels = try Python.run(
            """
            import numpy as np, sys
            image = (np.arange(6 * 5 * 3) * 7 % 256).astype(np.uint8).reshape(6, 5, 3)
            np.save(sys.argv[1] + '/sample_4.npy', image)
            print(','.join(str(v) for v in image.reshape(-1)))
            """, arguments: [try Self.folder(mounted.backing + "/run")])
        var records: [String] = []
        for step in 1...5 {
            let record = #"{"loss": \#(1.0 / Double(step)), "step": \#(step)}"#
            records.append(record)
            try mounted.writeBehind("run/loss_\(step).json", Array((record + "\n").utf8))
        }
        try mounted.writeBehind("run/config.json", Array(#"{"lr": 0.01, "model": {"depth": 18}}"#.utf8))
        let run = mounted.out + "/run"
        try eventually("5 lines, the image and the config; log:\n\(agent.log)") {
            mounted.workspace.text(run + "/scalars.json").split(separator: "\n").count == 5
                && mounted.workspace.exists(run + "/vis_image/sample_4.png")
                && mounted.workspace.exists(run + "/config.py")
        }
        #expect(mounted.workspace.text(run + "/scalars.json") == (try Python.expectedScalarLines(records)))
        let decoded = try PNGDecoder.decode(try mounted.workspace.bytes(run + "/vis_image/sample_4.png"))
        #expect(decoded.samples == .eightBit(try pixelValues(pixels)))
        let config = try Python.run(
            "from mmengine.config import Config; import sys; c = Config.fromfile(sys.argv[1]); print(c.lr, c.model.depth)",
            arguments: [run + "/config.py"])
        #expect(config.trimmingCharacters(in: .whitespacesAndNewlines) == "0.01 18")
        try eventually("the sources to leave the backing folder") { mounted.backingFiles().isEmpty }
        // Polls go on: nothing is filed twice.
        usleep(600_000)
        #expect(mounted.workspace.text(run + "/scalars.json").split(separator: "\n").count == 5)
        #expect(try agent.terminate() == 0)
        #expect(agent.log.contains("filed 7 (image=1 scalars=5 config=1)"), "log:\n\(agent.log)")
    }

    @Test("a slow in-place writer (1 KiB every 100 ms for 3 s) is filed whole, never half-way")
    func slowInPlaceWriterFiledWhole() throws {
        let mounted = try MountedWorkspace()
        // The default settle time: a pause of the writer shorter than it is never taken for the end.
        let agent = try AgentProcess(
            mounted.watchArguments(["--settle-ms", "1000"]), logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        _ = try Self.folder(mounted.backing + "/slow")
        // A JSON Lines file and an array, each written 1 KiB at a time, 100 ms apart: cut lines
        // and a cut array data block sit in the file between writes.
        let result = try Python.run(
            """
            import io, json, sys, time, numpy as np
            folder = sys.argv[1]
            lines = ''.join(json.dumps({'loss': i / 7, 'tag': 'x' * (i % 13), 'step': i}) + '\\n' for i in range(300))
            image = (np.arange(40 * 30) % 251).astype(np.uint8).reshape(40, 30)
            buffer = io.BytesIO(); np.save(buffer, image); array = buffer.getvalue()
            with open(folder + '/loss.jsonl', 'w') as text, open(folder + '/frame_2.npy', 'wb') as binary:
                deadline = time.time() + 3
                written_text = written_array = 0
                while time.time() < deadline or written_text < len(lines) or written_array < len(array):
                    text.write(lines[written_text:written_text + 1024]); text.flush()
                    binary.write(array[written_array:written_array + 1024]); binary.flush()
                    written_text += 1024; written_array += 1024
                    time.sleep(0.1)
            print(len(lines.splitlines()))
            print(','.join(str(v) for v in image.reshape(-1)))
            """, arguments: [mounted.backing + "/slow"]
        ).split(separator: "\n")
        let expectedLines = try #require(Int(result[0]))
        let scalars = mounted.out + "/slow/scalars.json"
        try eventually("the JSON Lines file and the array to be filed; log:\n\(agent.log)") {
            mounted.workspace.exists(mounted.out + "/slow/vis_image/frame_2.png")
                && mounted.workspace.text(scalars).split(separator: "\n").count >= expectedLines
        }
        let expected = try Python.run(
            """
            import json
            for i in range(300):
                print(json.dumps({'loss': i / 7, 'tag': 'x' * (i % 13), 'step': i}))
            """)
        #expect(mounted.workspace.text(scalars) == expected)
        let decoded = try PNGDecoder.decode(
            try mounted.workspace.bytes(mounted.out + "/slow/vis_image/frame_2.png"))
        #expect(decoded.samples == .eightBit(try pixelValues(String(result[1]))))
        #expect(!mounted.workspace.exists(mounted.workspace.drop + "/.rejected"))
        #expect(try agent.terminate() == 0)
        #expect(!agent.log.contains("] rejected"), "log:\n\(agent.log)")
    }

    @Test("a file written under a temporary name and renamed in the backing folder is filed")
    func renamedInBehindTheMount() throws {
        let mounted = try MountedWorkspace()
        let agent = try AgentProcess(mounted.watchArguments(), logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        let record = #"{"acc": 0.5, "step": 3}"#
        try mounted.writeBehind("r/.acc_3.json.tmp", Array(record.utf8))
        usleep(500_000)  // Several polls: the temporary name is never a candidate.
        try FileManager.default.moveItem(
            atPath: mounted.backing + "/r/.acc_3.json.tmp", toPath: mounted.backing + "/r/acc_3.json")
        try eventually("the renamed file to be filed") {
            mounted.workspace.text(mounted.out + "/r/scalars.json").hasSuffix("\n")
        }
        #expect(
            mounted.workspace.text(mounted.out + "/r/scalars.json")
                == (try Python.expectedScalarLines([record])))
        #expect(try agent.terminate() == 0)
    }

    @Test("files in the backing folder before start are filed before those written after")
    func backlogFirst() throws {
        let mounted = try MountedWorkspace()
        var records: [String] = []
        for index in 0..<4 {
            let record = #"{"value": \#(index), "step": \#(index)}"#
            records.append(record)
            try mounted.writeBehind("b/v\(index).json", Array(record.utf8))
            let time = Date(timeIntervalSince1970: 1_700_000_000 + Double(index) * 60)
            try FileManager.default.setAttributes(
                [.modificationDate: time], ofItemAtPath: mounted.backing + "/b/v\(index).json")
        }
        let agent = try AgentProcess(mounted.watchArguments(), logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        let late = #"{"value": 99, "step": 99}"#
        records.append(late)
        try mounted.writeBehind("b/late.json", Array(late.utf8))
        try eventually("five lines") {
            mounted.workspace.text(mounted.out + "/b/scalars.json").split(separator: "\n").count == 5
        }
        #expect(
            mounted.workspace.text(mounted.out + "/b/scalars.json")
                == (try Python.expectedScalarLines(records)))
        #expect(try agent.terminate() == 0)
    }

    @Test("SIGKILL rounds while a writer drops files behind the mount: every record exactly once")
    func killedWhilePolling() throws {
        let mounted = try MountedWorkspace()
        var records: [String] = []
        var next = 0
        for _ in 0..<6 {
            let agent = try AgentProcess(
                mounted.watchArguments(), logPath: mounted.workspace.log,
                environment: ["VISDROP_CRASH_WINDOW_MS": "30"])
            for _ in 0..<15 {
                let record = #"{"n": \#(next), "step": \#(next)}"#
                records.append(record)
                try mounted.writeBehind("k/.n_\(next).json.tmp", Array(record.utf8))
                try FileManager.default.moveItem(
                    atPath: mounted.backing + "/k/.n_\(next).json.tmp",
                    toPath: mounted.backing + "/k/n_\(next).json")
                next += 1
                usleep(20_000)
            }
            usleep(UInt32.random(in: 100_000...600_000))
            kill(agent.process.processIdentifier, SIGKILL)
            agent.process.waitUntilExit()
        }
        let agent = try AgentProcess(mounted.watchArguments(), logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        try eventually("every dropped file to be filed") { mounted.backingFiles().isEmpty }
        #expect(try agent.terminate() == 0, "log:\n\(agent.log.suffix(4000))")
        let lines = mounted.workspace.text(mounted.out + "/k/scalars.json").split(separator: "\n").map(
            String.init)
        let numbers = try lines.map { line -> Int in
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            return try #require(object?["n"] as? Int)
        }
        #expect(numbers.sorted() == Array(0..<next), "every record once")
    }

    @Test("OUT on a FUSE mount (no O_TMPFILE there): outputs written through named temporaries, none left")
    func outputOnTheMount() throws {
        let workspace = try TestWorkspace()
        let mount = try BindfsMount(
            backing: workspace.root + "/out-backing", at: workspace.root + "/out-mounted")
        let agent = try AgentProcess(
            [
                "watch", "--drop", workspace.drop, "--out", mount.mountPoint, "--log-level", "debug",
            ], logPath: workspace.log)
        try agent.waitUntilWatching()
        try workspace.writeByRename("o/config.yaml", Array("lr: 0.1\n".utf8))
        try workspace.writeByRename("o/loss_1.json", Array(#"{"loss": 2.5, "step": 1}"#.utf8))
        try eventually("config.py and scalars.json on the mount") {
            workspace.exists(mount.mountPoint + "/o/config.py")
                && workspace.text(mount.mountPoint + "/o/scalars.json").hasSuffix("\n")
        }
        #expect(
            workspace.text(mount.backing + "/o/scalars.json")
                == (try Python.expectedScalarLines([#"{"loss": 2.5, "step": 1}"#])))
        let left = try FileManager.default.contentsOfDirectory(atPath: mount.backing + "/o")
        #expect(left.sorted() == ["config.py", "scalars.json"], "no temporary file is left: \(left)")
        // The journal's lock excludes a second agent using the same mount.
        let second = try AgentProcess.run(
            ["watch", "--drop", workspace.root + "/other-drop", "--out", mount.mountPoint],
            logPath: workspace.root + "/second.log")
        #expect(second.status == 3, "log:\n\(second.log)")
        #expect(second.log.contains("another visdrop is already filing"), "log:\n\(second.log)")
        #expect(try agent.terminate() == 0)
    }

    @Test(
        "with --watch-mode inotify on a FUSE mount, events miss what is written behind it: SIGHUP and the periodic rescan file it"
    )
    func rescanFilesWhatEventsMissed() throws {
        let mounted = try MountedWorkspace()
        let arguments = mounted.watchArguments(["--watch-mode", "inotify", "--rescan-interval", "0"])
        let agent = try AgentProcess(arguments, logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        let first = #"{"loss": 1.5, "step": 1}"#
        try mounted.writeBehind("h/loss_1.json", Array(first.utf8))
        usleep(1_500_000)
        // No event named it and no rescan is due: it waits.
        #expect(!mounted.workspace.exists(mounted.out + "/h/scalars.json"), "log:\n\(agent.log)")
        kill(agent.process.processIdentifier, SIGHUP)
        try eventually("SIGHUP's rescan to file it; log:\n\(agent.log)") {
            mounted.workspace.text(mounted.out + "/h/scalars.json").hasSuffix("\n")
        }
        #expect(agent.log.contains("rescan: files no event named are filed as found by the scan"))
        #expect(try agent.terminate() == 0)

        let periodic = try AgentProcess(
            mounted.watchArguments(["--watch-mode", "inotify", "--rescan-interval", "1s"]),
            logPath: mounted.workspace.root + "/periodic.log")
        try periodic.waitUntilWatching()
        let second = #"{"loss": 0.5, "step": 2}"#
        try mounted.writeBehind("h/loss_2.json", Array(second.utf8))
        try eventually("the periodic rescan to file it; log:\n\(periodic.log)") {
            mounted.workspace.text(mounted.out + "/h/scalars.json").split(separator: "\n").count == 2
        }
        #expect(
            mounted.workspace.text(mounted.out + "/h/scalars.json")
                == (try Python.expectedScalarLines([first, second])))
        #expect(try periodic.terminate() == 0)
    }

    @Test(
        "a polled file that never completes for its kind waits, then is set aside with its reason after the settle timeout"
    )
    func incompleteFileSetAsideAfterSettleTimeout() throws {
        let mounted = try MountedWorkspace()
        let agent = try AgentProcess(
            mounted.watchArguments(["--settle-timeout", "3s"]), logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        // A cut record and an array whose data stops short of what its header says.
        try mounted.writeBehind("t/loss_1.json", Array(#"{"loss": 0.25, "st"#.utf8))
        _ = try Python.run(
            """
            import io, sys, numpy as np
            buffer = io.BytesIO(); np.save(buffer, np.zeros((16, 16), np.uint8))
            open(sys.argv[1] + '/frame_1.npy', 'wb').write(buffer.getvalue()[:-100])
            """, arguments: [mounted.backing + "/t"])
        let started = Date()
        try eventually("the waits to be logged; log:\n\(agent.log)") {
            agent.log.components(separatedBy: "not complete for its kind yet").count > 2
        }
        // Waiting, not rejected: a writer elsewhere may still be at them.
        #expect(!mounted.workspace.exists(mounted.drop + "/.rejected/t/loss_1.json"))
        let reasons = [
            mounted.drop + "/.rejected/t/loss_1.json.reason.txt",
            mounted.drop + "/.rejected/t/frame_1.npy.reason.txt",
        ]
        try eventually("both to be set aside with their reasons; log:\n\(agent.log)") {
            mounted.workspace.isSetAside(mounted.drop + "/.rejected/t/loss_1.json")
                && mounted.workspace.isSetAside(mounted.drop + "/.rejected/t/frame_1.npy")
        }
        #expect(Date().timeIntervalSince(started) > 2, "set aside only after the settle timeout")
        for reason in reasons {
            #expect(
                mounted.workspace.text(reason).contains("settle-timeout"), "\(mounted.workspace.text(reason))"
            )
        }
        #expect(
            try mounted.workspace.bytes(mounted.drop + "/.rejected/t/loss_1.json")
                == Array(#"{"loss": 0.25, "st"#.utf8))
        #expect(!mounted.workspace.exists(mounted.out + "/t/scalars.json"))
        #expect(try agent.terminate() == 0)
    }

    @Test(
        "a polled file that still grows when the settle timeout has passed since it was first seen is filed whole, not set aside"
    )
    func growingFileOutlivesSettleTimeout() throws {
        let mounted = try MountedWorkspace()
        // The timeout counts from the file's last change: 2 s, while the writer takes about 4.5 s,
        // never pausing more than 300 ms, and the array is cut short until its last write.
        let agent = try AgentProcess(
            mounted.watchArguments(["--settle-timeout", "2s"]), logPath: mounted.workspace.log)
        try agent.waitUntilWatching()
        _ = try Self.folder(mounted.backing + "/g")
        let pixels = try Python.run(
            """
            import io, sys, time, numpy as np
            image = (np.arange(64 * 64) * 7 % 256).astype(np.uint8).reshape(64, 64)
            buffer = io.BytesIO(); np.save(buffer, image); array = buffer.getvalue()
            chunk = -(-len(array) // 15)
            with open(sys.argv[1] + '/frame_3.npy', 'wb') as f:
                for start in range(0, len(array), chunk):
                    f.write(array[start:start + chunk]); f.flush(); time.sleep(0.3)
            print(','.join(str(v) for v in image.reshape(-1)))
            """, arguments: [mounted.backing + "/g"])
        let png = mounted.out + "/g/vis_image/frame_3.png"
        try eventually("the array to be filed or set aside; log:\n\(agent.log)") {
            mounted.workspace.exists(png)
                || mounted.workspace.exists(mounted.drop + "/.rejected/g/frame_3.npy")
        }
        try #require(mounted.workspace.exists(png), "set aside while still growing; log:\n\(agent.log)")
        let decoded = try PNGDecoder.decode(try mounted.workspace.bytes(png))
        #expect(decoded.samples == .eightBit(try pixelValues(pixels)))
        #expect(
            agent.log.contains("not complete for its kind yet"), "it was seen cut short; log:\n\(agent.log)")
        #expect(!mounted.workspace.exists(mounted.drop + "/.rejected"), "log:\n\(agent.log)")
        #expect(try agent.terminate() == 0)
    }

    @Test(
        "a FUSE mount made under the drop folder after start is found by a rescan and polled: a slow writer behind it is filed whole"
    )
    func mountAppearingLaterIsPolled() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(
            workspace.watchArguments([
                "--watch-mode", "auto", "--poll-interval", "100ms", "--settle-ms", "1000", "--settle-timeout",
                "2s",
            ]),
            logPath: workspace.log)
        try agent.waitUntilWatching()
        let mount = try BindfsMount(backing: workspace.root + "/later-backing", at: workspace.drop + "/m")
        usleep(300_000)
        kill(agent.process.processIdentifier, SIGHUP)
        try eventually("the rescan to hand the mount to the polls; log:\n\(agent.log)") {
            agent.log.contains("polling a folder inotify cannot see (found by a rescan)")
        }
        // Written behind the mount 100 bytes every 100 ms: never filed half-way.
        _ = try Python.run(
            """
            import json, sys, time
            lines = ''.join(json.dumps({'loss': i / 3, 'step': i}) + '\\n' for i in range(60))
            with open(sys.argv[1] + '/loss.jsonl', 'w') as f:
                for start in range(0, len(lines), 100):
                    f.write(lines[start:start + 100]); f.flush(); time.sleep(0.1)
            """, arguments: [mount.backing])
        let expected = try Python.run(
            "import json\nfor i in range(60): print(json.dumps({'loss': i / 3, 'step': i}))")
        try eventually("the whole file to be filed; log:\n\(agent.log.suffix(3000))") {
            workspace.text(workspace.out + "/m/scalars.json").split(separator: "\n").count >= 60
        }
        #expect(workspace.text(workspace.out + "/m/scalars.json") == expected)
        // A file that never completes is set aside on its own mount (DROP/.rejected is on another
        // device): beside it, in m/.rejected.
        let junk = Array("not an array at all".utf8)
        try Data(junk).write(to: URL(fileURLWithPath: mount.backing + "/junk_1.npy"))
        try eventually("the junk to be set aside on the mount; log:\n\(agent.log.suffix(3000))") {
            workspace.isSetAside(workspace.drop + "/m/.rejected/junk_1.npy")
        }
        #expect(try workspace.bytes(mount.backing + "/.rejected/junk_1.npy") == junk)
        #expect(try agent.terminate() == 0)
    }

    /// Creates `path` (and its parents) and returns it.
    static func folder(_ path: String) throws -> String {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }
}
