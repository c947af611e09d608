import Foundation
import Testing
import VisdropNPY

/// `NPYWriter` must produce numpy.save's exact bytes, and everything it writes must read back.
@Suite struct NPYWriterTests {
    static let numpySaveFixtures: [String] = FixtureCatalog.arrayNames.filter {
        (try? FixtureCatalog.sidecar($0).writtenByNumpySave) == true
    }

    @Test func someFixturesComeFromNumpySave() {
        #expect(Self.numpySaveFixtures.count >= 15)
    }

    @Test(arguments: numpySaveFixtures)
    func encodesLikeNumpySave(_ name: String) throws {
        let bytes = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent(name + ".npy"))
        let array = try NPYReader().read(bytes)
        #expect(NPYWriter.encode(array) == bytes)
    }

    @Test(arguments: FixtureCatalog.arrayNames)
    func roundTripsEveryFixture(_ name: String) throws {
        let bytes = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent(name + ".npy"))
        let array = try NPYReader().read(bytes)
        let encoded = NPYWriter.encode(array)
        #expect(try NPYReader().read(encoded) == array)
        #expect(try NPYReader().readHeader(encoded).dataOffset % 64 == 0)
    }

    @Test func numpyReadsWhatTheWriterWrites() throws {
        let directory = try TemporaryDirectory()
        let path = directory.url.appendingPathComponent("written.npy").path
        let array = try NPYArray(shape: [2, 2, 3], elements: (0..<12).map { Float($0) * -0.75 })
        try Data(NPYWriter.encode(array)).write(to: URL(fileURLWithPath: path))
        let script =
            "import numpy, sys; a = numpy.load(sys.argv[1]); "
            + "print(a.dtype.str, a.shape, a.flags.c_contiguous, ' '.join(float(v).hex() for v in a.ravel()))"
        let output = try runPython(script, arguments: [path])
        let expectedValues = (0..<12).map { Double(Float($0) * -0.75) }
        let fields = output.split(separator: " ", maxSplits: 5).map(String.init)
        #expect(fields.prefix(5) == ["<f4", "(2,", "2,", "3)", "True"])
        let values = try (fields.last ?? "").split(separator: " ").map { try #require(Double(String($0))) }
        #expect(values == expectedValues)
    }
}

/// Runs `python3 -c script arguments...` and returns its standard output, failing on a nonzero status.
func runPython(_ script: String, arguments: [String] = []) throws -> String {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    try #require(process.terminationStatus == 0, "python3 failed; run scripts/install-deps for numpy")
    return String(decoding: output, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
}
