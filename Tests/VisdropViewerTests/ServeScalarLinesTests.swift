import Foundation
import Testing

/// Scalar lines the viewer reads on its fast path and lines it leaves to the full parser, mixed
/// in one file: the served series are what python3's `json` reads, line by line.
@Suite struct ServeScalarLinesTests {
    static let lines: [String] = [
        #"{"loss": 1.5, "acc": 0.25, "step": 1}"#,
        #"{"loss": NaN, "acc": Infinity, "step": 2}"#,
        #"{"loss": -Infinity, "acc": -0.0, "step": 3}"#,
        #"{"loss": 1e400, "acc": 12345678901234567890123456789, "step": 4}"#,
        #"{"loss": 0.16666666666666666, "acc": 9007199254740993, "step": 5}"#,
        #"{"loss": true, "acc": false, "lr": null, "note": "text", "step": 6}"#,
        #"{"lo\u0073s": 7.5, "acc": 0.5, "step": 7}"#,
        #"{"loss": 1, "loss": 8.5, "step": 8}"#,
        #"{"acc": 0.75, "loss": 9.5, "step": 9}"#,
        #"{"loss": {"nested": 1}, "acc": [1, 2], "step": 10}"#,
        #"{"loss": 11.5, "grad": 1\#(String(repeating: "0", count: 400)), "step": 11}"#,
        #"{"step": 12, "loss": 12.5, "acc": 1.2e-7}"#,
        #"{"loss": 13.5}"#,
        #"{"loss": 14.5, "step": "14"}"#,
        #"{"loss": 15.5, "step": true}"#,
        #"{"loss": 16.5, "step": 16,}"#,
        #"{"loss": 17.5, "step": 17} trailing"#,
        #"{"time": 18.5, "step": 18.0}"#,
        #"{"lössé": 19.5, "step": 19}"#,
        #"{"loss": 20.5, "step": 2e1, "acc": 2E-1}"#,
        "",
        #"  {"loss": 21.5 , "step": 21 }  "#,
        #"[1, 2]"#,
        #"{"loss": 1, "acc": 2, "acc": 3, "step": 23}"#,
        #"{"loss": 24.5, "acc": 0.30000000000000004, "step": 24}"#,
    ]

    /// Each key's `[step, value]` pairs and the count of skipped lines, as python3 reads the file:
    /// a record is an object with a numeric (not boolean) `step`; its other numbers are values.
    static func expected(_ path: String) throws -> (series: [String: [[String]]], skipped: Int) {
        let script = """
            import json, math, sys
            def number(value):
                if isinstance(value, bool) or not isinstance(value, (int, float)): return None
                try:
                    return float(value)
                except OverflowError:
                    return math.inf if value > 0 else -math.inf
            def spell(value):
                if math.isnan(value): return 'NaN'
                if value == math.inf: return 'Infinity'
                if value == -math.inf: return '-Infinity'
                return value
            series, skipped = {}, 0
            for line in open(sys.argv[1], 'rb'):
                if not line.strip(): continue
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                step = number(record.get('step')) if isinstance(record, dict) else None
                if step is None:
                    skipped += 1
                    continue
                for key, value in record.items():
                    if key != 'step' and number(value) is not None:
                        series.setdefault(key, []).append([spell(step), spell(number(value))])
            print(json.dumps({'series': series, 'skipped': skipped}))
            """
        let text = try python(script, arguments: [path])
        guard let reply = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
            let series = reply["series"] as? [String: [[Any]]], let skipped = reply["skipped"] as? Int
        else { throw TestFailure("python printed \(text)") }
        return (
            series.mapValues { $0.map { [ServeAPITests.spell($0[0]), ServeAPITests.spell($0[1])] } }, skipped
        )
    }

    @Test func servesWhatPythonReadsFromPlainAndTrickyLines() throws {
        let tree = try ServedTree()
        // Plain lines around the tricky ones, so the fast path's reused keys meet every change.
        let text = (Self.lines + Self.lines.reversed()).joined(separator: "\n") + "\n"
        try tree.write("tricky/scalars.json", text)
        let expected = try Self.expected("\(tree.served)/tricky/scalars.json")
        let server = try ServerProcess(serving: tree.served, logPath: tree.log)
        let reply = try server.json("/api/scalars?run=tricky&smoothing=0")
        #expect(try ServeAPITests.servedSeries(reply) == expected.series)
        #expect(reply["skippedLines"] as? Int == expected.skipped)
        #expect(reply["nextOffset"] as? Int == text.utf8.count)
        #expect(Set(reply["keys"] as? [String] ?? []) == Set(expected.series.keys))
    }
}
