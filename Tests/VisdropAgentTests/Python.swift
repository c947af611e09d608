import Foundation
import Synchronization
import Testing

/// Runs python3 (the ground truth: numpy, json, PyYAML, mmengine) and returns its standard output.
enum Python {
    static func run(_ script: String, arguments: [String] = [], input: String? = nil) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script] + arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        let standardInput = Pipe()
        process.standardInput = standardInput
        try process.run()
        // Both pipes are drained at once: a script that fills one (64 KiB) while we wait on the
        // other would block forever.
        let errorsRead = DispatchGroup()
        let collected = ErrorText()
        DispatchQueue.global().async(group: errorsRead) {
            collected.data = errors.fileHandleForReading.readDataToEndOfFile()
        }
        if let input { standardInput.fileHandleForWriting.write(Data(input.utf8)) }
        try standardInput.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        errorsRead.wait()
        let err = collected.data
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure(
                "python3 failed (\(process.terminationStatus)); run scripts/install-deps --test if a module is missing:\n"
                    + String(decoding: err, as: UTF8.self))
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// What Python's `json.dumps` writes for each record with `step` set by `setdefault`.
    static func expectedScalarLines(_ recordsJSON: [String], step: Int = 0) throws -> String {
        let script = """
            import json, sys
            for line in sys.stdin.read().splitlines():
                record = json.loads(line)
                record.setdefault('step', \(step))
                print(json.dumps(record))
            """
        return try run(script, input: recordsJSON.joined(separator: "\n"))
    }
}

/// Standard error as read on another thread.
private final class ErrorText: Sendable {
    private let bytes = Mutex(Data())
    var data: Data {
        get { bytes.withLock { $0 } }
        set { bytes.withLock { $0 = newValue } }
    }
}

/// Parses the comma-separated pixel values a Python script printed.
func pixelValues(_ text: String) throws -> [UInt8] {
    try text.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: ",").map {
        guard let value = UInt8($0) else { throw TestFailure("not a pixel value: \($0)") }
        return value
    }
}

/// Expects `text`'s lines to be `expected`'s, saying where they first differ (a long file's
/// order is checked line by line, and a whole-file diff would say nothing useful).
func expectLines(
    of text: String, equal expected: String, sourceLocation: SourceLocation = #_sourceLocation
) {
    let filed = text.split(separator: "\n")
    let lines = expected.split(separator: "\n")
    let common = min(filed.count, lines.count)
    let first = (0..<common).first { filed[$0] != lines[$0] } ?? common
    #expect(
        filed == lines,
        "first difference at line \(first): \(filed[max(0, first - 2)..<min(filed.count, first + 3)])",
        sourceLocation: sourceLocation)
}
