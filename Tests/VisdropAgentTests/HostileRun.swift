import Foundation
import Testing

/// One agent on a fresh workspace, with the checks every hostile case shares.
struct HostileRun {
    let workspace: TestWorkspace
    let agent: AgentProcess

    /// Starts `visdrop watch` on `workspace` (a fresh one by default) with `run/` already made.
    init(_ workspace: TestWorkspace? = nil) throws {
        let workspace = try workspace ?? TestWorkspace()
        try FileManager.default.createDirectory(
            atPath: workspace.drop + "/run", withIntermediateDirectories: true)
        self.workspace = workspace
        agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.log)
        try agent.waitUntilWatching()
    }

    /// Runs `Fixtures/hostile/make_hostile_drop.py CASE PATH [ARGUMENT]`.
    static func makeHostileFile(_ hostileCase: String, at path: String, argument: String? = nil) throws {
        let script = try Fixtures.directory() + "/hostile/make_hostile_drop.py"
        _ = try Python.run(
            "import runpy, sys; sys.argv = sys.argv[1:]; runpy.run_path(sys.argv[0], run_name='__main__')",
            arguments: [script, hostileCase, path] + (argument.map { [$0] } ?? []))
    }

    /// Makes a hostile file in the staging folder and renames it to `run/<name>`; returns its bytes.
    func dropHostileFile(_ hostileCase: String, as name: String) throws -> [UInt8] {
        let staged = workspace.staging + "/" + UUID().uuidString
        try Self.makeHostileFile(hostileCase, at: staged)
        let bytes = try workspace.bytes(staged)
        try workspace.moveIntoDrop(staged, as: "run/" + name)
        return bytes
    }

    /// Where `run/<name>` is set aside.
    func rejected(_ name: String) -> String {
        workspace.drop + "/.rejected/run/" + name
    }

    /// Waits until `run/<name>` is set aside; checks its reason mentions each of `phrases`, the
    /// rejection is logged, and (given `bytes`) that it was kept byte for byte.
    func expectRejected(_ name: String, mentioning phrases: [String], bytes: [UInt8]? = nil) throws {
        try eventually("run/\(name) to be set aside; log:\n\(agent.log)") {
            workspace.isSetAside(rejected(name))
        }
        let reason = workspace.text(rejected(name) + ".reason.txt")
        #expect(reason.hasPrefix("run/\(name): "), "reason: \(reason)")
        for phrase in phrases {
            #expect(reason.contains(phrase), "reason: \(reason)")
        }
        if let bytes { #expect(try workspace.bytes(rejected(name)) == bytes) }
        var info = stat()
        #expect(lstat(workspace.drop + "/run/" + name, &info) != 0, "run/\(name) must be gone from run/")
        try eventually("the rejection of run/\(name) to be logged; log:\n\(agent.log)") {
            agent.log.contains("file=run/\(name) kind=")
        }
    }

    /// Drops an ordinary scalar file into `<directory>/` and waits until it is filed.
    func fileNormalDrop(in directory: String = "run") throws {
        let scalars = workspace.out + "/\(directory)/scalars.json"
        let before = workspace.text(scalars)
        try workspace.writeByRename("\(directory)/after.json", Array(#"{"after": 1}"#.utf8))
        let expected = try before + Python.expectedScalarLines([#"{"after": 1}"#])
        try eventually("a normal file dropped afterwards to be filed; log:\n\(agent.log)") {
            workspace.text(scalars) == expected
        }
    }

    /// Checks the agent still files a normal drop, that its peak memory stayed under
    /// `memoryBound` bytes, and that it stops cleanly.
    func finish(memoryBound: Int, label: String = "", sourceLocation: SourceLocation = #_sourceLocation)
        throws
    {
        try fileNormalDrop()
        let peak = try agent.peakResidentBytes()
        print("VmHWM of \(Test.current?.name ?? "?") \(label): \(peak >> 10) kB")
        #expect(peak < memoryBound, "peak resident memory \(peak) bytes", sourceLocation: sourceLocation)
        #expect(try agent.terminate() == 0, sourceLocation: sourceLocation)
    }
}
