import Foundation
import Testing

/// inotify runs out of watches: `fs.inotify.max_user_watches` lowered to 200 with 300 run
/// folders. The limit is the whole machine's (for every process of the user), so this suite runs
/// alone, as its own step of `scripts/test` (`VISDROP_TEST_INOTIFY_LIMIT=1`), as root, and puts
/// the limit back afterwards.
@Suite(
    "inotify out of watches: folders without one are polled",
    .enabled(
        if: ProcessInfo.processInfo.environment["VISDROP_TEST_INOTIFY_LIMIT"] == "1" && getuid() == 0,
        "runs alone, as root, with VISDROP_TEST_INOTIFY_LIMIT=1 (scripts/test does so)"))
struct InotifyLimitEndToEndTests {
    static let limitPath = "/proc/sys/fs/inotify/max_user_watches"

    @Test("300 run folders, 200 watches: every file in every folder is filed, one warning names the sysctl")
    func everyFolderFiledWhenWatchesRunOut() throws {
        let workspace = try TestWorkspace()
        let folders = 300
        for run in 0..<folders {
            try FileManager.default.createDirectory(
                atPath: workspace.drop + "/run\(run)", withIntermediateDirectories: true)
        }
        let saved = try String(contentsOfFile: Self.limitPath, encoding: .utf8)
        try "200\n".write(toFile: Self.limitPath, atomically: false, encoding: .utf8)
        defer { try? saved.write(toFile: Self.limitPath, atomically: false, encoding: .utf8) }

        let agent = try AgentProcess(
            workspace.watchArguments(["--poll-interval", "200ms"]), logPath: workspace.log)
        try agent.waitUntilWatching()
        var expected: [Int: String] = [:]
        for run in 0..<folders {
            let record = #"{"run": \#(run), "step": 1}"#
            expected[run] = record
            try workspace.writeByRename("run\(run)/metric_1.json", Array(record.utf8))
        }
        try eventually("every run folder's file to be filed; log:\n\(agent.log.suffix(3000))", deadline: 180)
        {
            workspace.visibleDropFiles().isEmpty
        }
        for run in [0, 150, 199, 200, 250, 299] {
            let expectedLine = try Python.expectedScalarLines([try #require(expected[run])])
            #expect(workspace.text(workspace.out + "/run\(run)/scalars.json") == expectedLine, "run\(run)")
        }
        let filedRuns = (0..<folders).filter {
            workspace.text(workspace.out + "/run\($0)/scalars.json").hasSuffix("\n")
        }
        #expect(filedRuns.count == folders)
        #expect(try agent.terminate() == 0)
        let warnings = agent.log.split(separator: "\n").filter { $0.contains("inotify has no watch left") }
        #expect(warnings.count == 1, "one warning, not one per folder: \(warnings.count)")
        #expect(warnings.first?.contains("sysctl fs.inotify.max_user_watches=") == true)
        #expect(warnings.first?.contains("fs.inotify.max_user_watches=200") == true, "\(warnings)")
    }
}
