import Foundation
import Testing

/// The real `visdrop` binary, started on temporary folders, as a training host would run it.
final class AgentProcess {
    let process = Process()
    let logPath: String

    /// The built binary: `VISDROP_BINARY`, else `.build/debug/visdrop` beside this package.
    static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["VISDROP_BINARY"] { return path }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent()
            .deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/visdrop").path
    }

    /// Starts `visdrop <arguments>` with its log written to `logPath`.
    init(_ arguments: [String], logPath: String) throws {
        let binary = Self.binaryPath
        guard FileManager.default.isExecutableFile(atPath: binary) else {
            throw TestFailure(
                "the visdrop binary is missing at \(binary): run `swift build --product visdrop` first")
        }
        self.logPath = logPath
        _ = FileManager.default.createFile(atPath: logPath, contents: nil)
        let log = try FileHandle(forWritingTo: URL(fileURLWithPath: logPath))
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.standardError = log
        process.standardOutput = log
        try process.run()
    }

    /// Runs `visdrop <arguments>` to completion and returns its exit status and log.
    static func run(_ arguments: [String], logPath: String) throws -> (status: Int32, log: String) {
        let agent = try AgentProcess(arguments, logPath: logPath)
        agent.process.waitUntilExit()
        return (agent.process.terminationStatus, agent.log)
    }

    /// Everything the agent has logged so far.
    var log: String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// Waits until the agent logs that it is watching (its backlog has been listed).
    func waitUntilWatching() throws {
        try eventually("the agent to start watching; log:\n\(log)") { self.log.contains("watching") }
    }

    /// Sends SIGTERM and waits for the exit; returns the exit status.
    func terminate() throws -> Int32 {
        process.terminate()
        try eventually("the agent to exit after SIGTERM") { !self.process.isRunning }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// A failure with a message, thrown from test support code.
struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Polls `condition` until it holds, failing after a generous deadline (never a timing assertion).
func eventually(
    _ what: @autoclosure () -> String, deadline seconds: Double = 120, _ condition: () throws -> Bool
) throws {
    let end = Date().addingTimeInterval(seconds)
    while Date() < end {
        if try condition() { return }
        usleep(20_000)
    }
    throw TestFailure("timed out after \(Int(seconds)) s waiting for \(what())")
}
