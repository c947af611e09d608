import Foundation
import Testing
import VisdropConfigText
import VisdropJSON

/// Every fixture config is loaded, written as config.py, and loaded back by the real mmengine.
@Suite struct MMEngineRoundTripTests {
    /// The sources: mmengine's reference configs (JSON and YAML) and the generated cases (YAML).
    static func sources() throws -> [URL] {
        try Fixtures.files(in: "reference", extension: "json")
            + Fixtures.files(in: "reference", extension: "yaml")
            + Fixtures.files(in: "cases", extension: "yaml")
    }

    @Test func everyFixtureConfigLoadsBackEqualInMMEngine() throws {
        let sources = try Self.sources()
        #expect(sources.count >= 6 + 11)
        try withTemporaryDirectory { directory in
            var arguments = [try Fixtures.url("compare_config.py").path]
            for source in sources {
                // The JSON references are also valid YAML 1.1 with the same values; the JSON module's parser
                // can take over here once it lands.
                let value = try YAMLConfigLoader.load(String(contentsOf: source, encoding: .utf8))
                let config = try #require(value.objectValue, "\(source.lastPathComponent) is not a mapping")
                let text = try ConfigTextWriter.render(config)
                let folder = source.deletingLastPathComponent().lastPathComponent
                let configURL = directory.appendingPathComponent(
                    "\(folder)_\(source.deletingPathExtension().lastPathComponent)_\(source.pathExtension).py"
                )
                try text.write(to: configURL, atomically: true, encoding: .utf8)
                arguments += [configURL.path, source.path]
            }
            let result = try runPython(arguments)
            if result.status == 3 {
                Issue.record("\(installHint)\n\(result.output)")
                return
            }
            let lines = result.output.split(separator: "\n")
            for line in lines where !line.hasPrefix("OK ") {
                Issue.record("\(line)")
            }
            #expect(lines.filter { $0.hasPrefix("OK ") }.count == sources.count, "\(result.output)")
            #expect(result.status == 0)
        }
    }

    @Test func reservedKeyProbesMatchMMEngine() throws {
        let probes = try #require(try Fixtures.json("reserved_keys.json") as? [[String: Any]])
        #expect(probes.count > 10)
        for probe in probes {
            let key = try #require(probe["key"] as? String)
            let valueYAML = try #require(probe["value_yaml"] as? String)
            let roundTrips = try #require(probe["round_trips"] as? Bool)
            let value = try #require(try YAMLConfigLoader.load(valueYAML)["value"])
            do {
                _ = try ConfigTextWriter.render(JSONObject([(key, value)]))
                #expect(roundTrips, "mmengine does not give back \(key) = \(value), yet it was written")
            } catch {
                #expect(!roundTrips, "mmengine gives back \(key) = \(value), yet it was refused: \(error)")
                guard case .reservedTopLevelKey(let refusedKey, _) = error else {
                    Issue.record("unexpected error \(error)")
                    continue
                }
                #expect(refusedKey == key)
            }
        }
    }
}
