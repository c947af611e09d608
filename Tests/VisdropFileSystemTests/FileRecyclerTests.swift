import Foundation
import Synchronization
import Testing
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Hands out the files it is given, once each, as the agent's trash does.
final class GivenFiles: FileRecycler {
    private let files: Mutex<[RecycledFile]>

    init(_ files: [RecycledFile]) { self.files = Mutex(files) }

    func takeFile(onDevice device: UInt64) -> RecycledFile? {
        files.withLock { $0.popLast() }
    }
}

@Suite("writing into recycled files")
struct FileRecyclerTests {
    /// `stat` of `path`, without following a link.
    static func info(_ path: String) throws -> stat {
        var info = stat()
        try #require(lstat(path, &info) == 0, "lstat \(path)")
        return info
    }

    /// A finished file `old/<name>` holding `bytes`, offered by a recycler.
    static func finishedFile(_ scratch: Scratch, _ name: String, _ bytes: [UInt8]) throws -> (
        GivenFiles, ino_t
    ) {
        try FileManager.default.createDirectory(
            atPath: scratch.path("old"), withIntermediateDirectories: true)
        try scratch.write(bytes, to: "old/" + name)
        let folder = try Directory.open("old", beneath: scratch.root, creating: false)
        return (
            GivenFiles([RecycledFile(folder: folder, name: name)]),
            try info(scratch.path("old/" + name)).st_ino
        )
    }

    @Test(
        "the output takes the finished file's inode: exactly the new bytes, a new file's mode, the old name gone"
    )
    func writesIntoTheFinishedFile() throws {
        let scratch = try Scratch()
        // Longer than the output: what is past the new end must be cut off.
        let (recycler, inode) = try Self.finishedFile(
            scratch, "source.npy", Array(repeating: 0xAB, count: 20_000))
        chmod(scratch.path("old/source.npy"), 0o600)
        let bytes = (0..<7_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try FileSystem.writeAtomically(
            bytes, to: scratch.path("image_1.png"), durable: true, recycler: recycler)
        #expect(try scratch.read("image_1.png") == bytes)
        let written = try Self.info(scratch.path("image_1.png"))
        #expect(written.st_ino == inode)
        #expect(written.st_nlink == 1)
        // What a new file would be: umask applied to 0644 (the test runs with the process's umask).
        let mask = umask(0o022)
        umask(mask)
        #expect(written.st_mode & 0o7777 == 0o644 & ~mask)
        #expect(written.st_uid == geteuid())
        #expect(try scratch.names(in: "old").isEmpty)
        #expect(try scratch.names() == ["image_1.png", "old"])
    }

    @Test("an existing output is replaced whole by the recycled file")
    func replacesAnExistingOutput() throws {
        let scratch = try Scratch()
        try scratch.write(Array("old image".utf8), to: "image_1.png")
        let (recycler, inode) = try Self.finishedFile(scratch, "a.json", Array("{}\n".utf8))
        let bytes = Array(repeating: UInt8(9), count: 9_000)
        try FileSystem.writeAtomically(
            bytes, to: scratch.path("image_1.png"), durable: false, recycler: recycler)
        #expect(try scratch.read("image_1.png") == bytes)
        #expect(try Self.info(scratch.path("image_1.png")).st_ino == inode)
    }

    @Test(
        "a finished file somebody could still reach is left alone and a new file is made: a second name, an open descriptor, an extended attribute"
    )
    func refusesFilesOthersCanReach() throws {
        for reason in ["second name", "open descriptor", "extended attribute"] {
            let scratch = try Scratch()
            let old = Array("keep me".utf8)
            let (recycler, inode) = try Self.finishedFile(scratch, "source.json", old)
            let path = scratch.path("old/source.json")
            var held: Int32 = -1
            switch reason {
            case "second name": try #require(link(path, scratch.path("elsewhere")) == 0)
            case "open descriptor": held = open(path, O_RDWR)
            default:
                // Swift's Glibc module leaves setxattr(2) out: python3's os.setxattr calls it.
                let python = Process()
                python.executableURL = URL(fileURLWithPath: "/usr/bin/python3")
                python.arguments = [
                    "-c", "import os, sys; os.setxattr(sys.argv[1], 'user.visdrop-test', b'x')", path,
                ]
                try python.run()
                python.waitUntilExit()
                try #require(python.terminationStatus == 0, "setxattr")
            }
            defer { if held >= 0 { close(held) } }
            let bytes = Array(repeating: UInt8(1), count: 100)
            try FileSystem.writeAtomically(
                bytes, to: scratch.path("out.png"), durable: false, recycler: recycler)
            #expect(try scratch.read("out.png") == bytes, "\(reason)")
            #expect(try Self.info(scratch.path("out.png")).st_ino != inode, "\(reason): a new file")
            #expect(try scratch.read("old/source.json") == old, "\(reason): the finished file is untouched")
        }
    }

    @Test("a link, a FIFO or a missing name handed out is not written through; a new file is made")
    func refusesWhatIsNotARegularFile() throws {
        let scratch = try Scratch()
        try FileManager.default.createDirectory(
            atPath: scratch.path("old"), withIntermediateDirectories: true)
        try scratch.write(Array("target".utf8), to: "target")
        try #require(symlink(scratch.path("target"), scratch.path("old/link")) == 0)
        try #require(mkfifo(scratch.path("old/fifo"), 0o644) == 0)
        let folder = try Directory.open("old", beneath: scratch.root, creating: false)
        let recycler = GivenFiles(["missing", "fifo", "link"].map { RecycledFile(folder: folder, name: $0) })
        for index in 0..<3 {
            let bytes = Array(repeating: UInt8(index), count: 10)
            try FileSystem.writeAtomically(
                bytes, to: scratch.path("out\(index).png"), durable: false, recycler: recycler)
            #expect(try scratch.read("out\(index).png") == bytes)
        }
        #expect(try scratch.read("target") == Array("target".utf8))
        #expect(try scratch.names(in: "old") == ["fifo", "link"])
    }
}
