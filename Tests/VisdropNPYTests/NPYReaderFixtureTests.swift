import Foundation
import Testing
import VisdropNPY

/// Every readable fixture, compared element by element with what numpy read from the same bytes.
@Suite struct NPYReaderFixtureTests {
    @Test func fixturesArePresent() {
        #expect(FixtureCatalog.arrayNames.count >= 50)
        #expect(FixtureCatalog.arrayNames.contains("mmengine_wide_2"))
    }

    @Test(arguments: FixtureCatalog.arrayNames)
    func readsLikeNumpy(_ name: String) throws {
        let expected = try FixtureCatalog.sidecar(name)
        let bytes = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent(name + ".npy"))
        let array = try NPYReader().read(bytes)

        #expect(array.elementType.numpyName == expected.dtype)
        #expect(array.shape == expected.shape)
        #expect(array.count == expected.values.count)
        #expect(array.data.count == expected.values.count * array.elementType.byteWidth)
        try expectValues(array, equal: expected.values)
    }

    @Test(arguments: FixtureCatalog.arrayNames)
    func headerDescribesTheStoredLayout(_ name: String) throws {
        let expected = try FixtureCatalog.sidecar(name)
        let bytes = try FixtureCatalog.bytes(
            of: FixtureCatalog.arraysFolder.appendingPathComponent(name + ".npy"))
        let header = try NPYReader().readHeader(bytes)

        #expect(header.majorVersion == expected.majorVersion)
        #expect(header.minorVersion == 0)
        #expect(header.isFortranOrder == expected.fortranOrder)
        #expect(header.isBigEndian == expected.bigEndian)
        #expect(header.shape == expected.shape)
        #expect(header.elementCount == expected.values.count)
        #expect(header.dataOffset + header.dataByteCount == bytes.count)
    }

    @Test(arguments: FixtureCatalog.arrayNames)
    func readingInTwoStepsGivesTheSameArray(_ name: String) throws {
        let url = FixtureCatalog.arraysFolder.appendingPathComponent(name + ".npy")
        let fromBytes = try NPYReader().read(try FixtureCatalog.bytes(of: url))
        let inTwoSteps = try TwoStepReading.read(try FixtureCatalog.bytes(of: url))
        #expect(inTwoSteps == fromBytes)
    }

    @Test func bigEndianFortranArraysNormalizeToTheirLittleEndianCOrderTwin() throws {
        // Two fixtures numpy wrote from the same values (cube / 7 - 1), one of them as '>f2' Fortran order.
        let folder = FixtureCatalog.arraysFolder
        let fortran = try NPYReader().read(
            try FixtureCatalog.bytes(
                of: folder.appendingPathComponent(
                    "cube_float16_big_fortran.npy")))
        let expected = try FixtureCatalog.sidecar("cube_float16_big_fortran")
        var littleEndianCOrder: [UInt8] = []
        for token in expected.values {
            let bits = try #require(Double(token)).float16BitPattern
            littleEndianCOrder += [UInt8(truncatingIfNeeded: bits), UInt8(truncatingIfNeeded: bits >> 8)]
        }
        #expect(fortran.data == littleEndianCOrder)
    }

    /// Compares `array` with numpy's C-order values, exactly (floats by bit pattern, NaN as NaN).
    private func expectValues(_ array: NPYArray, equal tokens: [String]) throws {
        switch array.elementType {
        case .bool:
            #expect(array.elements(as: Bool.self) == tokens.map { $0 == "1" })
            #expect(array.data == tokens.map { $0 == "1" ? 1 : 0 })
        case .int8: try expectIntegers(array, Int8.self, tokens)
        case .int16: try expectIntegers(array, Int16.self, tokens)
        case .int32: try expectIntegers(array, Int32.self, tokens)
        case .int64: try expectIntegers(array, Int64.self, tokens)
        case .uint8: try expectIntegers(array, UInt8.self, tokens)
        case .uint16: try expectIntegers(array, UInt16.self, tokens)
        case .uint32: try expectIntegers(array, UInt32.self, tokens)
        case .uint64: try expectIntegers(array, UInt64.self, tokens)
        case .float16:
            let expected = try tokens.map { try #require(Double($0)) }
            let halves = try #require(array.elements(as: Float16.self))
            #expect(zip(halves, expected).allSatisfy { sameFloat(Double($0), $1) })
        case .float32:
            let expected = try tokens.map { try #require(Double($0)) }
            let floats = try #require(array.elements(as: Float.self))
            #expect(zip(floats, expected).allSatisfy { sameFloat(Double($0), $1) })
        case .float64:
            let expected = try tokens.map { try #require(Double($0)) }
            let doubles = try #require(array.elements(as: Double.self))
            #expect(zip(doubles, expected).allSatisfy { sameFloat($0, $1) })
        }
        let doubles = array.doubleValues()
        #expect(doubles.count == tokens.count)
        for (index, (value, token)) in zip(doubles, tokens).enumerated() {
            let exact =
                array.elementType.isFloatingPoint ? try #require(Double(token)) : integerAsDouble(token)
            #expect(sameFloat(value, exact), "element \(index): \(value) vs numpy \(token)")
        }
    }

    private func expectIntegers<Element: FixedWidthInteger & NPYElement>(
        _ array: NPYArray, _ type: Element.Type, _ tokens: [String]
    ) throws {
        let expected = try tokens.map {
            try #require(Element($0), "numpy value \($0) is not a \(Element.self)")
        }
        #expect(array.elements(as: Element.self) == expected)
        #expect(array.elements(as: Bool.self) == nil)
    }

    private func integerAsDouble(_ token: String) -> Double {
        if let signed = Int64(token) { return Double(signed) }
        return Double(UInt64(token) ?? 0)
    }

    private func sameFloat(_ lhs: Double, _ rhs: Double) -> Bool {
        lhs.isNaN ? rhs.isNaN : lhs.bitPattern == rhs.bitPattern
    }
}

extension Double {
    /// The IEEE half-precision bit pattern of a value exactly representable as Float16.
    var float16BitPattern: UInt16 { Float16(self).bitPattern }
}
