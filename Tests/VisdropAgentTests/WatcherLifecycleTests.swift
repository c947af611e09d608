import Foundation
import Logging
import Testing
import VisdropAgent

/// How the running agent stops: cancelled, or because its watcher died; and that it leaves no
/// file of its own in the user's folders just to wake a thread.
@Suite("watcher and service lifecycle")
struct WatcherLifecycleTests {
    /// The agent's own threads in this process (`/proc/self/task/*/comm`).
    static func agentThreads() -> [String] {
        let tasks = "/proc/self/task"
        let names = (try? FileManager.default.contentsOfDirectory(atPath: tasks)) ?? []
        return names.compactMap {
            try? String(contentsOfFile: "\(tasks)/\($0)/comm", encoding: .utf8).trimmingCharacters(
                in: .newlines)
        }.filter { $0 == "vd-filer" || $0 == "vd-watcher" }
    }

    @Test("cancelling WatchService's task stops its filer and watcher threads")
    func cancellationStopsTheService() async throws {
        let workspace = try TestWorkspace()
        var options = AgentOptions()
        options.dropDirectory = workspace.drop
        options.outputDirectory = workspace.out
        let service = WatchService(options: options, logger: Logger(label: "visdrop-test"))
        let task = Task { try await service.run() }
        // Waits that sleep instead of blocking: the service runs on the same small pool of threads
        // as the other tests, whose waits block theirs.
        try await Self.eventuallyAsleep("the service's threads to start: \(Self.agentThreads())") {
            Self.agentThreads().count == 2
        }
        task.cancel()
        _ = try? await task.value
        try await Self.eventuallyAsleep("the filer and watcher threads to end: \(Self.agentThreads())") {
            Self.agentThreads().isEmpty
        }
    }

    /// `eventually`, sleeping between looks instead of blocking its thread.
    static func eventuallyAsleep(_ what: @autoclosure () -> String, _ condition: () -> Bool) async throws {
        let end = Date().addingTimeInterval(300)
        while Date() < end {
            if condition() { return }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        throw TestFailure("timed out after 300 s waiting for \(what())")
    }

    @Test(
        "a watcher that can no longer read events stops the agent: exit status 4, the cause in the log",
        .disabled(if: TestWorkspace.isPolling, "a polling agent reads no inotify events"))
    func deadWatcherStopsTheAgent() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(
            workspace.watchArguments(logLevel: "info"), logPath: workspace.log,
            environment: ["VISDROP_TEST_WATCHER_FAILS_AFTER": "1"])
        try agent.waitUntilWatching()
        try workspace.writeByRename("run/a.json", Array(#"{"a": 1}"#.utf8))
        try eventually("the agent to stop on its own; log:\n\(agent.log)", deadline: 60) {
            !agent.process.isRunning
        }
        #expect(agent.process.terminationStatus == 4, "\(agent.log)")
        #expect(agent.log.contains("the watcher stopped"), "\(agent.log)")
        #expect(
            agent.log.contains("VISDROP_TEST_WATCHER_FAILS_AFTER"), "the cause must be named: \(agent.log)")
    }

    @Test("no file in OUT or DROP exists only to wake a thread, and SIGTERM still stops the agent at once")
    func noWakeUpFile() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        #expect(try agent.terminate() == 0)
        let state = (try? FileManager.default.contentsOfDirectory(atPath: workspace.out + "/.visdrop")) ?? []
        #expect(state == ["scalar-journal"], "the agent's state folder holds \(state)")
        let drop = try FileManager.default.contentsOfDirectory(atPath: workspace.drop)
        #expect(drop.allSatisfy { $0 == ".visdrop-trash" }, "the drop folder holds \(drop)")
    }
}
