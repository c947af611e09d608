import Histogram

#if canImport(Glibc)
    import Glibc
#endif

/// What one run of one workload against one agent measured.
struct RunResult {
    /// From the first rename to the moment every output was visible and every source gone.
    var seconds: Double
    /// Records or images filed.
    var units: Int
    /// Rename → output visible, per file, in microseconds.
    var latency: Histogram<UInt64>
    /// VmHWM during the run.
    var peakResidentBytes: Int
    /// Total size of the PNGs written (image workloads).
    var outputBytes: Int
    /// Files whose latency is unknown because inotify's queue overflowed.
    var unobserved: Int
    /// CPU time the agent used (all threads), in nanoseconds, from the first rename until its
    /// trash was empty too: the background sweeper's deletions are part of a file's cost.
    var cpuNanoseconds: UInt64
    /// Lone files only: a bare `fdatasync` of a small file rewritten in place (what the journal
    /// does before a batch's first line), timed in each lone file's pause, in microseconds.
    var flushLatency: Histogram<UInt64>? = nil

    var rate: Double { Double(units) / seconds }
}

/// Drives one agent through workloads: stages files, renames them into the drop folder in a
/// tight loop, and follows the agent through inotify until every output is visible and
/// every source is gone.
///
/// The benchmark is one thread: between two renames it reads whatever events are queued
/// (a non-blocking `read`), and after the last rename it sleeps in `poll` until the next
/// event, so an event's time is when it was queued, give or take one rename.
/// "Output visible" is: for an image, the `close` after writing (cv2.imwrite) or, for visdrop's
/// atomic write, the `link` of the finished unnamed file (or the `rename` over an older one)
/// as `vis_image/img_<i>.png`; for scalars, the append
/// to `scalars.json` holding the file's last record (read incrementally on each `IN_MODIFY`,
/// and attributed to its file by the record's `"step"`).
final class DropRun {
    let agent: BenchAgent
    private let inotify: Inotify
    private let dropWatch: Int32
    private let outWatch: Int32
    private let imageWatch: Int32

    // State of the current run.
    private var workload = Workload(kind: .scalarFiles, files: 0)
    private var renamedAt: [UInt64] = []
    private var recordsSeen: [Int] = []
    private var outputAt: [UInt64] = []
    private var gone: [Bool] = []
    /// visdrop's sources claimed and not gone yet: gone with their claim folder.
    private var claimed: [Int] = []
    /// Watches on claim folders, for the sources that leave one by one (when a claim folder
    /// holds a file waiting for a later batch, its batch's sources leave it file by file).
    private var claimWatches = Set<Int32>()
    private var outputs = 0
    private var removals = 0
    private var overflowed = false
    private var latency = DropRun.histogram()
    private var scalarDescriptor: Int32 = -1
    private var scalarOffset = 0
    private var partialLine: [UInt8] = []
    private var scalarChunk = [UInt8](repeating: 0, count: 1 << 20)
    private var cpuAtStart = BenchAgent.CPUSample()

    init(agent: BenchAgent) throws(BenchError) {
        self.agent = agent
        inotify = try Inotify()
        // visdrop claims a source (renames it into `.visdrop-claim`), and the claim folder leaves
        // for the trash whole once its batch is durable; the peer removes each source in place.
        dropWatch = try inotify.watch(
            agent.drop, mask: UInt32(IN_DELETE | IN_MOVED_FROM | IN_CREATE | IN_ONLYDIR))
        outWatch = try inotify.watch(agent.out, mask: UInt32(IN_MODIFY))
        imageWatch = try inotify.watch(agent.images, mask: UInt32(IN_CLOSE_WRITE | IN_MOVED_TO | IN_CREATE))
        if agent.side.isVisdrop {
            let claimFolder = Bench.join(agent.drop, BenchAgent.claimFolderName)
            claimWatches.insert(try inotify.watch(claimFolder, mask: UInt32(IN_DELETE | IN_MOVED_FROM)))
        }
    }

