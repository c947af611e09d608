import Testing
import VisdropNPY

@testable import VisdropPNG

/// One refused array of `Fixtures/conversion/rejected.json`.
struct RejectedCase: Decodable, Sendable, CustomTestStringConvertible {
    let name: String
    let dtype: String
    let shape: [Int]
    let reason: String

    var testDescription: String { name }

    static func all() throws -> [RejectedCase] {
        try Fixtures.decodeJSON([RejectedCase].self, "conversion/rejected.json")
    }

    /// The shape as Python prints it, e.g. `(4, 5, 2)` or `(5,)`.
    var pythonShape: String {
        shape.count == 1 ? "(\(shape[0]),)" : "(" + shape.map(String.init).joined(separator: ", ") + ")"
    }
}

@Suite("array to image conversion errors")
struct ImageConversionErrorTests {
    @Test(
        "each refused array gets the right error naming its shape and dtype",
        arguments: try RejectedCase.all())
    func refusesArray(testCase: RejectedCase) throws {
        let array = try Fixtures.npyArray(
            "conversion/\(testCase.name).npy", dtype: testCase.dtype, shape: testCase.shape)
        let elementType = try Fixtures.elementType(numpyName: testCase.dtype)
        let error = #expect(throws: ImageConversionError.self) {
            try ImageConversion.pixelImage(from: array)
        }
        switch testCase.reason {
        case "unsupportedElementType":
            #expect(error == .unsupportedElementType(elementType, shape: testCase.shape))
            #expect(error?.description.contains(testCase.dtype) == true)
            #expect(error?.description.contains("uint8") == true)
        case "unsupportedShape":
            #expect(error == .unsupportedShape(testCase.shape, elementType: elementType))
            #expect(error?.description.contains("(H, W, 3)") == true)
        case "emptyImage":
            #expect(error == .emptyImage(shape: testCase.shape))
        default:
            Issue.record("unknown reason \(testCase.reason)")
        }
        #expect(error?.description.contains(testCase.pythonShape) == true, "\(String(describing: error))")
    }

    @Test("data that does not match the shape is refused, not read out of bounds")
    func refusesShortData() {
        #expect(
            throws: ImageConversionError.dataSizeMismatch(
                shape: [2, 3], elementType: .float32, expectedByteCount: 24, actualByteCount: 23)
        ) {
            try ImageGeometry(shape: [2, 3], elementType: .float32, dataByteCount: 23)
        }
    }

    @Test("dimensions beyond PNG's 2^31-1 are too large")
    func refusesOverlongRow() {
        #expect(throws: ImageConversionError.tooLarge(shape: [1, 1 << 31])) {
            try ImageGeometry(shape: [1, 1 << 31], elementType: .uint8, dataByteCount: 0)
        }
    }

    @Test("more pixels than the cap are too large, before the data is looked at")
    func refusesTooManyPixels() {
        let shape = [1 << 15, (ImageConversion.maximumPixelCount >> 15) + 1, 3]
        #expect(throws: ImageConversionError.tooLarge(shape: shape)) {
            try ImageGeometry(shape: shape, elementType: .uint8, dataByteCount: 0)
        }
        let hugeShape = [Int.max, Int.max]
        #expect(throws: ImageConversionError.tooLarge(shape: hugeShape)) {
            try ImageGeometry(shape: hugeShape, elementType: .uint8, dataByteCount: 0)
        }
    }

    @Test("a pixel image must have as many samples as width × height × channels")
    func refusesMismatchedSamples() {
        #expect(
            throws: ImageConversionError.sampleCountMismatch(
                width: 2, height: 2, layout: .rgb, expected: 12, actual: 11)
        ) {
            try PixelImage(
                width: 2, height: 2, layout: .rgb, samples: .eightBit([UInt8](repeating: 0, count: 11)))
        }
        #expect(throws: ImageConversionError.emptyImage(shape: [0, 2, 1])) {
            try PixelImage(width: 2, height: 0, layout: .gray, samples: .eightBit([]))
        }
    }
}
