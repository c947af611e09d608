import Foundation
import Testing
import VisdropJSON

/// The committed fixtures (see `Fixtures/make_fixtures.py`).
enum Fixtures {
    static var directory: URL {
        get throws {
            try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        }
    }

    static func url(_ relativePath: String) throws -> URL {
        try directory.appendingPathComponent(relativePath)
    }

    static func text(_ relativePath: String) throws -> String {
        try String(contentsOf: url(relativePath), encoding: .utf8)
    }

    /// A JSON fixture file decoded with Foundation (its strings carry everything that matters).
    static func json(_ relativePath: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(contentsOf: url(relativePath)))
    }

    /// The file names in a fixture folder with the given extension, sorted.
    static func files(in folder: String, extension fileExtension: String) throws -> [URL] {
        try FileManager.default.contentsOfDirectory(at: url(folder), includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == fileExtension }
            .sorted { $0.lastPathComponent < $1.lastPathComponent }
    }
}

/// A fresh temporary directory, removed when the body returns.
func withTemporaryDirectory<Result>(_ body: (URL) throws -> Result) throws -> Result {
    let directory = FileManager.default.temporaryDirectory
        .appendingPathComponent("VisdropConfigTextTests-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    return try body(directory)
}

/// The canonical text `make_fixtures.py` writes for a value: `n`, `b:true`, `i:<digits>`, `f:<IEEE bits hex>`
/// or `f:nan`, `s:<UTF-8 hex>`, `[a,b]`, `{<key UTF-8 hex>:value,...}` in order.
func canonical(_ value: JSONValue) -> String {
    switch value {
    case .null: return "n"
    case .bool(let flag): return flag ? "b:true" : "b:false"
    case .integer(let integer): return "i:\(integer.description)"
    case .float(let double):
        if double.isNaN { return "f:nan" }
        let hex = String(double.bitPattern, radix: 16)
        return "f:" + String(repeating: "0", count: 16 - hex.count) + hex
    case .string(let string): return "s:" + hexUTF8(string)
    case .array(let elements): return "[" + elements.map(canonical).joined(separator: ",") + "]"
    case .object(let object):
        return "{" + object.map { hexUTF8($0.key) + ":" + canonical($0.value) }.joined(separator: ",") + "}"
    }
}

func hexUTF8(_ text: String) -> String {
    text.utf8.map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }.joined()
}

func stringFromHexUTF8(_ hex: String) -> String? {
    var bytes: [UInt8] = []
    var index = hex.startIndex
    while index < hex.endIndex {
        let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) ?? hex.endIndex
        guard let byte = UInt8(hex[index..<next], radix: 16) else { return nil }
        bytes.append(byte)
        index = next
    }
    return String(validating: bytes, as: UTF8.self)
}

/// Runs `python3` with arguments and returns its exit status and output.
///
/// Records an issue telling how to install the test dependencies when python3 cannot be started.
func runPython(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3"] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    do {
        try process.run()
    } catch {
        Issue.record("cannot start python3 (\(error)): run scripts/install-deps --test")
        throw error
    }
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}

/// The message for a missing Python test dependency.
let installHint = "python3 with PyYAML and mmengine-lite is needed: run scripts/install-deps --test"
