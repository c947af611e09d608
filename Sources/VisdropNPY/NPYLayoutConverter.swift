/// Rewrites a data section into the normalized layout: little-endian bytes, C (row-major) order,
/// booleans as exactly 0 or 1.
enum NPYLayoutConverter {
    /// Returns a normalized copy of `source`, which holds `shape`'s elements as described.
    ///
    /// The common case (little-endian, C order, or anything one byte wide in C order) is a single copy.
    static func normalize(
        _ source: UnsafeRawBufferPointer, elementType: NPYElementType, shape: [Int], isFortranOrder: Bool,
        isBigEndian: Bool
    ) -> [UInt8] {
        let plan = Plan(
            elementType: elementType, shape: shape, isFortranOrder: isFortranOrder, isBigEndian: isBigEndian)
        var result: [UInt8]
        if plan.isCopy {
            result = [UInt8](source)
        } else {
            result = [UInt8](unsafeUninitializedCapacity: source.count) { buffer, initializedCount in
                plan.rearrange(source, into: UnsafeMutableRawBufferPointer(buffer), shape: shape)
                initializedCount = source.count
            }
        }
        if elementType == .bool { normalizeBooleans(&result) }
        return result
    }

    /// Normalizes a data section the caller owns, returning it unchanged (no copy) when it already is.
    static func normalize(
        owned data: [UInt8], elementType: NPYElementType, shape: [Int], isFortranOrder: Bool,
        isBigEndian: Bool
    ) -> [UInt8] {
        let plan = Plan(
            elementType: elementType, shape: shape, isFortranOrder: isFortranOrder, isBigEndian: isBigEndian)
        guard plan.isCopy else {
            return data.withUnsafeBytes { raw in
                normalize(
                    raw, elementType: elementType, shape: shape, isFortranOrder: isFortranOrder,
                    isBigEndian: isBigEndian)
            }
        }
        var result = data
        if elementType == .bool { normalizeBooleans(&result) }
        return result
    }

    /// What has to happen to a data section: byte swapping, transposing, both or neither.
    private struct Plan {
        let width: Int
        let swapsBytes: Bool
        let transposes: Bool

        init(elementType: NPYElementType, shape: [Int], isFortranOrder: Bool, isBigEndian: Bool) {
            width = elementType.byteWidth
            swapsBytes = isBigEndian && width > 1
            // Fortran and C order coincide when at most one dimension is longer than 1 (or none is empty).
            transposes = isFortranOrder && shape.lazy.filter { $0 > 1 }.count > 1 && !shape.contains(0)
        }

        /// True when the data is already normalized.
        var isCopy: Bool { !swapsBytes && !transposes }

        func rearrange(
            _ source: UnsafeRawBufferPointer, into destination: UnsafeMutableRawBufferPointer, shape: [Int]
        ) {
            switch width {
            case 1: gather(UInt8.self, source, destination, shape, transposes, swapsBytes)
            case 2: gather(UInt16.self, source, destination, shape, transposes, swapsBytes)
            case 4: gather(UInt32.self, source, destination, shape, transposes, swapsBytes)
            default: gather(UInt64.self, source, destination, shape, transposes, swapsBytes)
            }
        }
    }

    /// Maps every nonzero byte to 1, as numpy's truth test does.
    static func normalizeBooleans(_ bytes: inout [UInt8]) {
        for index in bytes.indices where bytes[index] > 1 {
            bytes[index] = 1
        }
    }

    /// Reverses the byte order of every `width`-byte element of `bytes` in place.
    static func swapBytesInPlace(_ bytes: inout [UInt8], width: Int) {
        guard width > 1 else { return }
        bytes.withUnsafeMutableBytes { raw in
            var start = 0
            while start + width <= raw.count {
                var low = start
                var high = start + width - 1
                while low < high {
                    raw.swapAt(low, high)
                    low += 1
                    high -= 1
                }
                start += width
            }
        }
    }

    /// Copies elements of type `Element` from `source` to `destination` in C order, optionally
    /// reading them in Fortran order and reversing their bytes.
    private static func gather<Element: FixedWidthInteger>(
        _: Element.Type, _ source: UnsafeRawBufferPointer, _ destination: UnsafeMutableRawBufferPointer,
        _ shape: [Int], _ transposes: Bool, _ swapsBytes: Bool
    ) {
        let width = MemoryLayout<Element>.size
        let count = source.count / width
        @inline(__always) func copy(from sourceIndex: Int, to destinationIndex: Int) {
            let value = source.loadUnaligned(fromByteOffset: sourceIndex &* width, as: Element.self)
            destination.storeBytes(
                of: swapsBytes ? value.byteSwapped : value, toByteOffset: destinationIndex &* width,
                as: Element.self)
        }
        guard transposes else {
            for index in 0..<count { copy(from: index, to: index) }
            return
        }
        // Dimensions of length 1 do not move anything; drop them. At least two dimensions remain.
        let dimensions = shape.filter { $0 != 1 }
        var strides = [Int](repeating: 1, count: dimensions.count)
        for axis in 1..<dimensions.count {
            strides[axis] = strides[axis - 1] * dimensions[axis - 1]
        }
        let innerAxis = dimensions.count - 1
        let innerCount = dimensions[innerAxis]
        let innerStride = strides[innerAxis]
        var index = [Int](repeating: 0, count: innerAxis)
        var base = 0
        var destinationIndex = 0
        for _ in 0..<(count / innerCount) {
            var sourceIndex = base
            for _ in 0..<innerCount {
                copy(from: sourceIndex, to: destinationIndex)
                sourceIndex &+= innerStride
                destinationIndex &+= 1
            }
            var axis = innerAxis - 1
            while axis >= 0 {
                index[axis] += 1
                base += strides[axis]
                if index[axis] < dimensions[axis] { break }
                base -= strides[axis] * dimensions[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }
}
