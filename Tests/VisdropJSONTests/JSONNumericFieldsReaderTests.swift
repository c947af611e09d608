import Foundation
import Testing
import VisdropJSON

/// The viewer's fast path for scalar lines gives, for every line it takes, the numbers python3's
/// `json.loads` reads (each line's int and float values, not booleans, as `float()` makes them),
/// and leaves every other line to `JSONParser`, which gives them too.
@Suite struct JSONNumericFieldsReaderTests {
    /// A line and whether the fast path must take it (`false`: it must leave it to the parser).
    struct Line {
        var text: String
        var plain: Bool
        init(_ text: String, plain: Bool) {
            self.text = text
            self.plain = plain
        }
    }

    static let lines: [Line] = [
        Line(#"{"loss": NaN, "a": Infinity, "b": -Infinity, "step": 1}"#, plain: true),
        Line(#"{"z": -0.0, "zi": -0, "ze": -0e-0, "zero": 0, "step": 0}"#, plain: true),
        Line(#"{"big": 1e400, "tiny": 1e-400, "neg": -1e400, "step": 2}"#, plain: true),
        Line(
            #"{"int": 12345678901234567890123456789, "huge": 1\#(String(repeating: "0", count: 400)), "step": 3}"#,
            plain: true),
        Line(#"{"t": true, "f": false, "n": null, "s": "text", "x": 1.5, "step": 4}"#, plain: true),
        Line(
            #"{"x": 0.1, "y": 2.5e-3, "w": 123456789012345678, "v": 9007199254740993, "step": 5}"#,
            plain: true),
        Line(
            #"{"u": 0.30000000000000004, "e": 1E5, "p": 1e+5, "m": -2.5E-5, "q": 1.0e22, "r": 1e23}"#,
            plain: true),
        Line(
            #"{"d": 4.9e-324, "n": 2.2250738585072014e-308, "x": 1.7976931348623157e308, "o": 1.7976931348623159e308}"#,
            plain: true),
        Line(
            #"{"long": 123456789012345678901234, "frac": 0.000000000000000000000000000012345678901234567}"#,
            plain: true),
        Line(
            #"{"half": 9007199254740993.0, "odd": 18014398509481985, "h2": 1.00000000000000011102230246251565404236316680908203125}"#,
            plain: true),
        Line("  { \"a\" : 1 , \"step\" : 2 }  \r", plain: true),
        Line("{}", plain: true),
        Line(#"{"loss": 1.0}"#, plain: true),
        Line(#"{"loss": 1.0, "step": "7"}"#, plain: true),
        Line(#"{"step": true, "loss": 1}"#, plain: true),
        Line(#"{"a": 1, "b": 2, "step": 3}"#, plain: true),
        Line(#"{"a": 1, "a": 2, "step": 3}"#, plain: false),
        Line(#"{"a": 1, "b": 2, "b": 5}"#, plain: false),
        Line(#"{"b": 1, "a": 2, "step": 3}"#, plain: true),
        Line(#"{"b": 1, "a": 2, "step": 3, "a": 4}"#, plain: false),
        Line(#"{"lo\u0073s": 1, "step": 1}"#, plain: false),
        Line(#"{"s": "a\"b", "x": 1, "step": 1}"#, plain: false),
        Line(#"{"x": {"y": 1}, "z": [1, 2], "step": 1}"#, plain: false),
        Line(#"{"é": 1, "step": 1}"#, plain: false),
        Line(#"{"s": "é", "x": 2, "step": 1}"#, plain: false),
        Line("{\"s\": \"a\tb\", \"x\": 1}", plain: false),
        Line("\u{FEFF}{\"x\": 1}", plain: false),
        Line(#"{"x": 1,}"#, plain: false),
        Line(#"{"x": 01}"#, plain: false),
        Line(#"{"x": 1} extra"#, plain: false),
        Line(#"{"x": 1"#, plain: false),
        Line(#"{"x": nan}"#, plain: false),
        Line(#"{"x": .5}"#, plain: false),
        Line(#"{"x": 1.}"#, plain: false),
        Line(#"{"x": -}"#, plain: false),
        Line("[1, 2]", plain: false),
        Line(#""text""#, plain: false),
        Line(
            "{" + (0..<70).map { "\"k\($0)\": \($0)" }.joined(separator: ", ") + "}", plain: false),
    ]

    /// For each line, python3's numbers as `[key, bits in hex]`, or `nil` when `json.loads`
    /// refuses the line or reads something other than an object.
    static func pythonFields(_ texts: [String]) throws -> [[[String]]?] {
        let script = """
            import json, math, struct, sys
            def bits(value):
                try:
                    value = float(value)
                except OverflowError:
                    value = math.inf if value > 0 else -math.inf
                return format(struct.unpack('<Q', struct.pack('<d', value))[0], '016x')
            out = []
            for line in open(sys.argv[1], 'rb').read().split(b'\\n'):
                try:
                    record = json.loads(line)
                except ValueError:
                    record = None
                if not isinstance(record, dict):
                    out.append(None)
                    continue
                out.append([[key, bits(value)] for key, value in record.items()
                            if isinstance(value, (int, float)) and not isinstance(value, bool)])
            print(json.dumps(out))
            """
        let output = try runPython(script, input: texts.joined(separator: "\n"))
        guard let fields = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [Any] else {
            throw PythonFailure(description: "python printed \(output)")
        }
        return fields.map { $0 as? [[String]] }
    }

    static func spelled(_ fields: [(key: String, value: Double)]) -> [[String]] {
        fields.map { [$0.key, String($0.value.bitPattern, radix: 16).leftPadded(to: 16)] }
    }

    /// What `JSONParser` reads from the line, spelt as python's fields are.
    static func parsedFields(_ text: String) -> [[String]]? {
        guard case .object(let object)? = try? JSONParser().parse(Array(text.utf8)) else { return nil }
        return spelled(object.compactMap { key, value in value.doubleValue.map { (key, $0) } })
    }

    @Test func takesThePlainLinesAndReadsTheNumbersPythonReads() throws {
        let expected = try Self.pythonFields(Self.lines.map(\.text))
        #expect(expected.count == Self.lines.count)
        var reader = JSONNumericFieldsReader()
        var fields: [(key: String, value: Double)] = []
        for (line, python) in zip(Self.lines, expected) {
            #expect(Self.parsedFields(line.text) == python, "the parser on \(line.text)")
            let bytes = Array(line.text.utf8)
            let took = bytes.withUnsafeBufferPointer { reader.read($0, into: &fields) }
            #expect(took == line.plain, "whether the fast path takes \(line.text)")
            if took { #expect(Self.spelled(fields) == python, "the fast path on \(line.text)") }
        }
    }

    @Test func readsRandomNumbersOfEveryMagnitudeAsPythonDoes() throws {
        // 17 significant digits (repr of random doubles), short decimals, integers past 2^53 and
        // past 2^64, at magnitudes from 1e-30 to 1e30; one reader, so keys are reused line to line.
        let script = """
            import json, random, struct
            random.seed(15)
            lines, bits = [], []
            for index in range(20000):
                exponent = random.randint(-30, 30)
                values = {
                    'repr': random.random() * 10.0 ** exponent,
                    'short': round(random.uniform(-1, 1), random.randint(0, 8)) * 10.0 ** exponent,
                    'int': random.randint(-2 ** 70, 2 ** 70) >> random.randint(0, 70),
                    'step': index,
                }
                text = json.dumps(values)
                if index % 3 == 0:
                    text = text.replace('e-', 'E-').replace('e+', 'e')
                lines.append(text)
                parsed = json.loads(text)
                bits.append([format(struct.unpack('<Q', struct.pack('<d', float(value)))[0], '016x')
                             for value in parsed.values()])
            print(json.dumps({'lines': lines, 'bits': bits}))
            """
        let output = try runPython(script)
        let reply = try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any]
        let lines = try #require(reply?["lines"] as? [String])
        let bits = try #require(reply?["bits"] as? [[String]])
        #expect(lines.count == 20000)
        var reader = JSONNumericFieldsReader()
        var fields: [(key: String, value: Double)] = []
        var mismatches: [String] = []
        for (line, expected) in zip(lines, bits) {
            let took = Array(line.utf8).withUnsafeBufferPointer { reader.read($0, into: &fields) }
            let read = Self.spelled(fields).map { $0[1] }
            if !took || read != expected { mismatches.append("\(line): \(read) for \(expected)") }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) lines differ, first: \(mismatches.prefix(3))")
    }
}

struct PythonFailure: Error, CustomStringConvertible {
    var description: String
}

/// Runs python3 (the ground truth) with `script`, `input` on its standard input as a file, and
/// returns what it printed.
func runPython(_ script: String, input: String = "") throws -> String {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
        "visdrop-json-py-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let inputFile = directory.appendingPathComponent("in")
    try Data(input.utf8).write(to: inputFile)
    let output = directory.appendingPathComponent("out")
    _ = FileManager.default.createFile(atPath: output.path, contents: nil)
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script, inputFile.path]
    let handle = try FileHandle(forWritingTo: output)
    process.standardOutput = handle
    process.standardError = handle
    try process.run()
    process.waitUntilExit()
    let text = try String(contentsOf: output, encoding: .utf8)
    guard process.terminationStatus == 0 else { throw PythonFailure(description: "python3 failed: \(text)") }
    return text
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
