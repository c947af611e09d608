import Foundation

/// The real `visdrop serve` (or `watch --serve`), started on a loopback port the kernel picks.
final class ServerProcess {
    let process = Process()
    let logPath: String
    private(set) var port = 0

    /// The built binary: `VISDROP_BINARY`, else `.build/debug/visdrop` beside this package.
    static var binaryPath: String {
        if let path = ProcessInfo.processInfo.environment["VISDROP_BINARY"] { return path }
        let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return packageRoot.appendingPathComponent(".build/debug/visdrop").path
    }

    /// Starts `visdrop <arguments>` and waits for its "serving … at http://HOST:PORT/" line.
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
        try eventually("the server to log its address; log:\n\(self.log)") {
            guard self.process.isRunning else { throw TestFailure("the server exited: \(self.log)") }
            guard let port = Self.port(in: self.log) else { return false }
            self.port = port
            return true
        }
    }

    /// Serves `directory` with `extra` arguments on port 0.
    convenience init(serving directory: String, logPath: String, _ extra: [String] = []) throws {
        try self.init(["serve", "--out", directory, "--port", "0"] + extra, logPath: logPath)
    }

    /// The port in the "serving … at http://host:PORT/" line.
    static func port(in log: String) -> Int? {
        guard let line = log.split(separator: "\n").first(where: { $0.contains("read-only at http://") }),
            let url = line.split(separator: " ").last(where: { $0.hasPrefix("http://") })
        else { return nil }
        let afterScheme = url.dropFirst("http://".count)
        guard let colon = afterScheme.lastIndex(of: ":") else { return nil }
        return Int(afterScheme[afterScheme.index(after: colon)...].prefix(while: \.isNumber))
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// A request to this server (raw target, sent as given).
    func get(_ target: String, headers: [String: String] = [:]) throws -> HTTPProbe.Reply {
        try HTTPProbe.get(target, port: port, headers: headers)
    }

    /// A request whose reply must be 200 with a JSON body, decoded.
    func json(_ target: String) throws -> [String: Any] {
        let reply = try get(target)
        guard reply.status == 200 else { throw TestFailure("GET \(target): \(reply.status) \(reply.text)") }
        guard let object = try JSONSerialization.jsonObject(with: Data(reply.body)) as? [String: Any] else {
            throw TestFailure("GET \(target): not a JSON object: \(reply.text)")
        }
        return object
    }

    func terminate() throws -> Int32 {
        process.terminate()
        try eventually("the server to exit after SIGTERM") { !self.process.isRunning }
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

/// A copy of the fixtures (an mmengine Runner's work_dir, mmengine's scalar lines) in a fresh
/// temporary folder, removed at the end.
final class ServedTree {
    let root: String
    var log: String { root + "/server.log" }
    var served: String { root + "/served" }

    init() throws {
        root =
            FileManager.default.temporaryDirectory.appendingPathComponent(
                "visdrop-viewer-\(UUID().uuidString)"
            ).path
        try FileManager.default.createDirectory(atPath: served, withIntermediateDirectories: true)
        guard let fixtures = Bundle.module.resourceURL?.appendingPathComponent("Fixtures") else {
            throw TestFailure("the test fixtures are missing")
        }
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path) {
            try FileManager.default.copyItem(
                atPath: fixtures.appendingPathComponent(name).path, toPath: served + "/" + name)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    static let mmengineRun = "runner-work_dir/20261202_125903/vis_data"

    func write(_ relativePath: String, _ text: String) throws {
        let path = served + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    func append(_ relativePath: String, _ text: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: served + "/" + relativePath))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
        try handle.close()
    }
}

/// Runs python3 (the ground truth) with `script` and returns what it printed.
func python(_ script: String, arguments: [String] = []) throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "visdrop-py-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let output = directory.appendingPathComponent("out")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    let text = try String(contentsOf: output, encoding: .utf8)
    guard process.terminationStatus == 0 else { throw TestFailure("python3 failed: \(text)") }
    return text
}
