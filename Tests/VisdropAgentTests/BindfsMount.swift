import Foundation

/// A real FUSE mount: `bindfs BACKING MOUNT`, unmounted at the end.
///
/// What is written into the backing folder reaches the mount through the FUSE daemon, not
/// through the kernel's file-system code that raises inotify events: to an agent watching the
/// mount, it is what another node's writes are on NFS or Lustre.
final class BindfsMount {
    let backing: String
    let mountPoint: String
    /// bindfs in the foreground (`-f`): Foundation's `Process` would wait forever for a daemon it
    /// leaves behind, which keeps the descriptor Foundation watches for the exit.
    private let daemon = Process()

    /// Why bindfs tests cannot run here, or nil when they can (`scripts/install-deps --test`
    /// installs bindfs; FUSE needs `/dev/fuse`).
    static let unavailableReason: String? = {
        if !FileManager.default.fileExists(atPath: "/dev/fuse") { return "no /dev/fuse on this machine" }
        if !FileManager.default.isExecutableFile(atPath: "/usr/bin/bindfs") {
            return "bindfs is not installed (scripts/install-deps --test installs it)"
        }
        return nil
    }()

    /// Mounts `backing` (created if missing) at `mountPoint` (created if missing).
    init(backing: String, at mountPoint: String) throws {
        self.backing = backing
        self.mountPoint = mountPoint
        for folder in [backing, mountPoint] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        daemon.executableURL = URL(fileURLWithPath: "/usr/bin/bindfs")
        daemon.arguments = ["-f", "--no-allow-other", backing, mountPoint]
        daemon.standardOutput = FileHandle.nullDevice
        daemon.standardError = FileHandle.nullDevice
        try daemon.run()
        try eventually("the bindfs mount at \(mountPoint)", deadline: 30) {
            guard daemon.isRunning else { throw TestFailure("bindfs exited (\(daemon.terminationStatus))") }
            return Self.isMounted(mountPoint)
        }
    }

    deinit {
        // Lazily: an agent killed by the test may still hold the mount busy for a moment.
        try? runProgram("/bin/fusermount", ["-u", "-z", mountPoint], purpose: "unmount bindfs")
        if daemon.isRunning { daemon.terminate() }
        daemon.waitUntilExit()
    }

    /// Whether `/proc/self/mounts` lists a FUSE mount at `path`.
    static func isMounted(_ path: String) -> Bool {
        let mounts = (try? String(contentsOfFile: "/proc/self/mounts", encoding: .utf8)) ?? ""
        let resolved = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        return mounts.split(separator: "\n").contains { line in
            let fields = line.split(separator: " ")
            return fields.count > 2 && (fields[1] == path || fields[1] == resolved)
                && fields[2].hasPrefix("fuse")
        }
    }
}
