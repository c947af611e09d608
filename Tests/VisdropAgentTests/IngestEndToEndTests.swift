import Foundation
import Testing
import VisdropJSON

/// `visdrop ingest`: one pass over the drop folder, configs, file_path, archives, exit codes.
@Suite("visdrop ingest, end to end")
struct IngestEndToEndTests {
    @Test("JSON and YAML configs become a config.py that mmengine loads back equal")
    func configsLoadBackEqual() throws {
        let fixtures = try Fixtures.directory() + "/configs"
        for name in ["small", "detector", "toplevel_non_identifier"] {
            for format in ["json", "yaml"] {
                let workspace = try TestWorkspace()
                let source = fixtures + "/\(name).\(format)"
                let dropName = format == "json" ? "config.json" : "\(name).yaml"
                try workspace.writeInPlace("run/\(dropName)", try workspace.bytes(source))
                let result = try AgentProcess.run(workspace.ingestArguments(), logPath: workspace.log)
                #expect(result.status == 0, "\(name).\(format): \(result.log)")
                let comparison = try Python.run(
                    """
                    import json, sys, yaml
                    from mmengine.config import Config
                    loaded = Config.fromfile(sys.argv[1]).to_dict()
                    with open(sys.argv[2]) as f:
                        expected = json.load(f) if sys.argv[2].endswith('.json') else yaml.safe_load(f)
                    print('equal' if loaded == expected else f'different: {loaded!r} != {expected!r}')
                    """, arguments: [workspace.out + "/run/config.py", source])
                #expect(comparison == "equal\n", "\(name).\(format): \(comparison)")
            }
        }
    }

    @Test("a .py config is copied byte for byte, and the latest drop wins")
    func pythonConfigCopied() throws {
        let workspace = try TestWorkspace()
        let first = Array("lr = 0.1\n".utf8)
        let second = Array("# second\nmodel = dict(type='ResNet')\nlr = 0.02\n".utf8)
        try workspace.writeInPlace("exp.py", first)
        try workspace.writeInPlace("exp2.py", second)
        try FileManager.default.setAttributes(
            [.modificationDate: Date(timeIntervalSince1970: 1_700_000_000)],
            ofItemAtPath: workspace.drop + "/exp.py")
        let result = try AgentProcess.run(workspace.ingestArguments(), logPath: workspace.log)
        #expect(result.status == 0, "\(result.log)")
        #expect(try workspace.bytes(workspace.out + "/config.py") == second)
    }

