// libFuzzer target: arbitrary bytes -> (when valid UTF-8) JSONParser and YAMLConfigLoader -> ConfigTextWriter.
//
// Checks that parsing, loading and rendering never crash and fail only with their typed errors (errors are
// fine), that the loader keeps to its limits (a `.object` at the top, no more values and no deeper nesting
// than allowed), and that rendering is deterministic and independent of key order (mmengine's layout sorts
// the keys). Any violation calls fatalError so that libFuzzer records the input as a crash. Build and run
// with `scripts/fuzz FuzzConfig SECONDS`.
import VisdropConfigText
import VisdropJSON

/// Small enough that alias bombs fail fast, large enough for any config among the seeds.
private let limits = YAMLConfigLoader.Limits(maximumNodeCount: 20_000, maximumDepth: 64)

/// libFuzzer calls this once per input: the `count` bytes at `start`; always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzConfig(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeBufferPointer(start: $0, count: count)) } ?? []
    guard let text = String(validating: bytes, as: UTF8.self) else { return 0 }
    do {
        if case .object(let object) = try JSONParser().parse(text) {
            checkRendering(object)
        }
    } catch {
        _ = error.description
    }
    let loaded: JSONValue
    do {
        loaded = try YAMLConfigLoader.load(text, limits: limits)
    } catch {
        _ = error.description
        return 0
    }
    guard case .object(let object) = loaded else {
        fatalError("YAMLConfigLoader.load gave a top level that is not an object")
    }
    var valueCount = 0
    let depth = nestingDepth(loaded, valueCount: &valueCount)
    guard depth <= limits.maximumDepth, valueCount <= limits.maximumNodeCount else {
        fatalError("loaded \(valueCount) values nested \(depth) deep, beyond \(limits)")
    }
    checkRendering(object)
    return 0
}

/// Rendering `object` fails only with a typed error, or gives the same text every time and for any key order.
private func checkRendering(_ object: JSONObject) {
    let text: String
    do {
        text = try ConfigTextWriter.render(object)
    } catch {
        _ = error.description
        return
    }
    let reordered = JSONObject(object.reversed().map { ($0.key, $0.value) })
    do {
        guard try ConfigTextWriter.render(object) == text, try ConfigTextWriter.render(reordered) == text
        else {
            fatalError("rendering the same config twice, or with its keys reversed, gave different text")
        }
    } catch {
        fatalError("rendering a config succeeded once and then failed: \(error)")
    }
    guard text.isEmpty == object.isEmpty, text.isEmpty || text.hasSuffix("\n") else {
        fatalError("config text of \(object.count) keys is not newline-terminated statements")
    }
}

/// The number of lists and mappings `value` is nested in at its deepest; counts every value in `valueCount`.
private func nestingDepth(_ value: JSONValue, valueCount: inout Int) -> Int {
    valueCount += 1
    switch value {
    case .array(let elements):
        return 1 + elements.reduce(0) { max($0, nestingDepth($1, valueCount: &valueCount)) }
    case .object(let object):
        return 1 + object.values.reduce(0) { max($0, nestingDepth($1, valueCount: &valueCount)) }
    case .null, .bool, .integer, .string, .float:
        return 0
    }
}
