import Foundation
import Testing
import VisdropNPY
import VisdropPNG

/// The kernel's event queue overflowing, and a full disk: nothing lost, nothing twice.
@Suite("overflow and write failures, end to end")
struct ReliabilityEndToEndTests {
    @Test("more files than the inotify queue holds, dropped while the agent is stopped: all filed, in order")
    func inotifyQueueOverflow() throws {
        let workspace = try TestWorkspace()
        let limit =
            Int(
                workspace.text("/proc/sys/fs/inotify/max_queued_events").trimmingCharacters(
                    in: .whitespacesAndNewlines)) ?? 16384
        let count = max(20_000, limit + 4_000)
        // The run directory exists (and is watched) before the agent stops, so every rename is an event.
        try FileManager.default.createDirectory(
            atPath: workspace.drop + "/run", withIntermediateDirectories: true)
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()
        kill(agent.process.processIdentifier, SIGSTOP)
        let staging = workspace.staging
        var records: [String] = []
        records.reserveCapacity(count)
        for id in 0..<count {
            let record = #"{"id": \#(id), "step": \#(id)}"#
            records.append(record)
            let staged = staging + "/s_\(id).json"
            guard FileManager.default.createFile(atPath: staged, contents: Data(record.utf8)) else {
                throw TestFailure("cannot write \(staged)")
            }
            try workspace.moveIntoDrop(staged, as: "run/s_\(id).json")
        }
        kill(agent.process.processIdentifier, SIGCONT)
        try eventually("\(count) files to be filed; log:\n\(agent.log.suffix(2000))", deadline: 600) {
            workspace.visibleDropFiles().isEmpty
        }
        #expect(try agent.terminate() == 0)
        // Polling has no event queue to overflow: there, only that every file is filed counts.
        #expect(
            TestWorkspace.isPolling || agent.log.contains("the inotify queue overflowed"),
            "the queue did not overflow: \(count) files")
        #expect(
            workspace.text(workspace.out + "/run/scalars.json") == (try Python.expectedScalarLines(records)))
    }

    @Test(
        "a full disk: sources are kept, the agent retries and says so, and files everything once there is room"
    )
    func diskFull() throws {
        let workspace = try TestWorkspace()
        let out = workspace.out
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        // A real small file system: a 1 MiB tmpfs, grown once the agent has hit its limit.
        try mount(["-t", "tmpfs", "-o", "size=1m", "tmpfs", out])
        defer { try? mount(["-u"] + [out]) }
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()

        // Ten 256x256 noise images (about 200 KB of PNG each) and scalar files: more than 1 MiB.
        let staging = workspace.staging
        _ = try Python.run(
            """
            import json, sys, numpy as np
            rng = np.random.default_rng(7)
            for k in range(10):
                np.save(f'{sys.argv[1]}/noise_{k}.npy', rng.integers(0, 256, (256, 256, 3), dtype=np.uint8))
            for k in range(50):
                with open(f'{sys.argv[1]}/m_{k}.json', 'w') as f:
                    json.dump({'id': k, 'step': k}, f)
            """, arguments: [staging])
        for k in 0..<10 { try workspace.moveIntoDrop(staging + "/noise_\(k).npy", as: "run/noise_\(k).npy") }
        try eventually("the agent to run out of space; log:\n\(agent.log.suffix(3000))") {
            agent.log.contains("keeping the source and retrying")
        }
        var records: [String] = []
        for k in 0..<50 {
            try workspace.moveIntoDrop(staging + "/m_\(k).json", as: "run/m_\(k).json")
            records.append(#"{"id": \#(k), "step": \#(k)}"#)
        }
        #expect(!workspace.visibleDropFiles().isEmpty, "every source was removed although the disk was full")
        #expect(
            agent.log.contains("No space left on device") || agent.log.contains("no space"),
            "\(agent.log.suffix(2000))")

        try mount(["-o", "remount,size=64m", out])
        try eventually("everything to be filed once there is room; log:\n\(agent.log.suffix(3000))") {
            workspace.visibleDropFiles().isEmpty
        }
        #expect(try agent.terminate() == 0)
        // Each kept source is retried after 1, 2, 4 … s: a few attempts each, never a spin.
        let retries = agent.log.components(separatedBy: "keeping the source and retrying").count - 1
        #expect(retries <= 60 * 8, "\(retries) retries for 60 files")
        #expect(workspace.text(out + "/run/scalars.json") == (try Python.expectedScalarLines(records)))
        for k in 0..<10 {
            // The arrays as numpy wrote them (they were moved, so generate them again the same way).
            let expected = try Python.run(
                """
                import numpy as np
                rng = np.random.default_rng(7)
                arrays = [rng.integers(0, 256, (256, 256, 3), dtype=np.uint8) for _ in range(10)]
                print(','.join(map(str, arrays[\(k)].ravel())))
                """)
            let decoded = try PNGDecoder.decode(try workspace.bytes(out + "/run/vis_image/noise_\(k).png"))
            #expect(decoded.samples == .eightBit(try pixelValues(expected)), "noise_\(k)")
        }
    }

    /// Runs mount(8) (or umount(8) with "-u" first), failing the test with the reason.
    private func mount(_ arguments: [String]) throws {
        let unmount = arguments.first == "-u"
        try runProgram(
            unmount ? "/usr/bin/umount" : "/usr/bin/mount",
            unmount ? Array(arguments.dropFirst()) : arguments,
            purpose: "this test needs root to mount a small tmpfs")
    }
}