    @Test("a filed source that cannot be removed is not filed again by a later run, and goes once it can")
    func unremovableSourceNotFiledTwice() throws {
        let workspace = try TestWorkspace()
        let records = [#"{"loss": 1.5, "step": 1}"#, #"{"loss": 0.75, "step": 2}"#]
        let scalars = workspace.out + "/run/scalars.json"
        let kept = workspace.drop + "/run/loss_1.json"
        try workspace.writeInPlace("run/loss_1.json", Array(records[0].utf8))
        // An immutable file can be read, but neither renamed (claimed, trashed) nor deleted.
        let immutable = try FileFlag("i", on: kept)
        let first = try workspace.ingest(log: "first")
        #expect(first.status == 0, "\(first.log)")
        #expect(first.log.contains("could not be removed"), "\(first.log)")
        #expect(workspace.text(scalars) == (try Python.expectedScalarLines([records[0]])))
        #expect(workspace.exists(kept))

        try workspace.writeInPlace("run/loss_2.json", Array(records[1].utf8))
        let second = try workspace.ingest(log: "second")
        #expect(second.status == 0, "\(second.log)")
        #expect(second.log.contains("still cannot be removed"), "\(second.log)")
        #expect(workspace.text(scalars) == (try Python.expectedScalarLines(records)), "loss_1 is filed once")
        #expect(workspace.exists(kept) && !workspace.exists(workspace.drop + "/run/loss_2.json"))

        try immutable.clear()
        let third = try workspace.ingest(log: "third")
        #expect(third.status == 0, "\(third.log)")
        #expect(third.log.contains("are gone now"), "\(third.log)")
        #expect(!workspace.exists(kept))
        #expect(workspace.text(scalars) == (try Python.expectedScalarLines(records)))
    }

    @Test("many filed sources that cannot be removed: one log line, one ledger write, none filed twice")
    func manyUnremovableSources() throws {
        let workspace = try TestWorkspace()
        let records = (0..<20).map { #"{"loss": \#(Double($0) / 4), "step": \#($0)}"# }
        var flags: [FileFlag] = []
        for (step, record) in records.enumerated() {
            try workspace.writeInPlace("run/loss_\(step).json", Array(record.utf8))
            flags.append(try FileFlag("i", on: workspace.drop + "/run/loss_\(step).json"))
        }
        let first = try workspace.ingest(log: "first")
        let lines = first.log.split(separator: "\n").filter { $0.contains("could not be removed") }
        #expect(lines.count == 1 && lines[0].contains("20 source(s)"), "\(first.log)")
        let second = try workspace.ingest(log: "second")
        #expect(second.status == 0, "\(second.log)")
        #expect(second.log.contains("count=20"), "\(second.log)")
        let scalars = workspace.text(workspace.out + "/run/scalars.json")
        expectLines(of: scalars, equal: try Python.expectedScalarLines(records))
        withExtendedLifetime(flags) {}
    }

    @Test("a new file dropped under the name of a kept, unremovable source removed by hand is filed")
    func newFileUnderKeptNameFiled() throws {
        let workspace = try TestWorkspace()
        let records = [#"{"loss": 1.5, "step": 1}"#, #"{"loss": 0.25, "step": 3}"#]
        let kept = workspace.drop + "/loss.json"
        try workspace.writeInPlace("loss.json", Array(records[0].utf8))
        let immutable = try FileFlag("i", on: kept)
        let first = try workspace.ingest(log: "first")
        #expect(first.log.contains("could not be removed"), "\(first.log)")
        // The user clears the flag, deletes the file and drops another one under its name.
        try immutable.clear()
        try FileManager.default.removeItem(atPath: kept)
        try workspace.writeInPlace("loss.json", Array(records[1].utf8))
        let second = try workspace.ingest(log: "second")
        #expect(second.status == 0, "\(second.log)")
        #expect(workspace.text(workspace.out + "/scalars.json") == (try Python.expectedScalarLines(records)))
        #expect(!workspace.exists(kept))
    }

    @Test("a claimed source that cannot be removed does not hold back a new file dropped under its name")
    func keptClaimedSourceDoesNotBlockNamesake() throws {
        let workspace = try TestWorkspace()
        let records = [#"{"loss": 1.5, "step": 1}"#, #"{"loss": 0.25, "step": 2}"#]
        // A claimed source an earlier run left, in a claim folder made append-only: the file can be
        // filed, but neither it nor its folder moved out.
        try workspace.writeInPlace(".visdrop-claim/loss.json", Array(records[0].utf8))
        let appendOnly = try FileFlag("a", on: workspace.drop + "/.visdrop-claim")
        let first = try workspace.ingest(log: "first")
        #expect(first.log.contains("could not be removed"), "\(first.log)")
        #expect(workspace.exists(workspace.drop + "/.visdrop-claim/loss.json"))
        try workspace.writeInPlace("loss.json", Array(records[1].utf8))
        let second = try workspace.ingest(log: "second")
        #expect(second.status == 0, "\(second.log)")
        #expect(workspace.text(workspace.out + "/scalars.json") == (try Python.expectedScalarLines(records)))
        #expect(!workspace.exists(workspace.drop + "/loss.json"))
        withExtendedLifetime(appendOnly) {}
    }

    @Test("an entry the trash sweeper cannot delete is said once by each run, not at every sweep")
    func undeletableTrashEntrySaidOnce() throws {
        let workspace = try TestWorkspace()
        let records = (0..<4).map { #"{"loss": \#(Double($0) / 2), "step": \#($0)}"# }
        // Four claimed sources an earlier run left; their claim folder goes to the trash whole,
        // with the one that is immutable, which the sweeper then cannot delete.
        for (step, record) in records.enumerated() {
            try workspace.writeInPlace(".visdrop-claim/loss_\(step).json", Array(record.utf8))
        }
        try runProgram(
            "/usr/bin/chattr", ["+i", workspace.drop + "/.visdrop-claim/loss_0.json"],
            purpose: "make a claimed file immutable")
        let trash = workspace.drop + "/.visdrop-trash"
        defer {
            // Wherever it went in the trash: let the workspace be removed.
            let found = FileManager.default.enumerator(atPath: trash)?.compactMap { $0 as? String }
            for name in found ?? [] where name.hasSuffix("loss_0.json") {
                try? runProgram("/usr/bin/chattr", ["-i", trash + "/" + name], purpose: "clean up")
            }
        }
        let first = try workspace.ingest(log: "first")
        #expect(first.status == 0, "\(first.log)")
        expectLines(
            of: workspace.text(workspace.out + "/scalars.json"),
            equal: try Python.expectedScalarLines(records))
        let warnings = first.log.split(separator: "\n").filter { $0.contains("could not delete") }
        #expect(warnings.count == 1 && warnings[0].contains("count=1"), "\(first.log)")
        // A running agent sweeps after every batch: it says so once, not at each sweep.
        let agent = try AgentProcess(workspace.watchArguments(), logPath: workspace.root + "/watch.log")
        try agent.waitUntilWatching()
        for step in 4..<6 {
            try workspace.writeByRename("loss_\(step).json", Array(#"{"loss": 1, "step": \#(step)}"#.utf8))
            try eventually("file \(step) filed and its source deleted from the trash", deadline: 120) {
                agent.log.components(separatedBy: "emptied the trash").count - 1 == step - 3
            }
        }
        #expect(try agent.terminate() == 0)
        #expect(agent.log.components(separatedBy: "could not delete").count - 1 == 1, "\(agent.log)")
    }

    @Test("a file a writer still holds open is left for the next run, with exit code 2")
    func fileHeldOpenIsLeft() throws {
        let workspace = try TestWorkspace()
        let record = #"{"loss": 0.5}"#
        let path = workspace.drop + "/loss.json"
        #expect(FileManager.default.createFile(atPath: path, contents: nil))
        let writer = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try writer.write(contentsOf: Array(record.utf8))
        let held = try AgentProcess.run(workspace.ingestArguments(), logPath: workspace.log)
        #expect(held.status == 2, "\(held.log)")
        #expect(held.log.contains("still open for writing"))
        #expect(workspace.exists(path) && !workspace.exists(workspace.out + "/scalars.json"))
        try writer.close()
        let closed = try AgentProcess.run(workspace.ingestArguments(), logPath: workspace.log)
        #expect(closed.status == 0, "\(closed.log)")
        #expect(workspace.text(workspace.out + "/scalars.json") == (try Python.expectedScalarLines([record])))
    }

    @Test("NAME@TARGET.json also appends to TARGET.json, as add_scalars' file_path does")
    func filePathConvention() throws {
        let workspace = try TestWorkspace()
        let records = [#"{"val_acc": 0.91, "step": 12}"#, #"{"val_acc": 0.93, "step": 13}"#]
        try workspace.writeInPlace("run/epoch@val.jsonl", Array(records.joined(separator: "\n").utf8))
        let result = try AgentProcess.run(workspace.ingestArguments(), logPath: workspace.log)
        #expect(result.status == 0, "\(result.log)")
        let expected = try Python.expectedScalarLines(records)
        #expect(workspace.text(workspace.out + "/run/val.json") == expected)
        #expect(workspace.text(workspace.out + "/run/scalars.json") == expected)
    }

    @Test("the mmengine reference add_scalars calls, dropped as files, give mmengine's scalars.json")
    func referenceScalarCalls() throws {
        let workspace = try TestWorkspace()
        let fixtures = try Fixtures.directory() + "/scalars"
        let calls = workspace.text(fixtures + "/calls.jsonl").split(separator: "\n")
        var drops: [(name: String, bytes: [UInt8])] = []
        for (index, line) in calls.enumerated() {
            guard case .object(let call) = try JSONParser().parse(Array(line.utf8)),
                case .object(let record)? = call["record"], case .integer(let step)? = call["step"]
            else { throw TestFailure("bad fixture line \(line)") }
            var withStep = record
            if !withStep.contains("step") { withStep["step"] = .integer(step) }
            let target: String
            if case .string(let filePath)? = call["file_path"] {
                target = "call\(index)@\(filePath.dropLast(5)).json"
            } else {
                target = "call\(index).json"
            }
            drops.append((target, Array(JSONWriter.pythonJSON(.object(withStep)).utf8)))
        }
        for (index, drop) in drops.enumerated() {
            try workspace.writeInPlace(drop.name, drop.bytes)
            try FileManager.default.setAttributes(
                [.modificationDate: Date(timeIntervalSince1970: 1_700_000_000 + Double(index))],
                ofItemAtPath: workspace.drop + "/" + drop.name)
        }
        let result = try AgentProcess.run(workspace.ingestArguments(), logPath: workspace.log)
        #expect(result.status == 0, "\(result.log)")
        let expected = workspace.text(fixtures + "/expected/scalars.json").split(separator: "\n").prefix(
            calls.count)
        #expect(workspace.text(workspace.out + "/scalars.json").split(separator: "\n") == Array(expected))
        #expect(
            workspace.text(workspace.out + "/val.json") == workspace.text(fixtures + "/expected/val.json"))
    }

    @Test("ingest exits 1 when something is rejected, after filing everything else")
    func ingestExitCodeOnRejection() throws {
        let workspace = try TestWorkspace()
        try workspace.writeInPlace("good.json", Array(#"{"a": 1}"#.utf8))
        try workspace.writeInPlace("bad.json", Array("{".utf8))
        let result = try AgentProcess.run(workspace.ingestArguments(), logPath: workspace.log)
        #expect(result.status == 1)
        #expect(workspace.text(workspace.out + "/scalars.json") == "{\"a\": 1, \"step\": 0}\n")
        #expect(workspace.exists(workspace.drop + "/.rejected/bad.json.reason.txt"))
        #expect(result.log.contains("rejected 1"))
    }

    @Test("--archive keeps every filed source, byte for byte, at its relative path")
    func archiveKeepsSources() throws {
        let workspace = try TestWorkspace()
        let record = Array(#"{"a": 1}"#.utf8)
        try workspace.writeInPlace("run/x.json", record)
        let archive = workspace.root + "/archive"
        let result = try AgentProcess.run(
            workspace.ingestArguments(["--archive", archive]), logPath: workspace.log)
        #expect(result.status == 0, "\(result.log)")
        #expect(try workspace.bytes(archive + "/run/x.json") == record)
        #expect(!workspace.exists(workspace.drop + "/run/x.json"))
    }

    @Test("options come from a config file, and a bad one is a clear error with exit code 3")
    func configurationFile() throws {
        let workspace = try TestWorkspace()
        try workspace.writeInPlace("x.json", Array(#"{"a": 1}"#.utf8))
        let config = workspace.root + "/visdrop.yaml"
        try "drop: \(workspace.drop)\nout: \(workspace.out)\nscalar-save-file: metrics.json\n"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let result = try AgentProcess.run(["ingest", "--config", config], logPath: workspace.log)
        #expect(result.status == 0, "\(result.log)")
        #expect(workspace.text(workspace.out + "/metrics.json") == "{\"a\": 1, \"step\": 0}\n")

        try "drop: \(workspace.drop)\nsettle: 5\n".write(toFile: config, atomically: true, encoding: .utf8)
        let bad = try AgentProcess.run(["ingest", "--config", config], logPath: workspace.log)
        #expect(bad.status == 3)
        #expect(bad.log.contains("unknown option 'settle'"))
    }

    @Test("the committed example config lists every option with its default")
    func exampleConfigurationIsComplete() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let workspace = try TestWorkspace()
        let text = workspace.text(root + "/config/visdrop.yaml")
        for key in [
            "drop", "out", "archive", "settle-ms", "max-file-bytes", "max-config-bytes", "max-scalar-bytes",
            "durable", "workers", "png-compression", "img-save-dir", "config-save-file", "scalar-save-file",
            "log-level",
        ] {
            #expect(text.contains("\n\(key): "), "config/visdrop.yaml lacks \(key)")
        }
        let result = try AgentProcess.run(
            [
                "ingest", "--config", root + "/config/visdrop.yaml", "--drop", workspace.drop, "--out",
                workspace.out,
            ],
            logPath: workspace.log)
        #expect(result.status == 0, "\(result.log)")
    }
}

extension TestWorkspace {
    /// Runs `visdrop ingest` on this workspace, its log in `<log>.log` here.
    func ingest(log: String) throws -> (status: Int32, log: String) {
        try AgentProcess.run(ingestArguments(), logPath: root + "/\(log).log")
    }
}

/// A file attribute (`chattr`; `i` immutable, `a` append-only) set on a path for a test, and
/// cleared when it goes, so that the workspace can be removed. Setting one takes root, as these
/// tests run.
final class FileFlag {
    let flag: String
    let path: String

    init(_ flag: String, on path: String) throws {
        self.flag = flag
        self.path = path
        try runProgram("/usr/bin/chattr", ["+" + flag, path], purpose: "set the file attribute \(flag)")
    }

    func clear() throws {
        try runProgram("/usr/bin/chattr", ["-" + flag, path], purpose: "clear the file attribute \(flag)")
    }

    deinit {
        try? clear()
    }
}
