// libFuzzer target: arbitrary bytes -> JSONParser (whole documents and JSON Lines).
//
// Checks that parsing never crashes, and that every value parsed survives a round trip through
// JSONWriter.pythonJSON: the text written is printable ASCII without newlines, parses again, and the
// value parsed from it writes the same text and (unless it holds a NaN, which equals nothing) equals the
// first value. Parsing the same bytes as a String, or as one JSON line when they hold no newline, must
// agree with parsing them as bytes. JSONRecords.pythonLines (whose fast path re-spells plain records
// straight from their text) must write exactly what parsing the records and writing them does, or fail
// the same way; so must JSONNumericFieldsReader (the viewer's fast path for scalar lines) give, for each
// line it takes, the numbers parsing that line gives, bit for bit. Any violation calls fatalError so that libFuzzer records the input
// as a crash. Build and run with `scripts/fuzz FuzzJSON SECONDS`.
import VisdropJSON

/// libFuzzer calls this once per input: the `count` bytes at `start`; always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzJSON(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let parser = JSONParser()
    let document = Result { () throws(JSONParseError) in try parser.parse(bytes) }
    if case .success(let value) = document {
        checkRoundTrip(value, parser: parser)
    }
    if let text = String(validating: bytes, as: UTF8.self) {
        let fromText = Result { () throws(JSONParseError) in try parser.parse(text) }
        guard outcomeText(fromText) == outcomeText(document) else {
            fatalError("parse(String) gave \(outcomeText(fromText)), parse(bytes) \(outcomeText(document))")
        }
    }
    do {
        let values = try parser.parseLines(bytes)
        for value in values { checkRoundTrip(value, parser: parser) }
        checkLinesRoundTrip(values, parser: parser)
        if !bytes.contains(UInt8(ascii: "\n")), case .success(let value) = document {
            guard values.count == 1, JSONWriter.pythonJSON(values[0]) == JSONWriter.pythonJSON(value) else {
                fatalError("parseLines of a one-line document gave \(values.count) values")
            }
        }
    } catch {
        _ = error.description
    }
    checkRecordLines(bytes)
    checkNumericFields(bytes)
    return 0
}

/// Each line `JSONNumericFieldsReader` takes (one reader for all, so keys are reused line to
/// line) gives the numbers of the object `JSONParser` reads from it, in order, bit for bit.
private func checkNumericFields(_ bytes: [UInt8]) {
    var reader = JSONNumericFieldsReader()
    var fields: [(key: String, value: Double)] = []
    for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
        let line = Array(line)
        guard line.withUnsafeBufferPointer({ reader.read($0, into: &fields) }) else { continue }
        guard case .object(let object)? = try? JSONParser().parse(line) else {
            fatalError(
                "the fast path took a line the parser refuses: \(String(decoding: line, as: UTF8.self))")
        }
        let parsed = object.compactMap { key, value in value.doubleValue.map { (key, $0.bitPattern) } }
        guard parsed.elementsEqual(fields.map { ($0.key, $0.value.bitPattern) }, by: { $0 == $1 }) else {
            fatalError("the fast path read \(fields), the parser \(parsed)")
        }
    }
}

/// `JSONRecords.pythonLines` agrees with `JSONRecords.parse` followed by `JSONWriter`.
private func checkRecordLines(_ bytes: [UInt8]) {
    let lines = Result { () throws(JSONRecordsError) in
        try JSONRecords.pythonLines(bytes, settingDefault: "step", to: 0)
    }
    let written = Result { () throws(JSONRecordsError) in
        var written = JSONRecords.PythonLines(bytes: [], count: 0)
        for var record in try JSONRecords.parse(bytes) {
            _ = record.setDefault(0, forKey: "step")
            JSONWriter.appendPythonJSON(.object(record), to: &written.bytes)
            written.bytes.append(UInt8(ascii: "\n"))
            written.count += 1
        }
        return written
    }
    switch (lines, written) {
    case (.success(let fast), .success(let slow)) where fast == slow: return
    case (.failure(let fast), .failure(let slow)) where fast == slow: return
    default:
        fatalError("pythonLines gave \(describe(lines)), parse and write \(describe(written))")
    }
}

private func describe(_ outcome: Result<JSONRecords.PythonLines, JSONRecordsError>) -> String {
    switch outcome {
    case .success(let lines):
        return "\(lines.count) lines " + String(decoding: lines.bytes, as: UTF8.self).debugDescription
    case .failure(let error): return "error " + error.description
    }
}

/// The written text of a parsed value, or the description of the error, for comparing outcomes.
private func outcomeText(_ outcome: Result<JSONValue, JSONParseError>) -> String {
    switch outcome {
    case .success(let value): return "value " + JSONWriter.pythonJSON(value)
    case .failure(let error): return "error " + error.description
    }
}

/// Writing `value` gives printable one-line ASCII that parses back to a value writing the same text.
private func checkRoundTrip(_ value: JSONValue, parser: JSONParser) {
    let text = JSONWriter.pythonJSON(value)
    guard text.utf8.allSatisfy({ (0x20...0x7E).contains($0) }) else {
        fatalError("pythonJSON wrote a byte outside printable ASCII: \(text.debugDescription)")
    }
    let reparsed: JSONValue
    do {
        reparsed = try parser.parse(text)
    } catch {
        fatalError("pythonJSON output does not parse back: \(error)\n\(text.debugDescription)")
    }
    let rewritten = JSONWriter.pythonJSON(reparsed)
    guard rewritten == text else {
        fatalError("round trip changed the text:\n\(text.debugDescription)\n\(rewritten.debugDescription)")
    }
    guard reparsed == value || containsNaN(value) else {
        fatalError("round trip changed the value of \(text.debugDescription)")
    }
}

/// Values written one per line read back as the same number of lines writing the same texts.
private func checkLinesRoundTrip(_ values: [JSONValue], parser: JSONParser) {
    let texts = values.map(JSONWriter.pythonJSON)
    let joined = texts.map { $0 + "\n" }.joined()
    do {
        let reparsed = try parser.parseLines(joined)
        guard reparsed.map(JSONWriter.pythonJSON) == texts else {
            fatalError("JSON Lines round trip changed \(values.count) values")
        }
    } catch {
        fatalError("written JSON Lines do not parse back: \(error)")
    }
}

/// Whether `value` holds a NaN anywhere, which makes structural equality false.
private func containsNaN(_ value: JSONValue) -> Bool {
    switch value {
    case .float(let double): return double.isNaN
    case .array(let elements): return elements.contains(where: containsNaN)
    case .object(let object): return object.values.contains(where: containsNaN)
    case .null, .bool, .integer, .string: return false
    }
}
