import Foundation
import Testing

/// A drop folder other users can write to: every hostile entry is refused with a clear reason,
/// in bounded memory, without following, opening or executing anything, and the agent goes on.
///
/// Each test drives the real binary, reads its peak resident memory (`VmHWM`) before stopping it,
/// and checks that a normal file dropped afterwards is still filed.
@Suite("hostile drop folder")
struct HostileDropTests {
    /// The memory bound every hostile case must stay under.
    static let memoryBound = 400 << 20

    // MARK: - Lying or broken .npy headers

    @Test("a .npy header promising 3 TB is rejected from its size, without allocating it")
    func npyPromisingTerabytes() throws {
        let run = try HostileRun()
        let bytes = try run.dropHostileFile("npy-terabytes", as: "huge_1.npy")
        try run.expectRejected(
            "huge_1.npy", mentioning: ["promises 3000000000000 data bytes", "holds 64"], bytes: bytes)
        try run.finish(memoryBound: Self.memoryBound)
    }

    @Test("a .npy shape whose size overflows 64 bits is rejected")
    func npyShapeOverflow() throws {
        let run = try HostileRun()
        let bytes = try run.dropHostileFile("npy-overflow", as: "overflow_1.npy")
        try run.expectRejected(
            "overflow_1.npy", mentioning: ["(4611686018427387904, 4611686018427387904, 3)", "more elements"],
            bytes: bytes)
        try run.finish(memoryBound: Self.memoryBound)
    }

    @Test("a .npy header length of 4 GiB is rejected before anything past 64 KiB is read")
    func npyHeaderLength4GiB() throws {
        let run = try HostileRun()
        let bytes = try run.dropHostileFile("npy-header-4gib", as: "long_1.npy")
        try run.expectRejected(
            "long_1.npy", mentioning: ["header claims to be 4294967295 bytes long", "limit of 65536"],
            bytes: bytes)
        try run.finish(memoryBound: Self.memoryBound)
    }

    // MARK: - Parser bombs

    @Test("JSON nested 200,000 deep is rejected at the nesting limit, as scalars and as a config")
    func jsonNested200000Deep() throws {
        let run = try HostileRun()
        let scalars = try run.dropHostileFile("json-deep", as: "deep.json")
        try run.expectRejected(
            "deep.json", mentioning: ["nested deeper than the limit of 512"], bytes: scalars)
        let config = try run.dropHostileFile("json-deep", as: "config.json")
        try run.expectRejected(
            "config.json", mentioning: ["nested deeper than the limit of 512"], bytes: config)
        try run.finish(memoryBound: Self.memoryBound)
    }

    @Test("a YAML alias bomb (billion laughs) is rejected at the expansion limit")
    func yamlAliasBomb() throws {
        let run = try HostileRun()
        let bytes = try run.dropHostileFile("yaml-alias-bomb", as: "config.yaml")
        try run.expectRejected("config.yaml", mentioning: ["alias bomb"], bytes: bytes)
        #expect(!run.workspace.exists(run.workspace.out + "/run/config.py"))
        try run.finish(memoryBound: Self.memoryBound)
    }

    // MARK: - Junk

    /// A 200 MB junk file under every name kind, and the reason each gets.
    struct JunkDrop: CustomStringConvertible, Sendable {
        let name: String
        let reasonMentions: String
        var description: String { name }
    }

    static let junkDrops = [
        JunkDrop(name: "junk_1.npy", reasonMentions: "not a NumPy .npy file"),
        JunkDrop(name: "junk.json", reasonMentions: "over the limit of 4194304 bytes for scalar files"),
        JunkDrop(name: "junk.yaml", reasonMentions: "over the limit of 1048576 bytes for config files"),
        JunkDrop(name: "junk.py", reasonMentions: "(raise max-config-bytes to accept it)"),
        JunkDrop(name: "junk.bin", reasonMentions: "is not a kind visdrop files"),
    ]

