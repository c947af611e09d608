import Foundation
import Testing

/// Read-only and safe: nothing outside the served folder, tokens off loopback, fuzzed requests.
@Suite struct ServeSafetyTests {
    static let secret = "TOP-SECRET-OUTSIDE-THE-SERVED-FOLDER"

    @Test func traversalAttemptsAllGet404AndReadNothingOutside() throws {
        let tree = try ServedTree()
        // Outside the served folder: a secret save_dir, and links into it from inside.
        try FileManager.default.createDirectory(
            atPath: tree.root + "/outside/vis_image", withIntermediateDirectories: true)
        try Data(Self.secret.utf8).write(to: URL(fileURLWithPath: tree.root + "/outside/config.py"))
        try Data(Self.secret.utf8).write(to: URL(fileURLWithPath: tree.root + "/outside/scalars.json"))
        try Data(Self.secret.utf8).write(to: URL(fileURLWithPath: tree.root + "/outside/vis_image/x_1.png"))
        try FileManager.default.createSymbolicLink(
            atPath: tree.served + "/escape", withDestinationPath: tree.root + "/outside")
        try FileManager.default.createDirectory(
            atPath: tree.served + "/linked/vis_image", withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: tree.served + "/linked/config.py", withDestinationPath: tree.root + "/outside/config.py")
        try FileManager.default.createSymbolicLink(
            atPath: tree.served + "/linked/vis_image/x_1.png",
            withDestinationPath: tree.root + "/outside/vis_image/x_1.png")
        try FileManager.default.createSymbolicLink(
            atPath: tree.served + "/linked/scalars.json",
            withDestinationPath: tree.root + "/outside/scalars.json")
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let attempts = [
            "/api/config?run=..", "/api/config?run=../outside", "/api/config?run=%2e%2e/outside",
            "/api/config?run=%2E%2E%2Foutside", "/api/config?run=\(tree.root)/outside",
            "/api/config?run=%2F\(tree.root.dropFirst())%2Foutside", "/api/config?run=escape",
            "/api/config?run=linked", "/api/config?run=mmengine-scalars/../../outside",
            "/api/config?run=./escape", "/api/config?run=escape%00", "/api/scalars?run=escape",
            "/api/scalars?run=linked", "/api/scalars?run=..%2Foutside",
            "/api/scalars?run=mmengine-scalars&file=../../outside/scalars.json",
            "/api/scalars?run=mmengine-scalars&file=%2E%2E%2F%2E%2E%2Foutside%2Fscalars.json",
            "/api/image?run=linked&tag=x&step=1", "/api/image?run=escape&tag=x&step=1",
            "/api/image?run=mmengine-scalars&tag=../../outside/vis_image/x&step=1",
            "/api/image?run=..&tag=outside/vis_image/x&step=1", "/api/run?run=escape",
            "/api/run?run=../outside",
            "/../outside/config.py", "/%2e%2e/outside/config.py", "/dygraphs/../../../../etc/passwd",
            "/dygraphs/%2e%2e/%2e%2e/%2e%2e/etc/passwd", "//etc/passwd", "/api/config-diff?a=linked&b=escape",
            "/api/config-diff?a=..&b=../outside",
        ]
        #expect(attempts.count >= 10)
        for target in attempts {
            let reply = try server.get(target)
            #expect(reply.status == 404, "\(target): \(reply.status) \(reply.text)")
            #expect(!reply.text.contains(Self.secret), "\(target) read outside the served folder")
            #expect(!reply.text.contains("root:"), "\(target) read /etc/passwd")
        }
        let runs = try server.get("/api/runs").text
        #expect(!runs.contains("escape") && !runs.contains("outside"))
        #expect(server.process.isRunning)
    }

    @Test func anAddressOffLoopbackNeedsItsTokenOnEveryRequest() throws {
        let tree = try ServedTree()
        let server = try ServerProcess(serving: tree.served, logPath: tree.log, ["--host", "0.0.0.0"])
        let line = try #require(server.log.split(separator: "\n").first { $0.contains("?token=") })
        let token = String(try #require(line.split(separator: "=").last))
        #expect(token.count == 32)
        for target in [
            "/", "/api/runs", "/viewer.js", "/api/image?run=\(ServedTree.mmengineRun)&tag=val_sample&step=1",
        ] {
            #expect(try server.get(target).status == 401, "\(target) without the token")
            #expect(
                try server.get(target, headers: ["Authorization": "Bearer wrong-token-123"]).status == 401)
            #expect(try server.get(target, headers: ["Authorization": "Bearer \(token)"]).status == 200)
        }
        let page = try server.get("/?token=\(token)")
        #expect(page.status == 200)
        let cookie = try #require(page.headers["set-cookie"])
        #expect(cookie.contains("visdrop_token=\(token)") && cookie.contains("HttpOnly"))
        #expect(try server.get("/api/runs", headers: ["Cookie": "visdrop_token=\(token)"]).status == 200)
        #expect(try server.get("/api/runs?token=\(token.dropLast())x").status == 401)
    }

    @Test func aTokenGivenOnLoopbackIsCheckedToo() throws {
        let tree = try ServedTree()
        let server = try ServerProcess(serving: tree.served, logPath: tree.log, ["--token", "s3cret-token"])
        #expect(try server.get("/api/runs").status == 401)
        #expect(try server.get("/api/runs?token=s3cret-token").status == 200)
    }

    @Test func badSetUpExitsThreeWithAMessage() throws {
        let tree = try ServedTree()
        for (arguments, message) in [
            (["serve", "--out", tree.root + "/missing", "--port", "0"], "not a directory"),
            (["serve", "--out", tree.served, "--port", "0", "--token", "a b"], "--token must be"),
            (["serve", "--out", tree.served, "--port", "70000"], "outside 0-65535"),
        ] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
            process.arguments = arguments
            let errors = Pipe()
            process.standardError = errors
            try process.run()
            let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(process.terminationStatus == 3, "\(arguments): \(text)")
            #expect(text.contains(message), "\(arguments): \(text)")
        }
    }

    @Test func aRequestFuzzNeverCrashesTheServer() throws {
        let tree = try ServedTree()
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        var generator = SeededGenerator(seed: 15)
        let pieces = [
            "/api/scalars", "/api/run", "/api/image", "/api/config", "/api/config-diff", "/api/runs", "/",
            "/x",
            "run=", "file=", "offset=", "points=", "smoothing=", "tag=", "step=", "a=", "b=", "token=", "..",
            "%2e",
            "%00", "%", "%zz", "/", "?", "&", "=", "mmengine-scalars", ServedTree.mmengineRun, "scalars.json",
            "99999999999999999999999", "-1", "0.5", "NaN", "%FF%FE", "\u{00e9}", "val_sample", "1", "//", "#",
        ]
        for _ in 0..<400 {
            var target = pieces[Int(generator.next() % 8)]
            for _ in 0..<Int(generator.next() % 8) {
                target += pieces[Int(generator.next() % UInt64(pieces.count))]
            }
            let encoded =
                target.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.union(["%"])) ?? "/"
            let reply = try server.get(encoded)
            #expect(reply.status < 500, "\(encoded): \(reply.status) \(reply.text)")
        }
        #expect(server.process.isRunning)
        #expect(try server.get("/api/runs").status == 200)
    }
}

/// A small deterministic generator (SplitMix64), so a fuzz failure can be replayed.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
