import Foundation
import Testing
import VisdropNPY

/// `NPYReader.read(contentsOf:)` on real files in a temporary directory.
@Suite struct NPYFileReadingTests {
    private func copyFixture(_ name: String, into directory: URL) throws -> String {
        let destination = directory.appendingPathComponent(name + ".npy")
        try FileManager.default.copyItem(
            at: FixtureCatalog.arraysFolder.appendingPathComponent(name + ".npy"), to: destination)
        return destination.path
    }

    @Test func readsARegularFile() throws {
        let directory = try TemporaryDirectory()
        let path = try copyFixture("mmengine_small_2", into: directory.url)
        let array = try NPYReader().read(contentsOf: path)
        #expect(array == (try NPYReader().read(try FixtureCatalog.bytes(of: URL(fileURLWithPath: path)))))
    }

    @Test func refusesSymbolicLinks() throws {
        let directory = try TemporaryDirectory()
        let target = try copyFixture("cube_int16", into: directory.url)
        let link = directory.url.appendingPathComponent("link.npy").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let error = try #require(throws: NPYError.self) { try NPYReader().read(contentsOf: link) }
        guard case .unreadableFile(let path, _) = error else {
            Issue.record("expected unreadableFile, got \(error)")
            return
        }
        #expect(path == link)
    }

    @Test func refusesDirectoriesAndFifosWithoutBlocking() throws {
        let directory = try TemporaryDirectory()
        #expect(throws: NPYError.unreadableFile(path: directory.url.path, reason: "not a regular file")) {
            try NPYReader().read(contentsOf: directory.url.path)
        }
        let fifo = directory.url.appendingPathComponent("pipe.npy").path
        try #require(mkfifo(fifo, 0o600) == 0)
        #expect(throws: NPYError.unreadableFile(path: fifo, reason: "not a regular file")) {
            try NPYReader().read(contentsOf: fifo)
        }
    }

    @Test func reportsMissingFiles() throws {
        let directory = try TemporaryDirectory()
        let missing = directory.url.appendingPathComponent("missing.npy").path
        let error = try #require(throws: NPYError.self) { try NPYReader().read(contentsOf: missing) }
        #expect(error.description.contains(missing))
        #expect(error.description.contains("No such file"))
    }

    @Test func rejectsAnOversizedFileBeforeReadingItsData() throws {
        let directory = try TemporaryDirectory()
        let path = try copyFixture("mmengine_wide_2", into: directory.url)
        let header = try NPYReader().readHeader(try FixtureCatalog.bytes(of: URL(fileURLWithPath: path)))
        let limits = NPYLimits(maximumDataBytes: header.dataByteCount - 1)
        #expect(throws: NPYError.tooLarge(bytes: header.dataByteCount, limit: header.dataByteCount - 1)) {
            try NPYReader(limits: limits).read(contentsOf: path)
        }
    }
}
