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
    init(_ arguments: [String], logPath: String, environment: [String: String] = [:]) throws {
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
        if !environment.isEmpty {
            process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        }
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

    /// The names of the agent's threads now (`/proc/<pid>/task/*/comm`), sorted.
    func threadNames() throws -> [String] {
        let tasks = "/proc/\(process.processIdentifier)/task"
        return try FileManager.default.contentsOfDirectory(atPath: tasks).compactMap {
            try? String(contentsOfFile: "\(tasks)/\($0)/comm", encoding: .utf8)
                .trimmingCharacters(in: .newlines)
        }.sorted()
    }

    /// The agent's peak resident memory so far, in bytes: `VmHWM` in `/proc/<pid>/status`.
    ///
    /// Read it while the agent runs (before `terminate`): the kernel forgets it at exit.
    func peakResidentBytes() throws -> Int {
        let statusPath = "/proc/\(process.processIdentifier)/status"
        let status = try String(contentsOfFile: statusPath, encoding: .utf8)
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }) else {
            throw TestFailure("no VmHWM line in \(statusPath)")
        }
        let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
        guard fields.count == 3, fields[2] == "kB", let kilobytes = Int(fields[1]) else {
            throw TestFailure("cannot read \(line) in \(statusPath)")
        }
        return kilobytes * 1024
    }

    /// Stops the agent (SIGSTOP) while `body` runs, so that what `body` does queues up as inotify
    /// events the agent then handles in order; it always continues afterwards (SIGCONT).
    func whilePaused(_ body: () throws -> Void) throws {
        kill(process.processIdentifier, SIGSTOP)
        defer { kill(process.processIdentifier, SIGCONT) }
        try eventually("the agent to stop") { try processState() == "T" }
        try body()
    }

    /// The state letter in `/proc/<pid>/stat` (R, S, T, ...).
    private func processState() throws -> String {
        let stat = try String(contentsOfFile: "/proc/\(process.processIdentifier)/stat", encoding: .utf8)
        // "pid (comm) S ...": the state follows the last parenthesis.
        guard let close = stat.lastIndex(of: ")") else { throw TestFailure("cannot parse \(stat)") }
        return String(stat[stat.index(after: close)...].dropFirst().prefix(1))
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

/// Runs `program` with `arguments` to completion, failing with its standard error (and what the
/// test needs it for, `purpose`) when it exits non-zero.
///
/// Standard error goes to a file, not a pipe: a program that leaves a daemon behind (bindfs)
/// would hold a pipe open, and reading it to its end would never return.
func runProgram(_ program: String, _ arguments: [String], purpose: String) throws {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: program)
    process.arguments = arguments
    let errorPath = FileManager.default.temporaryDirectory.appendingPathComponent(
        "visdrop-test-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errorPath.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorPath) }
    process.standardError = try FileHandle(forWritingTo: errorPath)
    process.standardOutput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        let message = (try? String(contentsOf: errorPath, encoding: .utf8)) ?? ""
        throw TestFailure("\(program) \(arguments) failed (\(purpose)): " + message)
    }
}