    static func histogram() -> Histogram<UInt64> {
        Histogram(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
    }

    /// Writes the workload's files into the staging folder (not timed).
    func stage(_ workload: Workload, images: inout ImageContent) throws(BenchError) {
        for index in 0..<workload.files {
            let bytes = try workload.content(index, images: &images)
            try Bench.writeFile(Bench.join(agent.stage, workload.sourceName(index)), bytes)
        }
    }

    /// Renames every staged file in and waits until all are filed.
    ///
    /// With `paused`, the agent is stopped (`SIGSTOP`) while every file is renamed in and then
    /// let go, so that it finds the whole burst queued at once: the same batches every time,
    /// for repeatable instruction counts.
    func run(_ workload: Workload, timeoutSeconds: Double, paused: Bool = false) throws(BenchError)
        -> RunResult
    {
        begin(workload)
        agent.resetPeakMemory()
        let start = Bench.now()
        let deadline = start + UInt64(timeoutSeconds * 1e9)
        if paused { kill(agent.pid, SIGSTOP) }
        for index in 0..<workload.files {
            try renameIn(index)
            inotify.readAvailable { handle($0) }
        }
        if paused { kill(agent.pid, SIGCONT) }
        while !isComplete {
            try waitForEvents(until: deadline)
        }
        let seconds = Double(Bench.now() - start) / 1e9
        return try finish(seconds: seconds)
    }

    /// Renames the staged files in one at a time, each into an idle agent; latency only.
    func runOneAtATime(_ workload: Workload, gapMilliseconds: Int, timeoutSeconds: Double) throws(BenchError)
        -> RunResult
    {
        begin(workload)
        agent.resetPeakMemory()
        let probe = try FlushProbe(path: Bench.join(agent.root, "flush-probe"))
        var flushes = Self.histogram()
        let start = Bench.now()
        for index in 0..<workload.files {
            let deadline = Bench.now() + UInt64(timeoutSeconds * 1e9)
            try renameIn(index)
            while outputAt[index] == 0 || !gone[index] {
                try waitForEvents(until: deadline)
                if overflowed { break }
            }
            // The same disk, the same moment: one bare flush halfway through the pause.
            Bench.sleep(milliseconds: gapMilliseconds / 2)
            flushes.record(try probe.timedFlush() / 1000)
            Bench.sleep(milliseconds: gapMilliseconds - gapMilliseconds / 2)
        }
        while !isComplete {
            try waitForEvents(until: Bench.now() + UInt64(timeoutSeconds * 1e9))
        }
        var result = try finish(seconds: Double(Bench.now() - start) / 1e9)
        result.flushLatency = flushes
        return result
    }

    /// Renames the staged files of `workload` into a folder nobody watches, in the same loop
    /// as `run`, and returns files per second: the ceiling a drain rate is measured against.
    /// The files are removed afterwards (not timed).
    func renameOnlyRate(_ workload: Workload) throws(BenchError) -> Double {
        let sink = Bench.join(agent.root, "rename-only")
        try Bench.makeDirectories(sink)
        defer { Bench.removeTree(sink) }
        let start = Bench.now()
        for index in 0..<workload.files {
            let name = workload.sourceName(index)
            guard rename(Bench.join(agent.stage, name), Bench.join(sink, name)) == 0 else {
                throw .system("rename \(name) into the rename-only folder", errno: errno)
            }
        }
        return Double(workload.files) / (Double(Bench.now() - start) / 1e9)
    }

    private func begin(_ workload: Workload) {
        cpuAtStart = agent.cpuSample()
        inotify.drain()
        self.workload = workload
        renamedAt = Array(repeating: 0, count: workload.files)
        recordsSeen = Array(repeating: 0, count: workload.files)
        outputAt = Array(repeating: 0, count: workload.files)
        gone = Array(repeating: false, count: workload.files)
        claimed = []
        outputs = 0
        removals = 0
        overflowed = false
        latency = Self.histogram()
        closeScalarFile()
    }

    private func renameIn(_ index: Int) throws(BenchError) {
        let name = workload.sourceName(index)
        renamedAt[index] = Bench.now()
        guard rename(Bench.join(agent.stage, name), Bench.join(agent.drop, name)) == 0 else {
            throw .system("rename \(name) into the drop folder", errno: errno)
        }
    }

    private var isComplete: Bool { outputs == workload.files && removals == workload.files }

    private func waitForEvents(until deadline: UInt64) throws(BenchError) {
        if Bench.now() > deadline {
            throw .timeout(
                "\(agent.side.rawValue), \(workload.label): \(outputs) of \(workload.files) outputs, "
                    + "\(removals) sources gone\n\(agent.logTail())")
        }
        guard agent.isRunning else {
            throw .agent("\(agent.side.rawValue) exited during \(workload.label)\n\(agent.logTail())")
        }
        inotify.wait(milliseconds: overflowed ? 2 : 100)
        inotify.readAvailable { handle($0) }
        if overflowed { checkByListing() }
    }

    private func handle(_ event: Inotify.Event) {
        let time = Bench.now()
        if event.mask & UInt32(IN_Q_OVERFLOW) != 0 {
            overflowed = true
        } else if event.watch == dropWatch, agent.side.isVisdrop, event.name == BenchAgent.claimFolderName {
            if event.mask & UInt32(IN_CREATE) != 0 {
                if let watch = try? inotify.watch(
                    Bench.join(agent.drop, event.name), mask: UInt32(IN_DELETE | IN_MOVED_FROM))
                {
                    claimWatches.insert(watch)
                }
            } else {
                // The claim folder left: every source claimed before it went with it.
                for index in claimed { markGone(index) }
                claimed.removeAll()
            }
        } else if event.watch == dropWatch {
            guard let index = index(of: event.name, expected: workload.sourceName) else { return }
            if agent.side.isVisdrop, event.mask & UInt32(IN_MOVED_FROM) != 0 {
                claimed.append(index)
            } else {
                markGone(index)
            }
        } else if claimWatches.contains(event.watch) {
            if let index = index(of: event.name, expected: workload.sourceName) { markGone(index) }
        } else if event.watch == imageWatch {
            // A PNG the peer creates is still empty; one visdrop creates is linked in whole.
            if event.mask & UInt32(IN_CREATE) != 0, agent.side == .peer { return }
            if workload.isImage, let index = index(of: event.name, expected: { "img_\($0).png" }) {
                outputSeen(index, at: time)
            }
        } else if event.watch == outWatch, event.name == "scalars.json", !workload.isImage {
            readScalarLines(at: time)
        }
    }

    private func markGone(_ index: Int) {
        guard !gone[index] else { return }
        gone[index] = true
        removals += 1
    }

    private func index(of name: String, expected: (Int) -> String) -> Int? {
        guard let index = Workload.index(in: name), index >= 0, index < workload.files,
            expected(index) == name
        else { return nil }
        return index
    }

    private func outputSeen(_ index: Int, at time: UInt64) {
        guard outputAt[index] == 0 else { return }
        outputAt[index] = time
        outputs += 1
        latency.record((time - renamedAt[index]) / 1000)
    }

    /// Reads what was appended to `scalars.json` since the last look and credits each whole line.
    ///
    /// This runs while the agent works, so it must cost little: a burst of JSON Lines files
    /// appends megabytes at once, and a slow scan would delay the reading of the events that
    /// follow (the sources' removals), charging the benchmark's own time to the agent.
    private func readScalarLines(at time: UInt64) {
        if scalarDescriptor < 0 {
            scalarDescriptor = open(agent.scalars, O_RDONLY | O_CLOEXEC)
            guard scalarDescriptor >= 0 else { return }
        }
        while true {
            let count = scalarChunk.withUnsafeMutableBytes {
                pread(scalarDescriptor, $0.baseAddress, $0.count, off_t(scalarOffset))
            }
            guard count > 0 else { return }
            scalarOffset += count
            scalarChunk.withUnsafeBufferPointer { chunk in
                guard let base = chunk.baseAddress else { return }
                var lineStart = 0
                while lineStart < count, let newline = memchr(base + lineStart, 10, count - lineStart) {
                    let lineEnd = base.distance(to: newline.assumingMemoryBound(to: UInt8.self))
                    if partialLine.isEmpty {
                        let line = UnsafeBufferPointer(rebasing: chunk[lineStart..<lineEnd])
                        credit(step: Self.step(in: line), at: time)
                    } else {
                        partialLine.append(contentsOf: chunk[lineStart..<lineEnd])
                        credit(step: partialLine.withUnsafeBufferPointer { Self.step(in: $0) }, at: time)
                        partialLine.removeAll(keepingCapacity: true)
                    }
                    lineStart = lineEnd + 1
                }
                if lineStart < count { partialLine.append(contentsOf: chunk[lineStart..<count]) }
            }
        }
    }

    private func credit(step: Int?, at time: UInt64) {
        guard let step else { return }
        let index = step / workload.recordsPerFile
        guard index >= 0, index < workload.files else { return }
        recordsSeen[index] += 1
        if recordsSeen[index] == workload.recordsPerFile { outputSeen(index, at: time) }
    }

    private static let stepKey = Array(#""step": "#.utf8)

    /// The integer after the last `"step": ` in a line.
    static func step(in line: UnsafeBufferPointer<UInt8>) -> Int? {
        let key = stepKey
        guard line.count >= key.count else { return nil }
        var start = line.count - key.count
        search: while start >= 0 {
            for offset in 0..<key.count where line[start + offset] != key[offset] {
                start -= 1
                continue search
            }
            break
        }
        guard start >= 0 else { return nil }
        var value = 0
        var position = start + key.count
        var digits = 0
        while position < line.count, line[position] &- 48 < 10 {
            value = value * 10 + Int(line[position] &- 48)
            position += 1
            digits += 1
        }
        return digits > 0 ? value : nil
    }

    /// After an inotify overflow: decide completion from the folders themselves.
    private func checkByListing() {
        let time = Bench.now()
        let present = Set(
            Bench.list(agent.drop) + Bench.list(Bench.join(agent.drop, BenchAgent.claimFolderName)))
        for index in 0..<workload.files where !gone[index] && !present.contains(workload.sourceName(index)) {
            gone[index] = true
            removals += 1
        }
        if workload.isImage {
            for index in 0..<workload.files where outputAt[index] == 0 {
                if Bench.exists(Bench.join(agent.images, "img_\(index).png")) {
                    outputAt[index] = time
                    outputs += 1
                }
            }
        } else {
            readScalarLines(at: time)
        }
    }

    /// Checks the outputs, measures them, and clears the folders for the next workload.
    private func finish(seconds: Double) throws(BenchError) -> RunResult {
        // visdrop deletes its filed sources in the background once filing pauses: that work is
        // the files' too, so the CPU is read once the trash is empty.
        agent.waitForBackgroundDeletions(timeoutSeconds: 60)
        let cpu = agent.cpuUsed(since: cpuAtStart).nanoseconds
        let peak = agent.peakResidentBytes()
        let leftovers = Bench.list(agent.drop).filter { !$0.hasPrefix(".") }
        let rejected = Bench.list(Bench.join(agent.drop, ".rejected"))
        guard leftovers.isEmpty, rejected.isEmpty else {
            throw .agent(
                "\(agent.side.rawValue), \(workload.label): left in the drop folder: "
                    + "\((leftovers + rejected.map { ".rejected/\($0)" }).prefix(5))\n\(agent.logTail())")
        }
        var outputBytes = 0
        if workload.isImage {
            for index in 0..<workload.files {
                guard let size = Bench.fileSize(Bench.join(agent.images, "img_\(index).png")) else {
                    throw .agent("\(agent.side.rawValue): vis_image/img_\(index).png is missing")
                }
                outputBytes += size
            }
            for name in Bench.list(agent.images) { unlink(Bench.join(agent.images, name)) }
        } else {
            let lines = (Bench.readFile(agent.scalars) ?? []).reduce(0) { $0 + ($1 == 10 ? 1 : 0) }
            let expected = workload.files * workload.recordsPerFile
            guard lines == expected else {
                throw .agent("\(agent.side.rawValue): scalars.json has \(lines) lines, expected \(expected)")
            }
            unlink(agent.scalars)
        }
        closeScalarFile()
        let unit = workload.kind == .scalarBatches ? workload.recordsPerFile : 1
        return RunResult(
            seconds: seconds, units: workload.files * unit, latency: latency, peakResidentBytes: peak,
            outputBytes: outputBytes, unobserved: workload.files - Int(latency.totalCount),
            cpuNanoseconds: cpu)
    }

    private func closeScalarFile() {
        if scalarDescriptor >= 0 { close(scalarDescriptor) }
        scalarDescriptor = -1
        scalarOffset = 0
        partialLine.removeAll()
    }
}

/// A small file rewritten in place and flushed, as the scalar journal's record is: the bare
/// cost of the one `fdatasync` a lone scalar file's line must wait for.
final class FlushProbe {
    private let descriptor: Int32
    private let record = [UInt8](repeating: UInt8(ascii: "x"), count: 200)

    init(path: String) throws(BenchError) {
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .system("create \(path)", errno: errno) }
        _ = try timedFlush()  // The first flush allocates the file's block.
    }

    deinit { close(descriptor) }

    /// Rewrites the record at offset 0 and flushes it; nanoseconds for both.
    func timedFlush() throws(BenchError) -> UInt64 {
        let start = Bench.now()
        let written = record.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        guard written == record.count, fdatasync(descriptor) == 0 else {
            throw .system("write and fdatasync the flush probe", errno: errno)
        }
        return Bench.now() - start
    }
}
