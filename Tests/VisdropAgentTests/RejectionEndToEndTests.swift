import Foundation
import Testing

/// Every kind of bad drop is set aside with its reason, byte for byte, and the agent goes on.
@Suite("rejected drops")
struct RejectionEndToEndTests {
    /// A bad file: its name in the drop folder, how to make its bytes, and a word its reason must contain.
    struct BadDrop: CustomStringConvertible, Sendable {
        let name: String
        let reasonMentions: String
        let make: @Sendable (TestWorkspace) throws -> [UInt8]
        var description: String { name }
    }

    static let badDrops: [BadDrop] = [
        BadDrop(name: "bad_magic_1.npy", reasonMentions: "magic") { _ in Array("not an npy file at all".utf8)
        },
        BadDrop(name: "truncated_1.npy", reasonMentions: "bytes") { workspace in
            let whole = try workspace.bytes(try Fixtures.directory() + "/images/small_2.npy")
            return Array(whole.dropLast(7))
        },
        BadDrop(name: "complex_1.npy", reasonMentions: "c8") { workspace in
            try numpyArray("np.zeros((4, 4), dtype=np.complex64)", workspace)
        },
        BadDrop(name: "int32_1.npy", reasonMentions: "int32") { workspace in
            try numpyArray("np.zeros((4, 4, 3), dtype=np.int32)", workspace)
        },
        BadDrop(name: "line_1.npy", reasonMentions: "shape") { workspace in
            try numpyArray("np.zeros((16,), dtype=np.uint8)", workspace)
        },
        BadDrop(name: "broken.json", reasonMentions: "JSON") { _ in Array(#"{"loss": 0.5,"#.utf8) },
        BadDrop(name: "list.json", reasonMentions: "object") { _ in Array("[1, 2, 3]".utf8) },
        BadDrop(name: "lines.jsonl", reasonMentions: "record 2") { _ in Array("{\"a\": 1}\n[2]\n".utf8) },
        BadDrop(name: "broken.yaml", reasonMentions: "YAML") { _ in Array("a: [1, 2\nb: {".utf8) },
        BadDrop(name: "list.yaml", reasonMentions: "mapping") { _ in Array("- 1\n- 2\n".utf8) },
        BadDrop(name: "notes.txt", reasonMentions: "not a kind") { _ in Array("hello".utf8) },
    ]

    @Test("each bad drop is moved to .rejected with a reason", arguments: badDrops)
    func rejected(_ bad: BadDrop) throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        let bytes = try bad.make(workspace)
        try workspace.writeByRename("run/\(bad.name)", bytes)
        let rejected = workspace.drop + "/.rejected/run/\(bad.name)"
        try eventually("\(bad.name) to be rejected; log:\n\(agent.log)") {
            workspace.isSetAside(rejected)
        }
        #expect(try workspace.bytes(rejected) == bytes, "the rejected file must be kept byte for byte")
        let reason = workspace.text(rejected + ".reason.txt")
        #expect(reason.contains(bad.reasonMentions), "reason: \(reason)")
        #expect(!workspace.exists(workspace.drop + "/run/\(bad.name)"))
        // The reason file is written before the rejection is logged.
        try eventually("the rejection to be logged; log:\n\(agent.log)") { agent.log.contains("rejected") }
        // The agent keeps going.
        try workspace.writeByRename("run/after.json", Array(#"{"after": 1}"#.utf8))
        try eventually("a good file after the bad one to be filed") {
            workspace.text(workspace.out + "/run/scalars.json") == "{\"after\": 1, \"step\": 0}\n"
        }
        #expect(try agent.terminate() == 0)
    }

    @Test("a symbolic link is never followed: it is set aside, and its target is untouched")
    func symbolicLinkRejected() throws {
        let workspace = try TestWorkspace()
        let target = workspace.staging + "/secret.json"
        try Data(#"{"secret": 1}"#.utf8).write(to: URL(fileURLWithPath: target))
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
        try FileManager.default.createSymbolicLink(
            atPath: workspace.drop + "/link.json", withDestinationPath: target)
        try eventually("the link to be rejected; log:\n\(agent.log)") {
            workspace.isSetAside(workspace.drop + "/.rejected/link.json")
        }
        #expect(workspace.text(workspace.drop + "/.rejected/link.json.reason.txt").contains("symbolic link"))
        #expect(workspace.text(target) == #"{"secret": 1}"#)
        #expect(!workspace.exists(workspace.out + "/scalars.json"))
        #expect(try agent.terminate() == 0)
    }

    @Test("a rejected file never shows up in .rejected without its reason beside it")
    func reasonBeforeRejectedFile() throws {
        let workspace = try TestWorkspace()
        let agent = try AgentProcess(workspace.watchArguments(logLevel: "info"), logPath: workspace.log)
        try agent.waitUntilWatching()
        let count = 300
        for index in 0..<count {
            try workspace.writeByRename("run/bad_\(index).json", Array("[\(index)]".utf8))
        }
        // While the agent sets them aside, look at .rejected as fast as possible: every rejected
        // file seen must have its reason file already.
        let report = try Python.run(
            """
            import os, sys, time
            folder, count = sys.argv[1], int(sys.argv[2])
            seen, missing = set(), 0
            deadline = time.time() + 120
            while len(seen) < count and time.time() < deadline:
                try:
                    names = os.listdir(folder)
                except FileNotFoundError:
                    continue
                for name in names:
                    # Reason files, and the hidden temporary names they are written under.
                    if name.endswith(".reason.txt") or name.startswith(".") or name in seen:
                        continue
                    seen.add(name)
                    if not os.path.exists(os.path.join(folder, name + ".reason.txt")):
                        missing += 1
            print(len(seen), missing)
            """, arguments: [workspace.drop + "/.rejected/run", "\(count)"])
        #expect(report == "\(count) 0\n", "rejected files seen, and seen without their reason: \(report)")
        #expect(try agent.terminate() == 0)
    }

    static func numpyArray(_ expression: String, _ workspace: TestWorkspace) throws -> [UInt8] {
        let path = workspace.staging + "/\(UUID().uuidString).npy"
        _ = try Python.run("import numpy as np, sys; np.save(sys.argv[1], \(expression))", arguments: [path])
        return try workspace.bytes(path)
    }
}
