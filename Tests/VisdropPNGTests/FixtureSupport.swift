import Foundation
import Testing
import VisdropNPY
import VisdropPNG

/// Access to `Fixtures/` (written by `Fixtures/make_fixtures.py` and copied from mmengine).
enum Fixtures {
    struct Missing: Error, CustomStringConvertible {
        let description: String
    }

    static func url(_ relativePath: String) throws -> URL {
        guard let root = Bundle.module.url(forResource: "Fixtures", withExtension: nil) else {
            throw Missing(description: "the Fixtures resource folder is not in the test bundle")
        }
        return root.appendingPathComponent(relativePath)
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath)))
    }

    static func decodeJSON<Value: Decodable>(_ type: Value.Type, _ relativePath: String) throws -> Value {
        try JSONDecoder().decode(type, from: Data(contentsOf: url(relativePath)))
    }

    /// The data part of a C-order `.npy` file written by numpy (format 1.0 or 2.0): the header is skipped.
    static func npyPayload(_ relativePath: String) throws -> [UInt8] {
        let file = try bytes(relativePath)
        guard file.count >= 12, file.starts(with: [0x93] + Array("NUMPY".utf8)) else {
            throw Missing(description: "\(relativePath) is not an .npy file")
        }
        let headerEnd =
            file[6] == 1
            ? 10 + Int(file[8]) + Int(file[9]) << 8
            : 12 + Int(file[8]) + Int(file[9]) << 8 + Int(file[10]) << 16 + Int(file[11]) << 24
        guard headerEnd <= file.count else {
            throw Missing(description: "\(relativePath) has a truncated header")
        }
        return Array(file[headerEnd...])
    }

    /// An NPYArray built from a numpy-written file; its dtype and shape come from the JSON listing.
    static func npyArray(_ relativePath: String, dtype: String, shape: [Int]) throws -> NPYArray {
        try NPYArray(
            elementType: try elementType(numpyName: dtype), shape: shape, data: try npyPayload(relativePath))
    }

    static func elementType(numpyName: String) throws -> NPYElementType {
        let types: [String: NPYElementType] = [
            "bool": .bool, "int8": .int8, "int16": .int16, "int32": .int32, "int64": .int64,
            "uint8": .uint8, "uint16": .uint16, "uint32": .uint32, "uint64": .uint64,
            "float16": .float16, "float32": .float32, "float64": .float64,
        ]
        guard let type = types[numpyName] else {
            throw Missing(description: "unknown dtype \(numpyName)")
        }
        return type
    }

    /// The samples of an expected-pixels `.npy` file (uint8 or uint16, native little-endian).
    static func expectedSamples(_ relativePath: String, dtype: String) throws -> PixelSamples {
        let payload = try npyPayload(relativePath)
        switch dtype {
        case "uint8":
            return .eightBit(payload)
        case "uint16":
            return .sixteenBit(
                stride(from: 0, to: payload.count, by: 2).map {
                    UInt16(payload[$0]) | UInt16(payload[$0 + 1]) << 8
                })
        default:
            throw Missing(description: "unexpected expected dtype \(dtype)")
        }
    }
}

/// A fresh directory under the system's temporary directory, removed by `cleanUp()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "VisdropPNGTests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ bytes: [UInt8], to name: String) throws -> URL {
        let file = url.appendingPathComponent(name)
        try FileManager.default.createDirectory(
            at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: file)
        return file
    }

    func cleanUp() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Runs a Python 3 program and returns its standard output, trimmed; fails if it exits non-zero.
func runPython(_ script: String, arguments: [String] = []) throws -> String {
    let result = try runProcess(["python3", "-c", script] + arguments)
    guard result.status == 0 else {
        throw Fixtures.Missing(description: "python3 failed: \(result.output)")
    }
    return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// Runs a program found on PATH, returning its exit status and combined output.
func runProcess(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = pipe.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: output, as: UTF8.self))
}

/// Runs `Fixtures/check_png.py` (zlib + numpy, no libpng) on (PNG, expected .npy) pairs.
func independentPNGCheck(_ pairs: [(png: URL, expected: URL)]) throws -> (status: Int32, output: String) {
    try runProcess(
        ["python3", try Fixtures.url("check_png.py").path]
            + pairs.flatMap { [$0.png.path, $0.expected.path] })
}

/// The first index where two sample arrays differ, for readable failures.
func firstDifference(_ actual: PixelSamples, _ expected: PixelSamples) -> String? {
    switch (actual, expected) {
    case (.eightBit(let lhs), .eightBit(let rhs)):
        return firstDifference(lhs, rhs)
    case (.sixteenBit(let lhs), .sixteenBit(let rhs)):
        return firstDifference(lhs, rhs)
    default:
        return "bit depth \(actual.bitDepth) instead of \(expected.bitDepth)"
    }
}

private func firstDifference<Sample: Equatable>(_ actual: [Sample], _ expected: [Sample]) -> String? {
    guard actual.count == expected.count else {
        return "\(actual.count) samples instead of \(expected.count)"
    }
    guard let index = actual.indices.first(where: { actual[$0] != expected[$0] }) else {
        return nil
    }
    return "sample \(index) is \(actual[index]) instead of \(expected[index])"
}
