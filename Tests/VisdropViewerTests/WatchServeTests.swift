import Foundation
import Testing

/// `visdrop watch --serve`: the agent and the view in one process, and its `/metrics`.
@Suite struct WatchServeTests {
    /// The value of the sample `name` (with `labels`, as written) in Prometheus text.
    static func sample(_ text: String, _ name: String) -> Double? {
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let parts = line.split(separator: " ")
            if parts.count == 2, parts[0] == name { return Double(parts[1]) }
        }
        return nil
    }

    @Test func metricsCountWhatAKnownDropFiled() throws {
        let tree = try ServedTree()
        let drop = tree.root + "/drop"
        let out = tree.root + "/out"
        try FileManager.default.createDirectory(atPath: drop + "/run", withIntermediateDirectories: true)
        let server = try ServerProcess(
            ["watch", "--drop", drop, "--out", out, "--settle-ms", "200", "--serve", "0"], logPath: tree.log)
        // Two scalar files (three records), an image, and a scalar file that is not JSON.
        _ = try python(
            """
            import json, os, sys, numpy as np
            drop, stage = sys.argv[1], sys.argv[2]
            def put(name, data):
                path = os.path.join(stage, name)
                with open(path, 'wb') as f: f.write(data)
                os.rename(path, os.path.join(drop, 'run', name))
            put('a.jsonl', b'{"loss": 1.0, "step": 1}\\n{"loss": 0.5, "step": 2}\\n')
            put('b.json', json.dumps({'acc': 0.25, 'step': 2}).encode())
            np.save(os.path.join(stage, 'sample_3.npy'), np.zeros((4, 5, 3), dtype=np.uint8))
            os.rename(os.path.join(stage, 'sample_3.npy'), os.path.join(drop, 'run', 'sample_3.npy'))
            put('broken.json', b'{"loss": ')
            """, arguments: [drop, tree.root])
        var metrics = ""
        try eventually("four outcomes in /metrics") {
            metrics = try server.get("/metrics").text
            return Self.sample(metrics, "visdrop_filing_duration_seconds_count") == 4
        }
        #expect(Self.sample(metrics, "visdrop_files_filed_total{kind=\"scalars\"}") == 2)
        #expect(Self.sample(metrics, "visdrop_files_filed_total{kind=\"image\"}") == 1)
        #expect(Self.sample(metrics, "visdrop_files_filed_total{kind=\"config\"}") == 0)
        #expect(Self.sample(metrics, "visdrop_files_rejected_total{kind=\"scalars\"}") == 1)
        #expect(Self.sample(metrics, "visdrop_records_total") == 3)
        #expect(Self.sample(metrics, "visdrop_retries_total") ?? 0 == 0)
        #expect((Self.sample(metrics, "visdrop_batches_total") ?? 0) >= 1)
        #expect(Self.sample(metrics, "visdrop_queue_depth") == 0)
        let last = try #require(Self.sample(metrics, "visdrop_last_filed_timestamp_seconds"))
        #expect(abs(last - Date().timeIntervalSince1970) < 600)
        #expect(
            try server.get("/metrics").headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true
        )
        // The same process serves what it filed.
        let runs = try server.json("/api/runs")["runs"] as? [[String: Any]]
        #expect(runs?.compactMap { $0["name"] as? String } == ["run"])
        let page = try server.get("/").text
        #expect(page.contains("data-agent=\"true\""))
        #expect(try server.terminate() == 0)
    }

    @Test func plainServeHasNoMetrics() throws {
        let tree = try ServedTree()
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        #expect(try server.get("/metrics").status == 404)
        #expect(try server.get("/").text.contains("data-agent=\"false\""))
    }

    @Test func versionIsPrinted() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ServerProcess.binaryPath)
        process.arguments = ["--version"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ".").count == 3)
    }
}
