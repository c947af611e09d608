import Foundation

/// A fresh temporary folder per test, with `drop/`, `out/` and a log file; removed at the end.
final class TestWorkspace {
    let root: String
    var drop: String { root + "/drop" }
    var out: String { root + "/out" }
    var log: String { root + "/agent.log" }

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent(
            "visdrop-test-\(UUID().uuidString)")
        root = base.path
        try FileManager.default.createDirectory(atPath: root + "/drop", withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: root)
    }

    /// `watch` arguments for this workspace (a short settle time keeps scanned files quick).
    func watchArguments(logLevel: String = "debug", _ extra: [String] = []) -> [String] {
        ["watch", "--drop", drop, "--out", out, "--settle-ms", "200", "--log-level", logLevel]
            + Self.watchModeArguments + extra
    }

    /// `VISDROP_TEST_WATCH_MODE=poll` runs every end-to-end test with the agent in that mode
    /// (`scripts/test` runs them once so); unset, the agent chooses (`auto`).
    static let isPolling = ProcessInfo.processInfo.environment["VISDROP_TEST_WATCH_MODE"] == "poll"

    static let watchModeArguments: [String] =
        ProcessInfo.processInfo.environment["VISDROP_TEST_WATCH_MODE"].map {
            ["--watch-mode", $0, "--poll-interval", "100ms"]
        } ?? []

    /// A staging folder beside the drop folder, on the same file system, for writing then renaming.
    var staging: String {
        let path = root + "/staging"
        try? FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Moves a file from the staging folder into the drop folder with one rename.
    func moveIntoDrop(_ stagedPath: String, as relativePath: String) throws {
        let path = drop + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard rename(stagedPath, path) == 0 else {
            throw TestFailure("cannot rename \(stagedPath) to \(path)")
        }
    }

    /// `ingest` arguments for this workspace.
    func ingestArguments(_ extra: [String] = []) -> [String] {
        ["ingest", "--drop", drop, "--out", out] + extra
    }

    /// Writes `bytes` in place: open, write, close (the close is what the agent waits for).
    func writeInPlace(_ relativePath: String, _ bytes: [UInt8]) throws {
        let path = drop + "/" + relativePath
        try FileManager.default.createDirectory(
            atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        guard FileManager.default.createFile(atPath: path, contents: Data(bytes)) else {
            throw TestFailure("cannot write \(path)")
        }
    }

    /// Writes `bytes` under a hidden temporary name and renames it to `relativePath`.
    func writeByRename(_ relativePath: String, _ bytes: [UInt8]) throws {
        let path = drop + "/" + relativePath
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let temporary = directory + "/." + (path as NSString).lastPathComponent + ".tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: Data(bytes)) else {
            throw TestFailure("cannot write \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw TestFailure("cannot rename to \(path)") }
    }

    func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: path)
    }

    /// True once the rejected entry at `path` (a link too, not followed) and its reason file are
    /// both there: the agent writes the reason first, then moves the entry in.
    func isSetAside(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && exists(path + ".reason.txt")
    }

    func bytes(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    func text(_ path: String) -> String {
        (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
    }

    /// Regular files left in the drop folder, hidden ones (like `.rejected`) excluded — but files
    /// the agent has claimed and not filed yet (in a `.visdrop-claim` folder) included: they are
    /// still to be filed.
    func visibleDropFiles() -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: drop) else { return [] }
        var files: [String] = []
        while let item = enumerator.nextObject() as? String {
            let name = (item as NSString).lastPathComponent
            if name == ".visdrop-claim" { continue }
            if name.hasPrefix(".") {
                if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory {
                    enumerator.skipDescendants()
                }
                continue
            }
            if (enumerator.fileAttributes?[.type] as? FileAttributeType) == .typeRegular {
                files.append(item)
            }
        }
        return files.sorted()
    }
}
