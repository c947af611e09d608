import Foundation
import Hummingbird

/// The API's JSON: Foundation's encoder, with `NaN`, `Infinity` and `-Infinity` sent as those
/// strings (JSON has no such numbers; mmengine writes them as bare words).
enum APIJSON {
    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.nonConformingFloatEncodingStrategy = .convertToString(
            positiveInfinity: "Infinity", negativeInfinity: "-Infinity", nan: "NaN")
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let data = try encoder.encode(value)
        var headers = HTTPFields()
        headers[.contentType] = "application/json; charset=utf-8"
        headers[.cacheControl] = "no-store"
        return Response(
            status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// `GET /api/runs`.
struct RunsReply: Encodable {
    var runs: [RunSummary]
    var truncated: Bool
}

/// `GET /api/run`.
struct RunReply: Encodable {
    var name: String
    /// `scalars.json` first (when there), then every other `*.json` in the save_dir: the
    /// `file_path` targets (`val.json`, mmengine's `<timestamp>.json`).
    var scalarFiles: [String]
    var images: [ImageTag]
    var config: Bool
}

/// `GET /api/scalars`.
struct ScalarsReply: Encodable {
    /// One point as `[step, value, smoothed]`.
    struct Point: Encodable {
        var point: SeriesPoint
        func encode(to encoder: any Encoder) throws {
            var container = encoder.unkeyedContainer()
            try container.encode(point.step)
            try container.encode(point.value)
            try container.encode(point.smoothed)
        }
    }
    struct Series: Encodable {
        var count: Int
        var points: [Point]
    }
    var run: String
    var file: String
    var smoothing: Double
    var offset: Int
    var nextOffset: Int
    var reset: Bool
    var keys: [String]
    var series: [String: Series]
    var skippedLines: Int
    var droppedKeys: Int

    init(run: String, file: String, smoothing: Double, series: ScalarSeries) {
        self.run = run
        self.file = file
        self.smoothing = smoothing
        offset = series.offset
        nextOffset = series.nextOffset
        reset = series.reset
        keys = series.keys
        self.series = series.series.mapValues { Series(count: $0.count, points: $0.points.map(Point.init)) }
        skippedLines = series.skippedLines
        droppedKeys = series.droppedKeys
    }
}

/// `GET /api/config-diff`: the lines of two configs, each kept (" "), removed ("-") or added ("+").
struct ConfigDiffReply: Encodable {
    struct Line: Encodable, Equatable {
        var op: String
        var text: String
    }
    var a: String
    var b: String
    var lines: [Line]

    /// The line diff of `old` against `new` (the standard library's `difference`, a Myers diff).
    static func lines(from old: [Substring], to new: [Substring]) -> [Line] {
        let difference = new.difference(from: old)
        var removed = Set<Int>()
        var inserted = Set<Int>()
        for change in difference {
            switch change {
            case .remove(let offset, _, _): removed.insert(offset)
            case .insert(let offset, _, _): inserted.insert(offset)
            }
        }
        var lines: [Line] = []
        var oldIndex = 0
        var newIndex = 0
        while oldIndex < old.count || newIndex < new.count {
            if oldIndex < old.count, removed.contains(oldIndex) {
                lines.append(Line(op: "-", text: String(old[oldIndex])))
                oldIndex += 1
            } else if newIndex < new.count, inserted.contains(newIndex) {
                lines.append(Line(op: "+", text: String(new[newIndex])))
                newIndex += 1
            } else {
                lines.append(Line(op: " ", text: String(old[oldIndex])))
                oldIndex += 1
                newIndex += 1
            }
        }
        return lines
    }
}
