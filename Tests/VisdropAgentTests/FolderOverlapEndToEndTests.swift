import Foundation
import Testing

/// Folders that overlap would make the agent file its own outputs (or a run into itself) again
/// and again: the real binary refuses them at start with exit status 3, naming both folders.
@Suite("overlapping folders, end to end")
struct FolderOverlapEndToEndTests {
    /// One refused layout: how to make its folders in a workspace, the arguments, and the two
    /// folders the message must name.
    struct Overlap: CustomStringConvertible, Sendable {
        let description: String
        let arguments: @Sendable (TestWorkspace) throws -> (arguments: [String], named: [String])
    }

    static let overlaps: [Overlap] = [
        Overlap(description: "--out equal to --drop") { workspace in
            (["--drop", workspace.drop, "--out", workspace.drop], [workspace.drop])
        },
        Overlap(description: "--out inside --drop") { workspace in
            (
                ["--drop", workspace.drop, "--out", workspace.drop + "/vis"],
                [workspace.drop, workspace.drop + "/vis"]
            )
        },
        Overlap(description: "--drop inside --out") { workspace in
            (
                ["--drop", workspace.out + "/drop", "--out", workspace.out],
                [workspace.out + "/drop", workspace.out]
            )
        },
        Overlap(description: "--archive inside --drop") { workspace in
            let archive = workspace.drop + "/archive"
            return (
                ["--drop", workspace.drop, "--out", workspace.out, "--archive", archive],
                [archive, workspace.drop]
            )
        },
        Overlap(description: "--drop inside --archive") { workspace in
            let archive = workspace.root + "/archive"
            return (
                ["--drop", archive + "/drop", "--out", workspace.out, "--archive", archive],
                [archive + "/drop", archive]
            )
        },
        Overlap(description: "--archive equal to --out") { workspace in
            (["--drop", workspace.drop, "--out", workspace.out, "--archive", workspace.out], [workspace.out])
        },
        Overlap(description: "--out inside --drop through a symbolic link") { workspace in
            // `link` is the drop folder under another name: only the real paths show the overlap.
            let link = workspace.root + "/link"
            try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: workspace.drop)
            return (["--drop", workspace.drop, "--out", link + "/vis"], [workspace.drop, link + "/vis"])
        },
        Overlap(description: "--out inside --drop through a bind mount") { workspace in
            // The bind mount shows the drop folder's own inode at another path.
            let mounted = workspace.root + "/mounted"
            try FileManager.default.createDirectory(atPath: mounted, withIntermediateDirectories: true)
            try runProgram(
                "/usr/bin/mount", ["--bind", workspace.drop, mounted], purpose: "a bind mount needs root")
            return (
                ["--drop", workspace.drop, "--out", mounted + "/vis"], [workspace.drop, mounted + "/vis"]
            )
        },
    ]

    @Test("refused with exit status 3 and a message naming both folders", arguments: overlaps)
    func refused(_ overlap: Overlap) throws {
        let workspace = try TestWorkspace()
        defer { try? runProgram("/usr/bin/umount", [workspace.root + "/mounted"], purpose: "unmount") }
        let (arguments, named) = try overlap.arguments(workspace)
        // A file waits in the drop folder: a refused start must not file it.
        let drop = try #require(arguments.firstIndex(of: "--drop").map { arguments[$0 + 1] })
        try FileManager.default.createDirectory(atPath: drop + "/run", withIntermediateDirectories: true)
        #expect(
            FileManager.default.createFile(atPath: drop + "/run/a.json", contents: Data(#"{"a": 1}"#.utf8)))
        for command in ["watch", "ingest"] {
            let (status, log) = try AgentProcess.run([command] + arguments, logPath: workspace.log)
            #expect(status == 3, "\(command): \(log)")
            for path in named {
                #expect(log.contains(path), "\(command): the message must name \(path): \(log)")
            }
        }
        #expect(workspace.exists(drop + "/run/a.json"), "the waiting file was taken")
    }

    @Test("folders side by side (and an archive beside them) are accepted")
    func sideBySideAccepted() throws {
        let workspace = try TestWorkspace()
        try workspace.writeByRename("run/a.json", Array(#"{"a": 1}"#.utf8))
        let (status, log) = try AgentProcess.run(
            workspace.ingestArguments(["--archive", workspace.root + "/archive"]), logPath: workspace.log)
        #expect(status == 0, "\(log)")
        #expect(workspace.text(workspace.out + "/run/scalars.json") == "{\"a\": 1, \"step\": 0}\n")
        #expect(workspace.exists(workspace.root + "/archive/run/a.json"))
    }
}
