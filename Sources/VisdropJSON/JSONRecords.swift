/// Records given as JSON text: one object for the whole text, or one object per line (JSON Lines).
///
/// The text is first read as one document (so a pretty-printed object spanning lines is one
/// record); when that fails, as JSON Lines, skipping lines that hold only whitespace.
public enum JSONRecords {
    /// The records of `bytes`, in order.
    public static func parse(_ bytes: [UInt8], parser: JSONParser = JSONParser()) throws(JSONRecordsError)
        -> [JSONObject]
    {
        let values: [JSONValue]
        do {
            values = [try parser.parse(bytes)]
        } catch {
            do { values = try parser.parseLines(bytes) } catch let lineError {
                throw .invalidJSON(bytes.contains(UInt8(ascii: "\n")) ? lineError : error)
            }
        }
        var records: [JSONObject] = []
        records.reserveCapacity(values.count)
        for (index, value) in values.enumerated() {
            guard case .object(let record) = value else {
                throw .notAnObject(record: values.count > 1 ? index + 1 : nil, typeName: value.typeName)
            }
            records.append(record)
        }
        guard !records.isEmpty else { throw .noRecords }
        return records
    }

    /// Python's `json.dumps` lines of the records in `bytes`, after `record.setdefault(key, value)`.
    package struct PythonLines: Sendable, Equatable {
        /// One line per record, each ending in `\n`.
        package var bytes: [UInt8]
        /// How many records (and lines).
        package var count: Int

        /// Creates lines from their bytes and count.
        package init(bytes: [UInt8] = [], count: Int = 0) {
            self.bytes = bytes
            self.count = count
        }
    }

    /// The line Python writes for each record of `bytes` after `record.setdefault(key, value)`:
    /// `json.dumps(record)` and a newline — the same bytes as `parse(bytes)` followed by
    /// `JSONWriter.appendPythonJSON` for each record.
    ///
    /// Flat, plainly spelled JSON Lines (the common case: numbers and ASCII names) are re-spelled
    /// straight from their text; anything else goes through `parse`.
    package static func pythonLines(
        _ bytes: [UInt8], settingDefault key: String, to value: JSONValue, parser: JSONParser = JSONParser()
    ) throws(JSONRecordsError) -> PythonLines {
        var defaultKey: [UInt8] = []
        JSONWriter.appendPythonJSONString(key, to: &defaultKey)
        var defaultValue: [UInt8] = []
        JSONWriter.appendPythonJSON(value, to: &defaultValue)
        if let lines = plainLines(bytes, defaultKey: defaultKey, defaultValue: defaultValue) { return lines }
        return pythonLines(of: try parse(bytes, parser: parser), settingDefault: key, to: value)
    }

    /// The line Python writes for each of `records` after `record.setdefault(key, value)`:
    /// `json.dumps(record)` and a newline.
    package static func pythonLines(of records: [JSONObject], settingDefault key: String, to value: JSONValue)
        -> PythonLines
    {
        var lines = PythonLines(bytes: [], count: records.count)
        for var record in records {
            _ = record.setDefault(value, forKey: key)
            JSONWriter.appendPythonJSON(.object(record), to: &lines.bytes)
            lines.bytes.append(UInt8(ascii: "\n"))
        }
        return lines
    }

    /// The fast path: every non-blank line a plain object (see `JSONScanner.appendPlainObject`);
    /// `nil` when any line is not, or when there is no record at all.
    static func plainLines(_ bytes: [UInt8], defaultKey: [UInt8], defaultValue: [UInt8]) -> PythonLines? {
        guard !bytes.starts(with: JSONParser.byteOrderMark),
            defaultKey.withUnsafeBufferPointer(JSONScanner.isPlainString)
        else { return nil }
        // json.dumps adds a space after each ':' and ','; records rarely have more than 8 keys.
        var output = ByteWriter(capacity: bytes.count + bytes.count / 8 + 64)
        var count = 0
        var keys: [Range<Int>] = []
        let allPlain = bytes.withUnsafeBufferPointer { text in
            defaultKey.withUnsafeBufferPointer { key in
                defaultValue.withUnsafeBufferPointer { value in
                    JSONScanner.forEachNonBlankLine(in: text, from: 0, maximumDepth: 1) { scanner in
                        guard
                            scanner.appendPlainObject(
                                defaultKey: key, defaultValue: value, keys: &keys, to: &output),
                            scanner.isAtEndAfterWhitespace()
                        else { return false }
                        output.append(UInt8(ascii: "\n"))
                        count += 1
                        return true
                    }
                }
            }
        }
        return allPlain && count > 0 ? PythonLines(bytes: output.bytes, count: count) : nil
    }
}

/// Why JSON text does not hold records.
public enum JSONRecordsError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Neither one JSON document nor JSON Lines.
    case invalidJSON(JSONParseError)
    /// A value that is not an object: the 1-based position among the records, or `nil` for the whole text.
    case notAnObject(record: Int?, typeName: String)
    /// Only whitespace.
    case noRecords

    /// What is wrong, and where.
    public var description: String {
        switch self {
        case .invalidJSON(let error): return "invalid JSON: \(error)"
        case .notAnObject(let record, let typeName):
            let place = record.map { "record \($0) is" } ?? "the file holds"
            return "\(place) a JSON \(typeName), but each scalar record must be an object"
        case .noRecords: return "the file holds no records"
        }
    }
}
