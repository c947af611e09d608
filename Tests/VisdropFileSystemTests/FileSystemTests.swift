import Foundation
import Testing
import VisdropFileSystem

/// A fresh temporary folder per test, removed at the end.
final class Scratch {
    let root: String

    init() throws {
        root =
            FileManager.default.temporaryDirectory.appendingPathComponent("visdrop-fs-\(UUID().uuidString)")
            .path
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    func path(_ relative: String) -> String { root + "/" + relative }

    func write(_ bytes: [UInt8], to relative: String) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: path(relative)))
    }

    func read(_ relative: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path(relative))))
    }

    func names(in relative: String = "") throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: relative.isEmpty ? root : path(relative)).sorted()
    }
}

@Suite("atomic writes")
struct AtomicWriteTests {
    @Test("a new file gets exactly the bytes, and nothing else is left in the folder")
    func newFile() throws {
        let scratch = try Scratch()
        let bytes = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        try FileSystem.writeAtomically(bytes, to: scratch.path("image_3.png"), durable: false)
        #expect(try scratch.read("image_3.png") == bytes)
        #expect(try scratch.names() == ["image_3.png"])
    }

    @Test("an existing file is replaced whole, durably, with no temporary file left behind")
    func replacesExistingFile() throws {
        let scratch = try Scratch()
        try scratch.write(Array("old config, longer than the new one\n".utf8), to: "config.py")
        try FileSystem.writeAtomically(Array("new = 1\n".utf8), to: scratch.path("config.py"), durable: true)
        #expect(try scratch.read("config.py") == Array("new = 1\n".utf8))
        #expect(try scratch.names() == ["config.py"])
    }

    @Test("a symbolic link at the destination is replaced, and its target is left untouched")
    func replacesLinkWithoutFollowingIt() throws {
        let scratch = try Scratch()
        try scratch.write(Array("precious".utf8), to: "target.txt")
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("out.png"), withDestinationPath: "target.txt")
        try FileSystem.writeAtomically([1, 2, 3], to: scratch.path("out.png"), durable: false)
        #expect(try scratch.read("target.txt") == Array("precious".utf8))
        #expect(FileSystem.entryType(at: scratch.path("out.png")) == .regularFile)
        #expect(try scratch.read("out.png") == [1, 2, 3])
    }

    @Test("a missing folder is an error naming the path")
    func missingFolder() throws {
        let scratch = try Scratch()
        let path = scratch.path("absent/out.png")
        #expect {
            try FileSystem.writeAtomically([1], to: path, durable: false)
        } throws: { error in
            (error as? FileSystemError)?.description.contains(path) == true
        }
    }
}

@Suite("directories opened once")
struct DirectoryTests {
    @Test("a file is read, renamed into another folder and removed through open folders")
    func readMoveRemove() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(
            atPath: scratch.path("run/a"), withIntermediateDirectories: true)
        try scratch.write(Array(#"{"loss": 0.5}"#.utf8), to: "run/a/m_1.json")
        try scratch.write([7], to: "run/a/m_2.json")
        let folder = try Directory.open("run/a", beneath: scratch.root, creating: false)
        let file = try folder.openFile("m_1.json")
        #expect(try file.readAll(maximumBytes: 1 << 20) == Array(#"{"loss": 0.5}"#.utf8))
        let trash = try Directory.open(".trash", beneath: scratch.root, creating: true)
        try folder.moveEntry("m_1.json", to: "1", in: trash)
        try folder.removeEntry("m_2.json")
        try folder.sync()
        #expect(try scratch.names(in: "run/a") == [])
        #expect(try scratch.read(".trash/1") == Array(#"{"loss": 0.5}"#.utf8))
    }

    @Test("a symbolic link on the way to the folder is refused, not followed")
    func refusesLinkedComponent() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(
            atPath: scratch.path("elsewhere"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("run"), withDestinationPath: "elsewhere")
        #expect {
            _ = try Directory.open("run", beneath: scratch.root, creating: false)
        } throws: { error in
            (error as? FileSystemError)?.kind == .symbolicLink
        }
    }

    @Test("a FIFO and a link in the folder are refused without being opened for reading")
    func refusesNonRegularFiles() throws {
        let scratch = try Scratch()
        #expect(mkfifo(scratch.path("pipe.json"), 0o644) == 0)
        try FileManager.default.createSymbolicLink(
            atPath: scratch.path("link.json"), withDestinationPath: "/etc/passwd")
        let folder = try Directory.open("", beneath: scratch.root, creating: false)
        for name in ["pipe.json", "link.json"] {
            #expect {
                _ = try folder.openFile(name)
            } throws: { error in
                guard let error = error as? FileSystemError else { return false }
                if case .notRegularFile = error.kind { return true }
                return error.kind == .symbolicLink
            }
        }
    }

    @Test("a missing name is reported as not found, with its path")
    func missingFile() throws {
        let scratch = try Scratch()
        let folder = try Directory.open("", beneath: scratch.root, creating: false)
        #expect {
            _ = try folder.openFile("gone.json")
        } throws: { error in
            (error as? FileSystemError)?.kind == .notFound
                && (error as? FileSystemError)?.path == scratch.path("gone.json")
        }
    }
}

@Suite("reading whole files")
struct ReadAllTests {
    @Test("sizes around the buffer edges read back exactly", arguments: [0, 1, 4095, 4096, 4097, 1 << 20])
    func exactBytes(size: Int) throws {
        let scratch = try Scratch()
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
        try scratch.write(bytes, to: "f.bin")
        let file = try Directory.open("", beneath: scratch.root, creating: false).openFile("f.bin")
        #expect(file.size == size)
        #expect(try file.readAll(maximumBytes: 2 << 20) == bytes)
    }

    @Test("a file that grew after it was opened is read to its new end, within the cap")
    func grownFile() throws {
        let scratch = try Scratch()
        try scratch.write(Array(repeating: 1, count: 100), to: "f.bin")
        let file = try Directory.open("", beneath: scratch.root, creating: false).openFile("f.bin")
        let handle = try #require(FileHandle(forWritingAtPath: scratch.path("f.bin")))
        handle.seekToEndOfFile()
        handle.write(Data(repeating: 2, count: 5000))
        handle.closeFile()
        #expect(
            try file.readAll(maximumBytes: 10_000) == Array(repeating: 1, count: 100)
                + Array(repeating: 2, count: 5000))
        #expect {
            _ = try file.readAll(maximumBytes: 1000)
        } throws: { error in
            if case .tooLarge = (error as? FileSystemError)?.kind { return true }
            return false
        }
    }
}
