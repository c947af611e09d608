import Foundation
import Testing

/// The JSON API of the real `visdrop serve` on a loopback port, checked against what Python's
/// `json` reads from the same files.
@Suite struct ServeAPITests {
    /// Each key's `[step, value]` pairs as Python's json reads the file (numbers only, not
    /// booleans; NaN and the infinities spelt as the API spells them), spelt by `spell`.
    static func expectedSeries(_ path: String) throws -> [String: [[String]]] {
        let script = """
            import json, math, sys
            def spell(v):
                if isinstance(v, float) and math.isnan(v): return 'NaN'
                if v == math.inf: return 'Infinity'
                if v == -math.inf: return '-Infinity'
                return float(v)
            series = {}
            for line in open(sys.argv[1]):
                if not line.strip(): continue
                record = json.loads(line)
                for key, value in record.items():
                    if key == 'step' or isinstance(value, bool) or not isinstance(value, (int, float)): continue
                    series.setdefault(key, []).append([float(record['step']), spell(value)])
            print(json.dumps(series))
            """
        let text = try python(script, arguments: [path])
        guard let series = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: [[Any]]]
        else {
            throw TestFailure("python printed \(text)")
        }
        return series.mapValues { $0.map { [spell($0[0]), spell($0[1])] } }
    }

    /// The API's points for each key as `[step, value]` spelt like Python's repr of a float.
    static func servedSeries(_ reply: [String: Any]) throws -> [String: [[String]]] {
        guard let series = reply["series"] as? [String: [String: Any]] else { throw TestFailure("no series") }
        return try series.mapValues { entry in
            guard let points = entry["points"] as? [[Any]] else { throw TestFailure("no points") }
            return points.map { [spell($0[0]), spell($0[1])] }
        }
    }

    static func spell(_ value: Any) -> String {
        if let text = value as? String { return text }
        guard let number = value as? NSNumber else { return "?" }
        // JSONSerialization reads the API's `-0` as the integer 0: zeros compare as one.
        return number.doubleValue == 0 ? "0.0" : "\(number.doubleValue)"
    }

    @Test func listsTheSaveDirsOfAnMMEngineWorkDirAndOfVisdropsLayout() throws {
        let tree = try ServedTree()
        try tree.write("visdrop-run/vis_image/sample_0.png", "not really a png")
        try tree.write("visdrop-run/deeper/run2/config.py", "a = 1\n")
        try tree.write(".hidden/scalars.json", "{\"step\": 1, \"x\": 1}\n")
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let runs = try server.json("/api/runs")["runs"] as? [[String: Any]] ?? []
        #expect(
            runs.compactMap { $0["name"] as? String } == [
                "mmengine-scalars", ServedTree.mmengineRun, "visdrop-run", "visdrop-run/deeper/run2",
            ])
        let mmengine = try #require(runs.first { $0["name"] as? String == ServedTree.mmengineRun })
        #expect(mmengine["scalars"] as? Bool == true)
        #expect(mmengine["images"] as? Bool == true)
        #expect(mmengine["config"] as? Bool == true)

        let run = try server.json("/api/run?run=\(ServedTree.mmengineRun)")
        #expect(run["scalarFiles"] as? [String] == ["scalars.json", "20261202_125903.json"])
        let images = run["images"] as? [[String: Any]] ?? []
        #expect(images.count == 1)
        #expect(images.first?["tag"] as? String == "val_sample")
        #expect(images.first?["steps"] as? [Int] == [1, 2, 3])
        #expect(run["config"] as? Bool == true)
    }

    @Test func servesEverySeriesOfARealRunnersScalarsExactly() throws {
        let tree = try ServedTree()
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        for (run, file) in [
            (ServedTree.mmengineRun, "scalars.json"), (ServedTree.mmengineRun, "20261202_125903.json"),
            ("mmengine-scalars", "scalars.json"), ("mmengine-scalars", "val.json"),
        ] {
            let reply = try server.json("/api/scalars?run=\(run)&file=\(file)&smoothing=0")
            let expected = try Self.expectedSeries("\(tree.served)/\(run)/\(file)")
            #expect(try Self.servedSeries(reply) == expected, "\(run)/\(file)")
            let size =
                try FileManager.default.attributesOfItem(atPath: "\(tree.served)/\(run)/\(file)")[.size]
                as? Int
            #expect(reply["nextOffset"] as? Int == size)
        }
        // NaN and the infinities, as mmengine writes them, survive.
        let special = try Self.servedSeries(server.json("/api/scalars?run=mmengine-scalars"))
        #expect(special["nan"] == [["7.0", "NaN"]])
        #expect(special["inf"] == [["7.0", "Infinity"]])
        #expect(special["ninf"] == [["7.0", "-Infinity"]])
    }

    @Test func smoothsAsTensorBoardDoesBeforeThinning() throws {
        let tree = try ServedTree()
        let file = "\(tree.served)/\(ServedTree.mmengineRun)/scalars.json"
        let expected = try python(
            """
            import json, sys
            weight, last, count, out = 0.8, 0.0, 0, []
            for line in open(sys.argv[1]):
                record = json.loads(line)
                if 'loss' not in record: continue
                last = last * weight + (1 - weight) * record['loss']
                count += 1
                out.append(last / (1 - weight ** count))
            print(json.dumps(out))
            """, arguments: [file])
        let expectedValues = try JSONDecoder().decode([Double].self, from: Data(expected.utf8))
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let reply = try server.json("/api/scalars?run=\(ServedTree.mmengineRun)&smoothing=0.8")
        let series = reply["series"] as? [String: [String: Any]]
        let points = try #require(series?["loss"]?["points"] as? [[Double]])
        #expect(points.count == expectedValues.count)
        for (point, value) in zip(points, expectedValues) {
            #expect(abs(point[2] - value) <= 1e-12 * max(1, abs(value)))
        }
    }

    @Test func readsALiveFileFromAnOffsetAndLetsAPartialLastLineWait() throws {
        let tree = try ServedTree()
        try tree.write("live/scalars.json", "{\"loss\": 1.0, \"step\": 1}\n{\"loss\": 0.5, \"step\": 2}\n")
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let first = try server.json("/api/scalars?run=live&smoothing=0.5")
        let offset = try #require(first["nextOffset"] as? Int)
        #expect(offset == 50)
        try tree.append("live/scalars.json", "{\"loss\": NaN, \"step\": 3}\n{\"loss\": 0.25, \"st")
        let second = try server.json("/api/scalars?run=live&smoothing=0.5&offset=\(offset)")
        #expect(second["offset"] as? Int == offset)
        #expect(second["reset"] as? Bool == false)
        #expect(try Self.servedSeries(second) == ["loss": [["3.0", "NaN"]]])
        let third = try server.json("/api/scalars?run=live&smoothing=0.5&offset=\(second["nextOffset"] ?? 0)")
        #expect(try Self.servedSeries(third) == [:], "the cut line waits")
        try tree.append("live/scalars.json", "ep\": 4}\n")
        let fourth = try server.json(
            "/api/scalars?run=live&smoothing=0.5&offset=\(second["nextOffset"] ?? 0)")
        let points = (fourth["series"] as? [String: [String: Any]])?["loss"]?["points"] as? [[Double]]
        // The smoothing carries on from the lines before the offset: TensorBoard's formula by hand,
        // (0.5·(0.5·0.5 + 0.5·1.0)·... ) over 1.0, 0.5, (NaN skipped), 0.25.
        let expected = try python(
            """
            w, last, n = 0.5, 0.0, 0
            for v in (1.0, 0.5, 0.25):
                last = last * w + (1 - w) * v; n += 1
            print(repr(last / (1 - w ** n)))
            """)
        #expect(points?.count == 1)
        #expect(points?.first?[0] == 4)
        #expect(points?.first?[2] == Double(expected.trimmingCharacters(in: .whitespacesAndNewlines)))
        // A file cut back below the offset starts over.
        try tree.write("live/scalars.json", "{\"loss\": 2.0, \"step\": 9}\n")
        let reset = try server.json("/api/scalars?run=live&smoothing=0.5&offset=\(fourth["nextOffset"] ?? 0)")
        #expect(reset["reset"] as? Bool == true)
        #expect(try Self.servedSeries(reset) == ["loss": [["9.0", "2.0"]]])
    }

    @Test func thinsToTheRequestedPointsKeepingTheExtremes() throws {
        let tree = try ServedTree()
        try FileManager.default.createDirectory(
            atPath: tree.served + "/big", withIntermediateDirectories: true)
        _ = try python(
            """
            import json, math, sys
            with open(sys.argv[1], 'w') as f:
                for i in range(20000):
                    v = math.sin(i / 500.0)
                    if i == 12345: v = 50.0
                    if i == 777: v = -40.0
                    if i == 15000: v = float('nan')
                    f.write(json.dumps({'loss': v, 'step': i}) + '\\n')
            """, arguments: [tree.served + "/big/scalars.json"])
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let reply = try server.json("/api/scalars?run=big&points=200")
        let entry = (reply["series"] as? [String: [String: Any]])?["loss"]
        #expect(entry?["count"] as? Int == 20000)
        let points = try #require(entry?["points"] as? [[Any]])
        #expect(points.count <= 200 && points.count >= 50)
        let steps = points.map { Self.spell($0[0]) }
        #expect(steps.first == "0.0" && steps.last == "19999.0")
        #expect(steps.contains("12345.0") && steps.contains("777.0") && steps.contains("15000.0"))
        #expect(steps == steps.sorted { Double($0) ?? 0 < Double($1) ?? 0 })
    }

    @Test func servesImagesAsStoredWithValidatorsAndConfigsAsText() throws {
        let tree = try ServedTree()
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let run = ServedTree.mmengineRun
        let image = try server.get("/api/image?run=\(run)&tag=val_sample&step=2")
        #expect(image.status == 200)
        #expect(image.headers["content-type"] == "image/png")
        let stored = try Data(
            contentsOf: URL(fileURLWithPath: "\(tree.served)/\(run)/vis_image/val_sample_2.png"))
        #expect(image.body == Array(stored))
        let eTag = try #require(image.headers["etag"])
        #expect(image.headers["last-modified"] != nil)
        let again = try server.get(
            "/api/image?run=\(run)&tag=val_sample&step=2", headers: ["If-None-Match": eTag])
        #expect(again.status == 304)
        #expect(again.body.isEmpty)

        let config = try server.get("/api/config?run=\(run)")
        #expect(config.status == 200)
        let storedConfig = try Data(contentsOf: URL(fileURLWithPath: "\(tree.served)/\(run)/config.py"))
        #expect(config.body == Array(storedConfig))

        try tree.write("other/config.py", "model = dict(type='Net')\nlr = 0.1\nextra = 1\n")
        try tree.write("base/config.py", "model = dict(type='Net')\nlr = 0.05\n")
        let diff = try server.json("/api/config-diff?a=base&b=other")
        let lines = (diff["lines"] as? [[String: String]] ?? []).map { ($0["op"] ?? "") + ($0["text"] ?? "") }
        #expect(lines == [" model = dict(type='Net')", "-lr = 0.05", "+lr = 0.1", "+extra = 1", " "])
    }

    @Test func aLargeImageIsStreamedWhole() throws {
        let tree = try ServedTree()
        let size = 5 << 20 + 12345
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        try FileManager.default.createDirectory(
            atPath: tree.served + "/big/vis_image", withIntermediateDirectories: true)
        try Data(bytes).write(to: URL(fileURLWithPath: tree.served + "/big/vis_image/huge_7.png"))
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let reply = try server.get("/api/image?run=big&tag=huge&step=7")
        #expect(reply.status == 200)
        #expect(reply.body.count == size)
        #expect(reply.body == bytes)
    }

    @Test func badRequestsGet4xxAndTheServerGoesOn() throws {
        let tree = try ServedTree()
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let run = "mmengine-scalars"
        for (target, status) in [
            ("/api/scalars", 400), ("/api/scalars?run=\(run)&offset=abc", 400),
            ("/api/scalars?run=\(run)&offset=-1", 400), ("/api/scalars?run=\(run)&points=1", 400),
            ("/api/scalars?run=\(run)&smoothing=1.5", 400), ("/api/scalars?run=\(run)&smoothing=nan", 400),
            ("/api/image?run=\(run)&tag=x", 400), ("/api/scalars?run=nope", 404),
            ("/api/scalars?run=\(run)&file=nope.json", 404), ("/api/image?run=\(run)&tag=x&step=1", 404),
            ("/api/config?run=\(run)", 404), ("/api/nothing", 404),
        ] {
            let reply = try server.get(target)
            #expect(reply.status == status, "\(target): \(reply.text)")
        }
        #expect(try server.get("/api/runs").status == 200)
        #expect(server.process.isRunning)
    }

    @Test func neverWritesInTheServedFolder() throws {
        let tree = try ServedTree()
        let before = try Self.snapshot(tree.served)
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        for target in [
            "/", "/api/runs", "/api/run?run=\(ServedTree.mmengineRun)",
            "/api/scalars?run=\(ServedTree.mmengineRun)",
            "/api/image?run=\(ServedTree.mmengineRun)&tag=val_sample&step=1",
            "/api/config?run=\(ServedTree.mmengineRun)",
        ] {
            #expect(try server.get(target).status == 200, "\(target)")
        }
        #expect(try server.terminate() == 0)
        #expect(try Self.snapshot(tree.served) == before)
    }

    /// Every entry's path, size and modification time (the folder's own included).
    static func snapshot(_ root: String) throws -> [String] {
        var entries: [String] = []
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let path = enumerator?.nextObject() as? String { entries.append(path) }
        return try (entries + [""]).sorted().map { path in
            let attributes = try FileManager.default.attributesOfItem(atPath: root + "/" + path)
            return "\(path) \(attributes[.size] ?? 0) \(attributes[.modificationDate] ?? 0)"
        }
    }
}
