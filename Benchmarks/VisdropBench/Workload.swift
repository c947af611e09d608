import VisdropNPY

#if canImport(Glibc)
    import Glibc
#endif

/// One kind of file dropped many times: its names, its content and what counts as done.
///
/// File `i` is named `<prefix>_<i>.<extension>`; scalar records carry `"step"` values that
/// tell the benchmark which file a line of `scalars.json` came from, and image `img_<i>.npy`
/// becomes `vis_image/img_<i>.png`.
struct Workload {
    enum Kind: Hashable {
        /// One JSON object per `.json` file.
        case scalarFiles
        /// `.jsonl` files of `recordsPerFile` objects.
        case scalarBatches
        /// RGB uint8 images.
        case images(width: Int, height: Int)
        /// One-record files dropped one at a time into an idle agent (latency only).
        case loneScalars
    }

    let kind: Kind
    let files: Int
    var recordsPerFile: Int { kind == .scalarBatches ? 100 : 1 }

    var label: String {
        switch kind {
        case .scalarFiles: "scalar files, 1 record each"
        case .scalarBatches: "JSONL files, 100 records each"
        case .images(let width, let height): "images \(width)×\(height) RGB uint8"
        case .loneScalars: "lone scalar file (idle agent)"
        }
    }

    var unit: String {
        switch kind {
        case .images: "images/s"
        default: "records/s"
        }
    }

    var isImage: Bool {
        if case .images = kind { return true }
        return false
    }

    func sourceName(_ index: Int) -> String {
        switch kind {
        case .scalarFiles, .loneScalars: "m_\(index).json"
        case .scalarBatches: "b_\(index).jsonl"
        case .images: "img_\(index).npy"
        }
    }

    /// The file index in a source name `<prefix>_<index>.<ext>` or output `img_<index>.png`.
    static func index(in name: String) -> Int? {
        guard let underscore = name.lastIndex(of: "_"), let dot = name.lastIndex(of: "."),
            underscore < dot
        else { return nil }
        return Int(name[name.index(after: underscore)..<dot])
    }

    /// The bytes of file `index`.
    func content(_ index: Int, images: inout ImageContent) throws(BenchError) -> [UInt8] {
        switch kind {
        case .scalarFiles, .loneScalars:
            return Array((Self.record(step: index) + "\n").utf8)
        case .scalarBatches:
            var text = ""
            for step in (index * recordsPerFile)..<((index + 1) * recordsPerFile) {
                text += Self.record(step: step) + "\n"
            }
            return Array(text.utf8)
        case .images(let width, let height):
            return try images.npy(width: width, height: height, variant: index % ImageContent.variants)
        }
    }

    /// A training-log-like record; the floats are printed the way Python's repr prints them.
    static func record(step: Int) -> String {
        let loss = 2.5 / Double(step + 3)
        let accuracy = Double(step % 1000) / 1000
        return
            #"{"loss": \#(loss), "acc": \#(accuracy), "lr": 0.0001, "data_time": 0.0123, "step": \#(step)}"#
    }
}

/// Images of realistic content: smooth colour gradients plus mild noise (not random bytes,
/// which no PNG encoder can compress and no camera or renderer produces).
struct ImageContent {
    static let variants = 4
    private var cache: [String: [UInt8]] = [:]

    /// The `.npy` bytes of a `(height, width, 3)` uint8 image; a few variants per size.
    mutating func npy(width: Int, height: Int, variant: Int) throws(BenchError) -> [UInt8] {
        let key = "\(width)x\(height)-\(variant)"
        if let bytes = cache[key] { return bytes }
        let pixels = Self.rgb(width: width, height: height, variant: variant)
        let array: NPYArray
        do {
            array = try NPYArray(elementType: .uint8, shape: [height, width, 3], data: pixels)
        } catch {
            throw .agent("cannot make a test image: \(error)")
        }
        let bytes = NPYWriter.encode(array)
        cache[key] = bytes
        return bytes
    }

    static func rgb(width: Int, height: Int, variant: Int) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        var random = SplitMix64(seed: UInt64(variant * 7919 + width * 31 + height))
        let phase = Double(variant) * 0.7
        let inverseWidth = 1 / Double(max(width - 1, 1))
        let inverseHeight = 1 / Double(max(height - 1, 1))
        var offset = 0
        for y in 0..<height {
            let v = Double(y) * inverseHeight
            for x in 0..<width {
                let u = Double(x) * inverseWidth
                // Three smooth fields: two linear ramps and a slow wave, then noise of ±7.
                let red = 40 + 170 * (u * 0.8 + v * 0.2)
                let green = 30 + 190 * (1 - v) * (0.6 + 0.4 * u)
                let blue = 128 + 90 * sin(6.3 * (u * 1.3 + v * 0.9) + phase)
                let noise = random.next()
                pixels[offset] = Self.clamp(red + Self.triangular(noise))
                pixels[offset + 1] = Self.clamp(green + Self.triangular(noise >> 8))
                pixels[offset + 2] = Self.clamp(blue + Self.triangular(noise >> 16))
                offset += 3
            }
        }
        return pixels
    }

    /// Noise from -7 to 7, most often near 0 (the sum of two uniform 3-bit values).
    private static func triangular(_ bits: UInt64) -> Double {
        Double(Int(bits & 7) + Int((bits >> 3) & 7) - 7)
    }

    private static func clamp(_ value: Double) -> UInt8 {
        UInt8(min(max(value.rounded(), 0), 255))
    }
}

/// A small, fast, seedable generator (SplitMix64), so every run drops the same images.
struct SplitMix64 {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
