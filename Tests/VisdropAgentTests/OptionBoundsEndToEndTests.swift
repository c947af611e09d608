import Foundation
import Testing
import VisdropAgent

/// The command line and the configuration file accept the same values of every whole-number
/// option: one table of bounds serves both.
@Suite("option bounds, end to end")
struct OptionBoundsEndToEndTests {
    @Test(
        "each whole-number option: out of bounds refused alike by the command line and the file",
        arguments: AgentOptions.integerBounds.keys.sorted())
    func sameBoundsEverywhere(_ name: String) throws {
        let bounds = try #require(AgentOptions.integerBounds[name])
        let workspace = try TestWorkspace()
        let config = workspace.root + "/options.yaml"
        for value in [bounds.lowerBound - 1, bounds.upperBound + 1] {
            let command = try AgentProcess.run(
                workspace.ingestArguments(["--\(name)=\(value)"]), logPath: workspace.log)
            #expect(command.status == 64, "--\(name) \(value): \(command.log)")
            let range = "from \(bounds.lowerBound) to \(bounds.upperBound)"
            #expect(command.log.contains(range), "--\(name) \(value): \(command.log)")
            #expect(
                FileManager.default.createFile(atPath: config, contents: Data("\(name): \(value)\n".utf8)))
            let file = try AgentProcess.run(
                workspace.ingestArguments(["--config", config]), logPath: workspace.log)
            #expect(file.status == 3, "\(name): \(value) in a file: \(file.log)")
            #expect(file.log.contains(range), "\(name): \(value) in a file: \(file.log)")
        }
        for value in [bounds.lowerBound, min(bounds.upperBound, 1 << 30)] {
            let command = try AgentProcess.run(
                workspace.ingestArguments(["--\(name)=\(value)"]), logPath: workspace.log)
            #expect(command.status == 0, "--\(name) \(value): \(command.log)")
            #expect(
                FileManager.default.createFile(atPath: config, contents: Data("\(name): \(value)\n".utf8)))
            let file = try AgentProcess.run(
                workspace.ingestArguments(["--config", config]), logPath: workspace.log)
            #expect(file.status == 0, "\(name): \(value) in a file: \(file.log)")
        }
    }

    @Test(
        "each duration option: out of bounds or not a duration, refused alike by the command line and the file",
        arguments: AgentOptions.durationBounds.keys.sorted())
    func sameDurationBoundsEverywhere(_ name: String) throws {
        let bounds = try #require(AgentOptions.durationBounds[name])
        let workspace = try TestWorkspace()
        let config = workspace.root + "/options.yaml"
        var refused = ["\(bounds.upperBound + 1)ms", "soon", "-2s"]
        if bounds.lowerBound > 0 { refused.append("\(bounds.lowerBound - 1)ms") }
        for value in refused {
            let expected =
                value.hasSuffix("ms")
                ? "from \(bounds.lowerBound) ms to \(bounds.upperBound) ms" : "must be a duration"
            let command = try AgentProcess.run(
                workspace.ingestArguments(["--\(name)=\(value)"]), logPath: workspace.log)
            #expect(command.status == 64, "--\(name) \(value): \(command.log)")
            #expect(command.log.contains(expected), "--\(name) \(value): \(command.log)")
            #expect(
                FileManager.default.createFile(atPath: config, contents: Data("\(name): \(value)\n".utf8)))
            let file = try AgentProcess.run(
                workspace.ingestArguments(["--config", config]), logPath: workspace.log)
            #expect(file.status == 3, "\(name): \(value) in a file: \(file.log)")
            #expect(file.log.contains(expected), "\(name): \(value) in a file: \(file.log)")
        }
        for value in ["\(bounds.lowerBound)ms", "\(Double(bounds.upperBound) / 60_000)m", "2s", "1.5"] {
            let command = try AgentProcess.run(
                workspace.ingestArguments(["--\(name)=\(value)"]), logPath: workspace.log)
            #expect(command.status == 0, "--\(name) \(value): \(command.log)")
            #expect(
                FileManager.default.createFile(atPath: config, contents: Data("\(name): \(value)\n".utf8)))
            let file = try AgentProcess.run(
                workspace.ingestArguments(["--config", config]), logPath: workspace.log)
            #expect(file.status == 0, "\(name): \(value) in a file: \(file.log)")
        }
    }
}
