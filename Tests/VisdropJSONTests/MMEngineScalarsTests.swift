import Foundation
import Testing
import VisdropJSON

/// Replays the calls recorded in `Fixtures/mmengine-scalars/` with mmengine's `LocalVisBackend` semantics
/// and compares our lines with the files the real mmengine 0.10.7 wrote.
@Suite struct MMEngineScalarsTests {
    /// What `add_scalars(scalar_dict, step, file_path)` and `add_scalar(name, value, step)` append, per file.
    private struct ScalarFiles {
        var contents: [String: [UInt8]] = [:]

        /// `copy.deepcopy(scalar_dict); scalar_dict.setdefault('step', step)`, then one `json.dumps` line
        /// to `file_path` (when given) and to `scalars.json`.
        mutating func addScalars(_ record: JSONObject, step: JSONValue, filePath: String?) {
            var line = record
            line.setDefault(step, forKey: "step")
            if let filePath { append(line, to: filePath) }
            append(line, to: "scalars.json")
        }

        /// `{name: value, 'step': step}` as one line of `scalars.json`.
        mutating func addScalar(name: String, value: JSONValue, step: JSONValue) {
            append(JSONObject([(name, value), ("step", step)]), to: "scalars.json")
        }

        private mutating func append(_ object: JSONObject, to file: String) {
            JSONWriter.appendPythonJSON(.object(object), to: &contents[file, default: []])
            contents[file, default: []].append(UInt8(ascii: "\n"))
        }
    }

    @Test func addScalarsAndAddScalarReproduceMMEngineFiles() throws {
        let parser = JSONParser()
        var files = ScalarFiles()
        let calls = try parser.parseLines(Fixtures.bytes("mmengine-scalars/calls.jsonl"))
        #expect(calls.count == 9)
        for call in calls {
            let record = try #require(call["record"]?.objectValue)
            let step = try #require(call["step"])
            let filePath = try #require(call["file_path"])
            files.addScalars(record, step: step, filePath: filePath.stringValue)
        }
        let scalarCalls = try parser.parseLines(Fixtures.bytes("mmengine-scalars/add_scalar_calls.jsonl"))
        #expect(scalarCalls.count == 3)
        for call in scalarCalls {
            let name = try #require(call["name"]?.stringValue)
            files.addScalar(name: name, value: try #require(call["value"]), step: try #require(call["step"]))
        }

        let expectedScalars = try Fixtures.bytes("mmengine-scalars/expected/scalars.json")
        let ours = try #require(files.contents["scalars.json"])
        let expectedLines = expectedScalars.split(
            separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        let ourLines = ours.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        #expect(ourLines.count == expectedLines.count)
        for (index, (our, expected)) in zip(ourLines, expectedLines).enumerated() {
            #expect(
                String(decoding: our, as: UTF8.self) == String(decoding: expected, as: UTF8.self),
                "scalars.json line \(index + 1)")
        }
        #expect(String(decoding: ours, as: UTF8.self) == String(decoding: expectedScalars, as: UTF8.self))
        #expect(files.contents["val.json"] == (try Fixtures.bytes("mmengine-scalars/expected/val.json")))
        #expect(files.contents.keys.sorted() == ["scalars.json", "val.json"])
    }
}
