import Foundation
import Testing

/// The test suite's own helper for running python3, which every end-to-end test relies on.
@Suite("python3 helper")
struct PythonHelperTests {
    @Test("a script that writes far more than a pipe holds to standard error does not hang the helper")
    func largeStandardErrorIsDrained() throws {
        // 1 MiB to stderr before anything to stdout: with the pipes read one after the other,
        // the script blocks on the full stderr pipe while the helper waits for stdout to end.
        let output = try Python.run(
            "import sys\nsys.stderr.write('x' * (1 << 20))\nsys.stderr.flush()\nprint('done')")
        #expect(output == "done\n")
    }

    @Test("a failing script's standard error is in the error")
    func failureCarriesStandardError() throws {
        #expect {
            try Python.run("import sys\nsys.stderr.write('y' * 100000 + 'the-end')\nsys.exit(3)")
        } throws: { error in
            "\(error)".contains("the-end") && "\(error)".contains("(3)")
        }
    }
}
