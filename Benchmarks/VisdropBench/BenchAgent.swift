#if canImport(Glibc)
    import Glibc
#endif

/// One agent under test (visdrop or the Python peer) running on its own folders.
///
/// The staging folder is a sibling of the drop folder, so files are renamed in on the same
/// file system, as a training script that writes `.tmp` files and renames them would.
final class BenchAgent {
    /// Which agent, for the report.
    enum Side: String, CaseIterable {
        case visdrop
        /// Another build of visdrop (`--baseline`), measured in the same rounds: "before".
        case baseline
        case peer

        /// A visdrop build (claims, a trash folder), not the peer.
        var isVisdrop: Bool { self != .peer }
    }

    let side: Side
    let root: String
    var stage: String { Bench.join(root, "stage") }
    var drop: String { Bench.join(root, "drop") }

    /// Waits until visdrop's trash folder (`DROP/.visdrop-trash`) is empty; the peer deletes as it goes.
    func waitForBackgroundDeletions(timeoutSeconds: Double) {
        let trash = Bench.join(drop, ".visdrop-trash")
        let deadline = Bench.now() + UInt64(timeoutSeconds * 1e9)
        while !Bench.list(trash).isEmpty, Bench.now() < deadline { Bench.sleep(milliseconds: 20) }
    }
    /// The name of visdrop's claim folder in each drop folder: the agent first claims a file
    /// (renames it into `DROP/.visdrop-claim`) and, once the batch's outputs are flushed, moves
    /// the claim folder into its trash whole (or, when a file in it waits for a later batch,
    /// each filed source on its own).
    static let claimFolderName = ".visdrop-claim"
    var out: String { Bench.join(root, "out") }
    var images: String { Bench.join(out, "vis_image") }
    var scalars: String { Bench.join(out, "scalars.json") }
    var log: String { Bench.join(root, "agent.log") }
    private(set) var pid: pid_t = 0

    init(side: Side, root: String) throws(BenchError) {
        self.side = side
        self.root = root
        Bench.removeTree(root)
        // The claim folder exists before the agent starts, so that the benchmark watches it from
        // the first file on (an agent that keeps one claim folder, as visdrop did before its
        // claim folders left whole, is measured alike).
        for directory in [stage, drop, images] { try Bench.makeDirectories(directory) }
        if side.isVisdrop { try Bench.makeDirectories(Bench.join(drop, Self.claimFolderName)) }
    }

    /// Starts `command` (the first element is the executable) with output to `agent.log`.
    func start(_ command: [String]) throws(BenchError) {
        pid = try Self.spawn(Self.diesWithBenchmark(command), output: log, errorsToOutput: true)
    }

    private static let setpriv = "/usr/bin/setpriv"

    /// `command` run so that the kernel kills it when the benchmark exits, even by a crash:
    /// util-linux's `setpriv --pdeathsig KILL` sets the parent-death signal and then execs the
    /// command under the same pid (the benchmark's `/proc` readings stay the agent's).
    private static func diesWithBenchmark(_ command: [String]) -> [String] {
        Bench.exists(setpriv) ? [setpriv, "--pdeathsig", "KILL", "--"] + command : command
    }

    /// Starts a process with standard input from /dev/null and standard output appended to `output`.
    static func spawn(_ command: [String], output: String, errorsToOutput: Bool) throws(BenchError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        if errorsToOutput { posix_spawn_file_actions_adddup2(&actions, 1, 2) }
        let arguments = command.map { strdup($0) } + [nil]
        defer { for argument in arguments { free(argument) } }
        var child: pid_t = 0
        let status = posix_spawn(&child, command[0], &actions, nil, arguments, environ)
        guard status == 0 else { throw .system("posix_spawn \(command[0])", errno: status) }
        return child
    }

    /// Waits until the agent's log has a line containing "watching" (both agents log one once
    /// their watch is in place; files renamed in before that would not be seen by the peer).
    func waitUntilWatching(timeoutSeconds: Double) throws(BenchError) {
        let deadline = Bench.now() + UInt64(timeoutSeconds * 1e9)
        while !String(decoding: Bench.readFile(log) ?? [], as: UTF8.self).contains("watching") {
            guard isRunning else { throw .agent("\(side.rawValue) exited at start\n\(logTail())") }
            guard Bench.now() < deadline else { throw .timeout("\(side.rawValue) start\n\(logTail())") }
            Bench.sleep(milliseconds: 20)
        }
    }

    /// Whether the process is still running (not exited, not a zombie).
    var isRunning: Bool {
        guard pid > 0 else { return false }
        var status: Int32 = 0
        return waitpid(pid, &status, WNOHANG) == 0
    }

