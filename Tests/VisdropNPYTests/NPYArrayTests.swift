import Foundation
import Testing
import VisdropNPY

/// Building arrays in Swift and reading their elements.
@Suite struct NPYArrayTests {
    @Test func dataMustMatchTheShape() {
        #expect(throws: NPYError.dataSizeMismatch(expected: 24, actual: 23)) {
            try NPYArray(elementType: .float32, shape: [2, 3], data: [UInt8](repeating: 0, count: 23))
        }
        #expect(throws: NPYError.dataSizeMismatch(expected: 6, actual: 5)) {
            try NPYArray(shape: [2, 3], elements: [UInt8](repeating: 0, count: 5))
        }
    }

    @Test func shapesMustBeValid() {
        #expect(throws: NPYError.invalidShape(shape: "(2, -3)", reason: "dimensions must not be negative")) {
            try NPYArray(elementType: .uint8, shape: [2, -3], data: [])
        }
        #expect(throws: NPYError.shapeOverflow(shape: "(\(Int.max), 2)")) {
            try NPYArray(elementType: .uint8, shape: [Int.max, 2], data: [])
        }
        #expect(throws: NPYError.tooManyDimensions(count: 33, limit: 32)) {
            try NPYArray(elementType: .uint8, shape: Array(repeating: 1, count: 33), data: [0])
        }
    }

    @Test func scalarsAndEmptyArraysHaveTheRightCount() throws {
        #expect(try NPYArray(shape: [], elements: [Int32(7)]).count == 1)
        #expect(try NPYArray(shape: [0, 5], elements: [Double]()).count == 0)
    }

    @Test func elementsAreOnlyAvailableAsTheStoredType() throws {
        let array = try NPYArray(shape: [3], elements: [Int16(-2), 300, 7])
        #expect(array.elements(as: Int16.self) == [-2, 300, 7])
        #expect(array.data == [0xFE, 0xFF, 0x2C, 0x01, 0x07, 0x00])
        #expect(array.elements(as: UInt16.self) == nil)
        #expect(array.elements(as: Float16.self) == nil)
        #expect(array.doubleValues() == [-2, 300, 7])
    }

    @Test func booleanBytesAreNormalizedToZeroOrOne() throws {
        let array = try NPYArray(elementType: .bool, shape: [4], data: [0, 1, 2, 255])
        #expect(array.data == [0, 1, 1, 1])
        #expect(array.elements(as: Bool.self) == [false, true, true, true])
    }

    @Test func elementTypesDescribeThemselvesLikeNumpy() throws {
        let script =
            "import numpy\nfor n in ['bool','int8','int16','int32','int64','uint8','uint16','uint32',"
            + "'uint64','float16','float32','float64']:\n    d = numpy.dtype(n).newbyteorder('<')\n"
            + "    print(n, d.str, d.itemsize)"
        let lines = try runPython(script).split(separator: "\n")
        #expect(lines.count == NPYElementType.allCases.count)
        for line in lines {
            let fields = line.split(separator: " ").map(String.init)
            let type = try #require(NPYElementType.allCases.first { $0.numpyName == fields[0] })
            #expect(type.littleEndianDescr == fields[1])
            #expect(String(type.byteWidth) == fields[2])
        }
    }

    @Test func everyFloat16BitPatternConvertsLikeNumpy() throws {
        let script =
            "import numpy\nv = numpy.arange(65536, dtype=numpy.uint16).view(numpy.float16)\n"
            + "print(' '.join(float(x).hex() for x in v.tolist()))"
        let expected = try runPython(script).split(separator: " ").map { try #require(Double(String($0))) }
        try #require(expected.count == 65536)
        let bits = (0...UInt16.max).map { $0 }
        let array = try NPYArray(
            elementType: .float16, shape: [65536],
            data: bits.flatMap {
                [UInt8(truncatingIfNeeded: $0), UInt8(truncatingIfNeeded: $0 >> 8)]
            })
        let doubles = array.doubleValues()
        let mismatches = zip(doubles, expected).enumerated().filter { _, pair in
            pair.0.isNaN ? !pair.1.isNaN : pair.0.bitPattern != pair.1.bitPattern
        }
        #expect(mismatches.isEmpty, "first mismatches: \(mismatches.prefix(3))")
    }
}