    @Test("a 200 MB junk file is rejected without being read into memory", arguments: junkDrops)
    func junk200MB(_ junk: JunkDrop) throws {
        let size = 200 << 20
        let run = try HostileRun()
        let staged = run.workspace.staging + "/junk"
        try HostileRun.makeHostileFile("junk", at: staged, argument: "\(size)")
        let head = try FileHandle(forReadingFrom: URL(fileURLWithPath: staged)).readData(ofLength: 64 << 10)
        try run.workspace.moveIntoDrop(staged, as: "run/\(junk.name)")
        try run.expectRejected(junk.name, mentioning: [junk.reasonMentions])
        let rejected = run.rejected(junk.name)
        let attributes = try FileManager.default.attributesOfItem(atPath: rejected)
        #expect((attributes[.size] as? NSNumber)?.intValue == size, "kept whole")
        #expect(
            try FileHandle(forReadingFrom: URL(fileURLWithPath: rejected)).readData(ofLength: 64 << 10)
                == head)
        // Well below the file's size: at most the 64 KiB a .npy header may take were read.
        try run.finish(memoryBound: size / 2, label: junk.name)
    }

    // MARK: - Entries that are not regular files

    @Test("a symbolic link dropped as .npy or .json is set aside as a link, its target never read")
    func symbolicLinks() throws {
        let run = try HostileRun()
        let workspace = run.workspace
        let image = workspace.staging + "/target_1.npy"
        try FileManager.default.copyItem(
            atPath: try Fixtures.directory() + "/images/small_2.npy", toPath: image)
        let imageBytes = try workspace.bytes(image)
        let record = workspace.staging + "/target.json"
        try Data(#"{"secret": 1}"#.utf8).write(to: URL(fileURLWithPath: record))
        for (name, target) in [("link_1.npy", image), ("link.json", record), ("zero_1.npy", "/dev/zero")] {
            try FileManager.default.createSymbolicLink(
                atPath: workspace.drop + "/run/" + name, withDestinationPath: target)
            try run.expectRejected(name, mentioning: ["is a symbolic link; visdrop never follows links"])
            #expect(
                try FileManager.default.destinationOfSymbolicLink(atPath: run.rejected(name)) == target,
                "the link itself is set aside, unchanged")
        }
        #expect(try workspace.bytes(image) == imageBytes)
        #expect(workspace.text(record) == #"{"secret": 1}"#)
        #expect(!workspace.exists(workspace.out + "/run/vis_image"))
        try run.finish(memoryBound: Self.memoryBound)
    }

    /// A special file: its name in the drop folder, how to make it, the reason it gets.
    struct SpecialFile: CustomStringConvertible, Sendable {
        let name: String
        let mode: mode_t
        let device: dev_t
        let reasonMentions: String
        var description: String { name }
    }

    /// Linux's encoding of a device number with a small major and minor (glibc's `makedev`).
    static func deviceNumber(major: dev_t, minor: dev_t) -> dev_t {
        major << 8 | minor
    }

    static let specialFiles = [
        SpecialFile(name: "pipe.json", mode: S_IFIFO | 0o666, device: 0, reasonMentions: "is a FIFO"),
        SpecialFile(name: "pipe_1.npy", mode: S_IFIFO | 0o666, device: 0, reasonMentions: "is a FIFO"),
        // /dev/zero (1, 5) and loop0 (7, 0): endless or huge if they were ever read.
        SpecialFile(
            name: "zero_1.npy", mode: S_IFCHR | 0o666, device: deviceNumber(major: 1, minor: 5),
            reasonMentions: "is a character device"),
        SpecialFile(
            name: "disk.yaml", mode: S_IFBLK | 0o600, device: deviceNumber(major: 7, minor: 0),
            reasonMentions: "is a block device"),
    ]

    @Test(
        "a FIFO or device node is set aside as it is, never opened",
        .enabled(if: getuid() == 0, "mknod needs root"),
        arguments: specialFiles)
    func specialFile(_ special: SpecialFile) throws {
        let run = try HostileRun()
        let path = run.workspace.drop + "/run/" + special.name
        guard mknod(path, special.mode, special.device) == 0 else {
            throw TestFailure("mknod \(path) failed: \(String(cString: strerror(errno)))")
        }
        try run.expectRejected(
            special.name, mentioning: [special.reasonMentions, "only regular files are filed"])
        var info = stat()
        #expect(lstat(run.rejected(special.name), &info) == 0)
        #expect(info.st_mode & S_IFMT == special.mode & S_IFMT, "the entry is moved as it is")
        #expect(info.st_rdev == special.device)
        try run.finish(memoryBound: Self.memoryBound, label: special.name)
    }

    // MARK: - Linked run directories

    @Test("a run directory that is a symbolic link is set aside, never descended into or watched")
    func symbolicLinkRunDirectory() throws {
        let workspace = try TestWorkspace()
        let victim = workspace.staging + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        let secret = Array(#"{"secret": 1}"#.utf8)
        try Data(secret).write(to: URL(fileURLWithPath: victim + "/secret.json"))
        try FileManager.default.createSymbolicLink(
            atPath: workspace.drop + "/early", withDestinationPath: victim)
        let run = try HostileRun(workspace)
        try FileManager.default.createSymbolicLink(
            atPath: workspace.drop + "/late", withDestinationPath: victim)
        for name in ["early", "late"] {
            let reason = workspace.drop + "/.rejected/\(name).reason.txt"
            try eventually("the linked run directory \(name) to be set aside; log:\n\(run.agent.log)") {
                workspace.isSetAside(workspace.drop + "/.rejected/\(name)")
            }
            #expect(workspace.text(reason).contains("is a symbolic link"))
            #expect(
                try FileManager.default.destinationOfSymbolicLink(
                    atPath: workspace.drop + "/.rejected/" + name)
                    == victim)
        }
        // A file written in the link's target now is not seen (no watch went through the link).
        try Data(secret).write(to: URL(fileURLWithPath: victim + "/later.json"))
        try run.fileNormalDrop()
        #expect(!run.agent.log.contains("later.json"), "no event came through the link")
        #expect(try workspace.bytes(victim + "/secret.json") == secret)
        #expect(try workspace.bytes(victim + "/later.json") == secret)
        #expect(!workspace.exists(workspace.out + "/early") && !workspace.exists(workspace.out + "/late"))
        try run.finish(memoryBound: Self.memoryBound)
    }

    @Test("a watched run directory swapped for a link: events through it touch nothing behind it")
    func runDirectorySwappedForLink() throws {
        let run = try HostileRun()
        let workspace = run.workspace
        // `run/` is watched: a file in it is filed.
        try run.fileNormalDrop()
        let moved = workspace.staging + "/moved"
        let secret = Array(#"{"secret": 1}"#.utf8)
        try run.agent.whilePaused {
            // The watch stays on the moved directory, still named run/ by the agent; the new run
            // is a link to it. Both events are queued before the agent handles either.
            guard rename(workspace.drop + "/run", moved) == 0 else { throw TestFailure("cannot move run/") }
            try Data(secret).write(to: URL(fileURLWithPath: moved + "/secret.json"))
            try FileManager.default.createSymbolicLink(
                atPath: workspace.drop + "/run", withDestinationPath: moved)
        }
        // A poll lists run/ anew and finds the link itself: no stale watch, no event through it.
        if !TestWorkspace.isPolling {
            try eventually("the event through the link to be refused; log:\n\(run.agent.log)") {
                run.agent.log.contains("not following a link on the way to a dropped file")
            }
        }
        try eventually("the link to be set aside; log:\n\(run.agent.log)") {
            workspace.isSetAside(workspace.drop + "/.rejected/run")
        }
        #expect(try workspace.bytes(moved + "/secret.json") == secret, "never read, never removed")
        #expect(!workspace.text(workspace.out + "/run/scalars.json").contains("secret"))
        try run.fileNormalDrop(in: "again")
        try run.finish(memoryBound: Self.memoryBound)
    }

    @Test("a new directory swapped for a link before it is watched is not watched through the link")
    func newDirectorySwappedForLink() throws {
        let run = try HostileRun()
        let workspace = run.workspace
        let victim = workspace.staging + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try run.agent.whilePaused {
            try FileManager.default.createDirectory(
                atPath: workspace.drop + "/fresh", withIntermediateDirectories: false)
            try FileManager.default.removeItem(atPath: workspace.drop + "/fresh")
            try FileManager.default.createSymbolicLink(
                atPath: workspace.drop + "/fresh", withDestinationPath: victim)
        }
        try eventually("the link to be set aside; log:\n\(run.agent.log)") {
            workspace.isSetAside(workspace.drop + "/.rejected/fresh")
        }
        try Data(#"{"secret": 1}"#.utf8).write(to: URL(fileURLWithPath: victim + "/secret.json"))
        try run.fileNormalDrop()
        #expect(!run.agent.log.contains("secret.json"), "no watch went through the link")
        #expect(workspace.exists(victim + "/secret.json"))
        try run.finish(memoryBound: Self.memoryBound)
    }

    // MARK: - Names

    @Test("names cannot leave OUT or break a log line; long names are filed or set aside whole")
    func hostileNames() throws {
        let run = try HostileRun()
        let workspace = run.workspace
        let record = Array(#"{"a": 1}"#.utf8)
        // A newline in a name: filed, and logged escaped on one line.
        try workspace.writeByRename("run/forged\ninfo visdrop: fake.json", record)
        // A 255-byte image name: its PNG has a 255-byte name too.
        let longImage = String(repeating: "i", count: 249) + "_3.npy"
        // (Written under a short name and renamed: a dotted temporary name would be too long.)
        try FileManager.default.copyItem(
            atPath: try Fixtures.directory() + "/images/tiny_2.npy", toPath: workspace.staging + "/image")
        try workspace.moveIntoDrop(workspace.staging + "/image", as: "run/" + longImage)
        // A 255-byte name of no kind: set aside, its reason file's name shortened to fit.
        let longJunk = String(repeating: "n", count: 251) + ".txt"
        try Data("junk".utf8).write(to: URL(fileURLWithPath: workspace.staging + "/junk"))
        try workspace.moveIntoDrop(workspace.staging + "/junk", as: "run/" + longJunk)
        // Hidden directories, `.rejected` among them, and `..`-names are never entered.
        for hidden in ["run/.rejected/x.json", "..evil/x.json", "run/..x.json", ".rejected/y.json"] {
            try workspace.writeInPlace(hidden, record)
        }
        let pngName = String(repeating: "i", count: 249) + "_3.png"
        try eventually("the long image name to be filed; log:\n\(run.agent.log)") {
            workspace.exists(workspace.out + "/run/vis_image/" + pngName)
        }
        let reasonName = String(repeating: "n", count: 244) + ".reason.txt"
        try eventually("the long junk name to be set aside; log:\n\(run.agent.log)") {
            // The reason is written first, then the file moved in: wait for both.
            workspace.exists(workspace.drop + "/.rejected/run/" + reasonName)
                && workspace.exists(workspace.drop + "/.rejected/run/" + longJunk)
        }
        #expect(
            workspace.text(workspace.drop + "/.rejected/run/" + reasonName).hasPrefix("run/\(longJunk): "))
        #expect(try workspace.bytes(workspace.drop + "/.rejected/run/" + longJunk) == Array("junk".utf8))
        // A batch sets files aside before it appends its scalar lines: wait for the line too.
        let forgedLine = try Python.expectedScalarLines([#"{"a": 1}"#])
        try eventually("the record of the name with a newline to be filed; log:\n\(run.agent.log)") {
            workspace.text(workspace.out + "/run/scalars.json") == forgedLine
        }
        try run.fileNormalDrop()
        let expected = try Python.expectedScalarLines([#"{"a": 1}"#, #"{"after": 1}"#])
        #expect(workspace.text(workspace.out + "/run/scalars.json") == expected)
        #expect(run.agent.log.contains(#"file=run/forged\ninfo visdrop: fake.json"#))
        #expect(
            !run.agent.log.split(separator: "\n").contains { $0.hasPrefix("info visdrop: fake.json") },
            "a name must not start a log line")
        for hidden in ["run/.rejected/x.json", "..evil/x.json", "run/..x.json", ".rejected/y.json"] {
            #expect(try workspace.bytes(workspace.drop + "/" + hidden) == record, "\(hidden) is left alone")
        }
        // Nothing was written outside DROP and OUT.
        let entries = try FileManager.default.contentsOfDirectory(atPath: workspace.root).sorted()
        #expect(entries == ["agent.log", "drop", "out", "staging"])
        #expect(
            try FileManager.default.contentsOfDirectory(atPath: workspace.out).sorted() == [
                ".visdrop", "run",
            ])
        try run.finish(memoryBound: Self.memoryBound)
    }

    @Test("a .rejected planted as a link is not followed: a bad file stays put, the target gets nothing")
    func rejectedFolderPlantedAsLink() throws {
        let workspace = try TestWorkspace()
        let victim = workspace.staging + "/victim"
        try FileManager.default.createDirectory(atPath: victim, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(
            atPath: workspace.drop + "/.rejected", withDestinationPath: victim)
        let run = try HostileRun(workspace)
        try workspace.writeByRename("run/notes.txt", Array("junk".utf8))
        try eventually("the failure to set it aside to be logged; log:\n\(run.agent.log)") {
            run.agent.log.contains("could not set a rejected file aside")
        }
        #expect(run.agent.log.contains("is a symbolic link"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: victim).isEmpty)
        #expect(try workspace.bytes(workspace.drop + "/run/notes.txt") == Array("junk".utf8), "kept in place")
        try run.finish(memoryBound: Self.memoryBound)
    }

    // MARK: - Configs

    @Test("a .py config is copied byte for byte and never executed")
    func pythonConfigNeverExecuted() throws {
        let run = try HostileRun()
        let marker = run.workspace.staging + "/executed"
        let staged = run.workspace.staging + "/config.py"
        try HostileRun.makeHostileFile("python-marker", at: staged, argument: marker)
        let bytes = try run.workspace.bytes(staged)
        try run.workspace.moveIntoDrop(staged, as: "run/config.py")
        try eventually("config.py to be filed; log:\n\(run.agent.log)") {
            run.workspace.exists(run.workspace.out + "/run/config.py")
                && !run.workspace.exists(run.workspace.drop + "/run/config.py")
        }
        #expect(try run.workspace.bytes(run.workspace.out + "/run/config.py") == bytes)
        try run.fileNormalDrop()
        #expect(!run.workspace.exists(marker), "the config was executed")
        try run.finish(memoryBound: Self.memoryBound)
    }
}