    /// Sends SIGTERM and waits (SIGKILL after `graceSeconds`).
    func stop(graceSeconds: Int = 10) {
        guard pid > 0 else { return }
        kill(pid, SIGTERM)
        let deadline = Bench.now() + UInt64(graceSeconds) * 1_000_000_000
        var status: Int32 = 0
        while waitpid(pid, &status, WNOHANG) == 0 {
            if Bench.now() > deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            Bench.sleep(milliseconds: 10)
        }
        pid = 0
    }

    /// The last lines of the agent's log, for error messages.
    func logTail(lines: Int = 15) -> String {
        let text = String(decoding: Bench.readFile(log) ?? [], as: UTF8.self)
        return text.split(separator: "\n").suffix(lines).joined(separator: "\n")
    }

    // MARK: - Measurements from /proc

    /// CPU time: the process's clock ticks (utime + stime, which keep the time of threads that
    /// have exited) and, per live thread, nanoseconds on CPU (schedstat) and context switches.
    struct CPUSample {
        var ticks = 0
        var threads: [String: (nanoseconds: UInt64, contextSwitches: Int)] = [:]
    }

    /// What an agent used between two samples.
    struct CPUUse {
        /// Nanoseconds on CPU: the threads' schedstat deltas. When a thread exited in between (it
        /// took its schedstat with it), the ticks bound it instead, if they say more.
        var nanoseconds: UInt64
        var ticks: Int
        var contextSwitches: Int
    }

    func cpuSample() -> CPUSample {
        var sample = CPUSample()
        let stat = String(decoding: Bench.readFile("/proc/\(pid)/stat") ?? [], as: UTF8.self)
        // Fields after the command name (which is in parentheses and may hold spaces).
        if let close = stat.lastIndex(of: ")") {
            let fields = stat[stat.index(after: close)...].split(separator: " ")
            // fields[0] is the state (field 3); utime and stime are fields 14 and 15.
            if fields.count > 12, let user = Int(fields[11]), let system = Int(fields[12]) {
                sample.ticks = user + system
            }
        }
        let taskDirectory = "/proc/\(pid)/task"
        for task in Bench.list(taskDirectory) {
            var nanoseconds: UInt64 = 0
            var switches = 0
            let schedstat = String(
                decoding: Bench.readFile("\(taskDirectory)/\(task)/schedstat") ?? [], as: UTF8.self)
            if let first = schedstat.split(separator: " ").first, let value = UInt64(first) {
                nanoseconds = value
            }
            let status = String(
                decoding: Bench.readFile("\(taskDirectory)/\(task)/status") ?? [], as: UTF8.self)
            for line in status.split(separator: "\n") {
                if line.hasPrefix("voluntary_ctxt_switches:") || line.hasPrefix("nonvoluntary_ctxt_switches:")
                {
                    switches += Int(line.split(separator: "\t").last ?? "") ?? 0
                }
            }
            sample.threads[task] = (nanoseconds, switches)
        }
        return sample
    }

    /// The CPU used since `start` (a sample of this same process).
    func cpuUsed(since start: CPUSample) -> CPUUse {
        let end = cpuSample()
        var nanoseconds: UInt64 = 0
        var switches = 0
        for (task, now) in end.threads {
            let before = start.threads[task] ?? (0, 0)
            nanoseconds += now.nanoseconds >= before.nanoseconds ? now.nanoseconds - before.nanoseconds : 0
            switches += max(0, now.contextSwitches - before.contextSwitches)
        }
        let ticks = max(0, end.ticks - start.ticks)
        // The tick count is the process's running total rounded down to whole ticks, so its
        // delta steps by one whenever the total crosses a tick, even for a few microseconds of
        // CPU: it is only a bound, needed when a thread's own count left with it.
        let threadExited = start.threads.keys.contains { end.threads[$0] == nil }
        let tickNanoseconds = UInt64(ticks) * 1_000_000_000 / UInt64(max(1, sysconf(Int32(_SC_CLK_TCK))))
        return CPUUse(
            nanoseconds: threadExited ? max(nanoseconds, tickNanoseconds) : nanoseconds, ticks: ticks,
            contextSwitches: switches)
    }

    /// VmHWM, the peak resident set size since start or the last `resetPeakMemory`, in bytes.
    func peakResidentBytes() -> Int {
        let status = String(decoding: Bench.readFile("/proc/\(pid)/status") ?? [], as: UTF8.self)
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            let number = line.split(separator: " ").dropFirst().first { Int($0) != nil }
            return (number.flatMap { Int($0) } ?? 0) * 1024
        }
        return 0
    }

    /// Resets VmHWM to the current RSS (`echo 5 > /proc/PID/clear_refs`, Linux 4.0+).
    func resetPeakMemory() {
        let fd = open("/proc/\(pid)/clear_refs", O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = write(fd, "5", 1)
        close(fd)
    }
}
