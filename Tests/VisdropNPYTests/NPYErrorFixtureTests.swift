import Foundation
import Testing
import VisdropNPY

/// Broken and unsupported files (written by make_fixtures.py, which also records whether numpy rejects them).
@Suite struct NPYErrorFixtureTests {
    @Test func manifestIsPresent() {
        #expect(FixtureCatalog.errorCases.count >= 40)
    }

    @Test(arguments: FixtureCatalog.errorCases)
    func rejectsWithTheExpectedError(_ errorCase: ErrorCase) throws {
        let url = FixtureCatalog.errorsFolder.appendingPathComponent(errorCase.file)
        let bytes = try FixtureCatalog.bytes(of: url)
        let error = try #require(throws: NPYError.self) { try NPYReader().read(bytes) }
        let (name, fields) = error.caseNameAndFields
        #expect(name == errorCase.error, "\(error)")
        for (key, value) in errorCase.fields {
            #expect(fields[key] == value, "field \(key) of \(error)")
        }
        if case .malformedHeader(_, let offset) = error {
            #expect(offset >= 10 && offset <= bytes.count, "offset \(offset) lies outside the header")
        }
        #expect(!error.description.isEmpty)
    }

    @Test(arguments: FixtureCatalog.errorCases)
    func readingInTwoStepsGivesTheSameError(_ errorCase: ErrorCase) throws {
        let url = FixtureCatalog.errorsFolder.appendingPathComponent(errorCase.file)
        let fromBytes = try #require(throws: NPYError.self) {
            try NPYReader().read(try FixtureCatalog.bytes(of: url))
        }
        let file = try FixtureCatalog.bytes(of: url)
        let inTwoSteps = try #require(throws: NPYError.self) { try TwoStepReading.read(file) }
        #expect(inTwoSteps == fromBytes)
    }

    @Test func numpyAlsoRejectsTheFilesThatAreBrokenRatherThanUnsupported() {
        // numpy accepts a few of these files (types it supports, trailing bytes, duplicate keys...);
        // every other case must be one numpy refuses too, so the reader is no stricter by accident.
        let acceptedByNumpy = Set(FixtureCatalog.errorCases.filter { !$0.numpyRejects }.map(\.file))
        let deliberate: Set<String> = [
            "trailing_data.npy", "too_many_dimensions.npy", "duplicate_key.npy", "string_escape.npy",
            "dtype_complex64.npy", "dtype_unicode.npy", "dtype_bytes.npy", "dtype_datetime.npy",
            "dtype_float128.npy", "dtype_void.npy", "dtype_name.npy", "dtype_structured.npy",
        ]
        #expect(acceptedByNumpy == deliberate)
    }

    @Test func descriptionsNameTheNumbersAndTheRemedy() {
        let truncated = NPYError.dataSizeMismatch(expected: 24, actual: 20).description
        #expect(truncated.contains("truncated") && truncated.contains("24") && truncated.contains("20"))
        let trailing = NPYError.dataSizeMismatch(expected: 24, actual: 27).description
        #expect(trailing.contains("trailing") && trailing.contains("27"))
        #expect(NPYError.unsupportedDType(descr: "'<c8'").description.contains("'<c8'"))
        #expect(NPYError.unsupportedDType(descr: "'|O'").description.contains("astype"))
        #expect(NPYError.badMagic(found: "89 50").description.contains("numpy.save"))
        #expect(NPYError.headerTooLong(length: 70000, limit: 65536).description.contains("70000"))
        #expect(NPYError.malformedHeader(reason: "x", offset: 42).description.contains("byte 42"))
        #expect(NPYError.tooLarge(bytes: 5, limit: 4).description.contains("limit of 4"))
        #expect(NPYError.unsupportedVersion(major: 4, minor: 1).description.contains("4.1"))
    }
}
