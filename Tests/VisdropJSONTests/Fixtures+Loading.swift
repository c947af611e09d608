import Foundation
import Testing

/// Access to the committed fixtures made by `Fixtures/make_fixtures.py` (python3's json) and real mmengine.
///
/// Fixture JSON Lines are read with Foundation's `JSONDecoder`, never with the parser under test.
enum Fixtures {
    static func url(_ relativePath: String) throws -> URL {
        let folder = try #require(Bundle.module.url(forResource: "Fixtures", withExtension: nil))
        return folder.appending(path: relativePath)
    }

    static func bytes(_ relativePath: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: url(relativePath)))
    }

    /// Decodes every non-empty line of a JSON Lines fixture as `Row`.
    static func rows<Row: Decodable>(_ relativePath: String, as _: Row.Type = Row.self) throws -> [Row] {
        let text = try String(contentsOf: url(relativePath), encoding: .utf8)
        let decoder = JSONDecoder()
        return try text.split(separator: "\n").map { line in
            try decoder.decode(Row.self, from: Data(line.utf8))
        }
    }
}

/// One `{"name", "input", "expected"}` row: expected is `json.dumps(json.loads(input))` from python3.
struct RoundTripCase: Decodable, CustomTestStringConvertible {
    let name: String
    let input: String
    let expected: String

    var testDescription: String { name }
}

/// One row of `random_doubles.jsonl`: a binary64 bit pattern, Python's `repr` of it, and a JSON round trip.
struct RandomDoubleCase: Decodable {
    let name: String
    let bits: String
    let repr: String
    let input: String
    let expected: String
}

/// One row of `errors.jsonl`: input bytes and, when Python's json rejects them with a position, that position.
struct ErrorCase: Decodable {
    struct PythonVerdict: Decodable {
        let message: String
        let offset: Int?
        let line: Int?
        let column: Int?
    }

    let name: String
    let mode: String
    let inputHex: String
    let python: PythonVerdict?

    enum CodingKeys: String, CodingKey {
        case name, mode, python
        case inputHex = "input_hex"
    }

    var inputBytes: [UInt8] {
        var bytes: [UInt8] = []
        var utf8 = inputHex.utf8[...]
        while utf8.count >= 2 {
            let pair = String(decoding: utf8.prefix(2), as: UTF8.self)
            bytes.append(UInt8(pair, radix: 16) ?? 0)
            utf8 = utf8.dropFirst(2)
        }
        return bytes
    }
}
