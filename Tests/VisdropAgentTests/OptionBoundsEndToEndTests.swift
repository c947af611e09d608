import Foundation
import Testing
import VisdropAgent

/// The command line and the configuration file accept the same values of every bounded option:
/// one table of bounds (whole numbers, durations) serves both.
@Suite("option bounds, end to end")
struct OptionBoundsEndToEndTests {
    @Test(
        "each whole-number option: out of bounds refused alike by the command line and the file",
        arguments: AgentOptions.integerBounds.keys.sorted())
    func sameBoundsEverywhere(_ name: String) throws {
        let bounds = try #require(AgentOptions.integerBounds[name])
        let check = try SameEverywhere(name)
        for value in [bounds.lowerBound - 1, bounds.upperBound + 1] {
            try check.refused("\(value)", saying: "from \(bounds.lowerBound) to \(bounds.upperBound)")
        }
        for value in [bounds.lowerBound, min(bounds.upperBound, 1 << 30)] {
            try check.accepted("\(value)")
        }
    }

    @Test(
        "each duration option: out of bounds or not a duration, refused alike by the command line and the file",
        arguments: AgentOptions.durationBounds.keys.sorted())
    func sameDurationBoundsEverywhere(_ name: String) throws {
        let bounds = try #require(AgentOptions.durationBounds[name])
        let check = try SameEverywhere(name)
        let range = "from \(bounds.lowerBound) ms to \(bounds.upperBound) ms"
        try check.refused("\(bounds.upperBound + 1)ms", saying: range)
        if bounds.lowerBound > 0 { try check.refused("\(bounds.lowerBound - 1)ms", saying: range) }
        for value in ["soon", "-2s"] { try check.refused(value, saying: "must be a duration") }
        for value in ["\(bounds.lowerBound)ms", "\(Double(bounds.upperBound) / 60_000)m", "2s", "1.5"] {
            try check.accepted(value)
        }
    }

    /// One option's value given to `ingest` as `--name=value` and as `name: value` in a file.
    struct SameEverywhere {
        let name: String
        let workspace: TestWorkspace
        var config: String { workspace.root + "/options.yaml" }

        init(_ name: String) throws {
            self.name = name
            self.workspace = try TestWorkspace()
        }

        /// Refused both ways (exit 64 from the parser, 3 from the file), each saying `reason`.
        func refused(_ value: String, saying reason: String) throws {
            let (command, file) = try run(value)
            #expect(command.status == 64, "--\(name) \(value): \(command.log)")
            #expect(command.log.contains(reason), "--\(name) \(value): \(command.log)")
            #expect(file.status == 3, "\(name): \(value) in a file: \(file.log)")
            #expect(file.log.contains(reason), "\(name): \(value) in a file: \(file.log)")
        }

        /// Accepted both ways.
        func accepted(_ value: String) throws {
            let (command, file) = try run(value)
            #expect(command.status == 0, "--\(name) \(value): \(command.log)")
            #expect(file.status == 0, "\(name): \(value) in a file: \(file.log)")
        }

        private func run(_ value: String) throws -> (
            command: (status: Int32, log: String), file: (status: Int32, log: String)
        ) {
            let command = try AgentProcess.run(
                workspace.ingestArguments(["--\(name)=\(value)"]), logPath: workspace.log)
            #expect(
                FileManager.default.createFile(atPath: config, contents: Data("\(name): \(value)\n".utf8)))
            let file = try AgentProcess.run(
                workspace.ingestArguments(["--config", config]), logPath: workspace.log)
            return (command, file)
        }
    }
}
