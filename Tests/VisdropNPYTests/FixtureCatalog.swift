import Foundation
import Testing
import VisdropNPY

/// Finds the fixtures written by `Fixtures/make_fixtures.py` and decodes their numpy-made sidecars.
enum FixtureCatalog {
    static let root: URL =
        Bundle.module.url(forResource: "Fixtures", withExtension: nil)
        ?? URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures")

    static let arraysFolder = root.appendingPathComponent("arrays")
    static let errorsFolder = root.appendingPathComponent("errors")

    /// The names (without extension) of every readable-array fixture.
    static let arrayNames: [String] = {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: arraysFolder.path)) ?? []
        return entries.filter { $0.hasSuffix(".npy") }.map { String($0.dropLast(4)) }.sorted()
    }()

    /// Every error fixture with the error numpy's format rules call for.
    static let errorCases: [ErrorCase] = {
        guard let data = try? Data(contentsOf: errorsFolder.appendingPathComponent("manifest.json")),
            let list = try? JSONSerialization.jsonObject(with: data) as? [[String: Any]]
        else { return [] }
        return list.compactMap { entry in
            guard let file = entry["file"] as? String, let error = entry["error"] as? String,
                let fields = entry["fields"] as? [String: Any]
            else { return nil }
            return ErrorCase(
                file: file, error: error, fields: fields.mapValues { "\($0)" },
                numpyRejects: entry["numpy_rejects"] as? Bool ?? false)
        }
    }()

    static func bytes(of url: URL) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url))
    }

    static func sidecar(_ name: String) throws -> Sidecar {
        let data = try Data(contentsOf: arraysFolder.appendingPathComponent(name + ".json"))
        let object = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let version = try #require(object["version"] as? [Int])
        let values = try #require(object["values"] as? String)
        return Sidecar(
            dtype: try #require(object["dtype"] as? String),
            shape: try #require(object["shape"] as? [Int]),
            fortranOrder: try #require(object["fortran_order"] as? Bool),
            bigEndian: try #require(object["big_endian"] as? Bool),
            majorVersion: version[0],
            writtenByNumpySave: try #require(object["numpy_save"] as? Bool),
            values: values.split(separator: " ").map(String.init))
    }
}

/// What numpy read back from one array fixture.
struct Sidecar {
    let dtype: String
    let shape: [Int]
    let fortranOrder: Bool
    let bigEndian: Bool
    let majorVersion: Int
    let writtenByNumpySave: Bool
    /// C-order values: decimal integers, 0/1 for bools, `float.hex()` text for floats.
    let values: [String]
}

/// One broken or unsupported file and the error it must produce.
struct ErrorCase: CustomTestStringConvertible, Sendable {
    let file: String
    let error: String
    let fields: [String: String]
    let numpyRejects: Bool

    var testDescription: String { "\(file) -> \(error)" }
}

extension NPYError {
    /// The case name and associated values as text, to compare with the fixture manifest.
    var caseNameAndFields: (String, [String: String]) {
        switch self {
        case .badMagic: return ("badMagic", [:])
        case .unsupportedVersion(let major, let minor):
            return ("unsupportedVersion", ["major": "\(major)", "minor": "\(minor)"])
        case .truncatedHeader(let needed, let available):
            return ("truncatedHeader", ["needed": "\(needed)", "available": "\(available)"])
        case .headerTooLong(let length, let limit):
            return ("headerTooLong", ["length": "\(length)", "limit": "\(limit)"])
        case .malformedHeader: return ("malformedHeader", [:])
        case .unsupportedDType(let descr): return ("unsupportedDType", ["descr": descr])
        case .tooManyDimensions(let count, let limit):
            return ("tooManyDimensions", ["count": "\(count)", "limit": "\(limit)"])
        case .shapeOverflow(let shape): return ("shapeOverflow", ["shape": shape])
        case .invalidShape: return ("invalidShape", [:])
        case .dataSizeMismatch(let expected, let actual):
            return ("dataSizeMismatch", ["expected": "\(expected)", "actual": "\(actual)"])
        case .tooLarge(let bytes, let limit): return ("tooLarge", ["bytes": "\(bytes)", "limit": "\(limit)"])
        }
    }
}

/// A fresh temporary directory, removed when the test ends.
struct TemporaryDirectory: ~Copyable {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "visdrop-npy-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: url)
    }
}
