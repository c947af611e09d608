import Foundation
import Testing

/// At `info`, the agent says what it is doing in summaries, not a line per file; every rejection
/// and every error still has its own line at once.
@Suite("log volume, end to end")
struct LogVolumeEndToEndTests {
    @Test("a 5,000-file burst at info level: a few summary lines, and one line for each rejection")
    func burstIsSummarised() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()
        let bad = ["bad_1.json", "bad_2.json", "bad_3.jsonl"]
        for step in 0..<5000 {
            try workspace.writeByRename(
                "burst/loss_\(step).json", Array(#"{"loss": 0.5, "step": \#(step)}"#.utf8))
            if step % 1500 == 1000 {
                try workspace.writeByRename("burst/\(bad[step / 1500])", Array(#"{"loss": "#.utf8))
            }
        }
        let scalars = workspace.out + "/burst/scalars.json"
        try eventually("5,000 lines and 3 rejections; log:\n\(agent.log.suffix(2000))", deadline: 300) {
            workspace.text(scalars).split(separator: "\n").count == 5000
                && bad.allSatisfy { workspace.isSetAside(workspace.drop + "/.rejected/burst/\($0)") }
        }
        // The summary of the burst comes at most 10 s after its first file.
        try eventually("the summary line; log:\n\(agent.log.suffix(2000))", deadline: 60) {
            agent.log.contains("] filing")
        }
        #expect(try agent.terminate() == 0)
        let lines = agent.log.split(separator: "\n")
        let info = lines.filter { $0.contains(" info ") }
        #expect(info.count <= 30, "\(info.count) info lines:\n\(info.prefix(40).joined(separator: "\n"))")
        let summaries = lines.filter { $0.contains("] filing") }
        #expect(summaries.contains { $0.contains("rejected=") && $0.contains("latency-p99=") })
        let filedInSummaries = summaries.compactMap { line -> Int? in
            guard let field = line.split(separator: " ").first(where: { $0.hasPrefix("filed=") }) else {
                return nil
            }
            return Int(field.dropFirst("filed=".count))
        }.reduce(0, +)
        #expect(filedInSummaries == 5000, "the summaries must count every filed file")
        for name in bad {
            #expect(
                lines.contains {
                    $0.contains(" error ") && $0.contains("file=burst/\(name)") && $0.contains("rejected")
                },
                "no error line for \(name)")
        }
        #expect(agent.log.contains("stopped: filed 5000"))
    }
}
