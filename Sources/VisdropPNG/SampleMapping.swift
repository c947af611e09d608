import VisdropNPY

/// Reads element `index` of an array's raw bytes and turns it into one PNG sample.
///
/// Conformers are small value types so that ``mapSamples(_:of:_:)`` is specialized for each of
/// them and its loops compile to plain loads and stores.
protocol SampleMapping {
    associatedtype Sample: FixedWidthInteger & UnsignedInteger
    func sample(in source: UnsafeRawBufferPointer, at index: Int) -> Sample
}

/// Maps every element of `source` through `mapping`, transposing `(C, H, W)` to `(H, W, C)`
/// when `geometry` says so. `source` holds exactly `geometry.sampleCount` elements.
func mapSamples<Mapping: SampleMapping>(
    _ mapping: Mapping, of source: [UInt8], _ geometry: ImageGeometry
) -> [Mapping.Sample] {
    let count = geometry.sampleCount
    return source.withUnsafeBytes { raw in
        [Mapping.Sample](unsafeUninitializedCapacity: count) { output, initializedCount in
            if geometry.isChannelFirst {
                let channels = geometry.layout.channelCount
                let planeSize = geometry.height * geometry.width
                for channel in 0..<channels {
                    let planeStart = channel * planeSize
                    var target = channel
                    for pixel in 0..<planeSize {
                        output.initializeElement(
                            at: target, to: mapping.sample(in: raw, at: planeStart + pixel))
                        target += channels
                    }
                }
            } else {
                for index in 0..<count {
                    output.initializeElement(at: index, to: mapping.sample(in: raw, at: index))
                }
            }
            initializedCount = count
        }
    }
}

/// `uint8` elements, unchanged.
struct ByteSamples: SampleMapping {
    @inline(__always)
    func sample(in source: UnsafeRawBufferPointer, at index: Int) -> UInt8 {
        source[index]
    }
}

/// `bool` elements: `False` → 0, `True` → 255.
struct BoolSamples: SampleMapping {
    @inline(__always)
    func sample(in source: UnsafeRawBufferPointer, at index: Int) -> UInt8 {
        source[index] == 0 ? 0 : 255
    }
}

/// `uint16` elements (native byte order), unchanged.
struct UInt16Samples: SampleMapping {
    @inline(__always)
    func sample(in source: UnsafeRawBufferPointer, at index: Int) -> UInt16 {
        source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self)
    }
}

/// `float32` elements through torchvision's formula, in single precision.
struct Float32Samples: SampleMapping {
    @inline(__always)
    func sample(in source: UnsafeRawBufferPointer, at index: Int) -> UInt8 {
        let value = source.loadUnaligned(fromByteOffset: index &* 4, as: Float.self)
        return clampedByte(value * 255 + 0.5)
    }
}

/// `float64` elements through torchvision's formula, in double precision.
struct Float64Samples: SampleMapping {
    @inline(__always)
    func sample(in source: UnsafeRawBufferPointer, at index: Int) -> UInt8 {
        let value = source.loadUnaligned(fromByteOffset: index &* 8, as: Double.self)
        return clampedByte(value * 255 + 0.5)
    }
}

/// `float16` elements, looked up by bit pattern in ``float16ByteTable``.
struct Float16Samples: SampleMapping {
    let table: UnsafeBufferPointer<UInt8>

    @inline(__always)
    func sample(in source: UnsafeRawBufferPointer, at index: Int) -> UInt8 {
        table[Int(source.loadUnaligned(fromByteOffset: index &* 2, as: UInt16.self))]
    }
}

/// `clamp_(0, 255)` followed by the truncating conversion to uint8; NaN becomes 0.
@inline(__always)
func clampedByte(_ scaled: Float) -> UInt8 {
    guard scaled >= 0 else { return 0 }
    return scaled < 255 ? UInt8(scaled) : 255
}

/// `clamp_(0, 255)` followed by the truncating conversion to uint8; NaN becomes 0.
@inline(__always)
func clampedByte(_ scaled: Double) -> UInt8 {
    guard scaled >= 0 else { return 0 }
    return scaled < 255 ? UInt8(scaled) : 255
}

/// The torchvision byte of every float16 bit pattern: half-precision `x * 255`, then `+ 0.5`,
/// each rounded to half precision as torch (and numpy) do, then clamped and truncated.
let float16ByteTable: [UInt8] = (0...UInt16.max).map { bits in
    // Every half-precision value is exactly representable as a Float.
    let scaled = roundedToHalfPrecision(Float(HalfPrecision.double(fromBits: bits)) * 255)
    return clampedByte(roundedToHalfPrecision(scaled + 0.5))
}

/// `value` rounded to the nearest half-precision number (ties to even), as a Float.
func roundedToHalfPrecision(_ value: Float) -> Float {
    guard value.isFinite else { return value }
    let magnitude = value.magnitude
    // 65520 is halfway between half's largest finite value (65504) and the next power of two.
    guard magnitude < 65520 else { return value < 0 ? -.infinity : .infinity }
    let spacing: Float =
        magnitude < 0x1p-14 ? 0x1p-24 : Float(sign: .plus, exponent: magnitude.exponent - 10, significand: 1)
    return (value / spacing).rounded(.toNearestOrEven) * spacing
}
