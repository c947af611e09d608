import VisdropBackend
import VisdropFileSystem
import VisdropJSON
import VisdropNPY
import VisdropPNG

#if canImport(Glibc)
    import Glibc
#endif

/// `visdrop-bench --stages`: the agent's filing steps timed one by one in this process, on the
/// same files the end-to-end workloads drop, to show where a file's time goes.
///
/// Each step is what `DropFiler` does for that kind of file (read with `FileSystem`, decode,
/// convert, encode, write or append, remove the source), without the watcher, the pipeline, the
/// scalar journal or logging; medians of `repetitions` runs.
struct StageProfile {
    let directory: String
    let repetitions: Int

    func run() throws -> String {
        Bench.removeTree(directory)
        try Bench.makeDirectories(directory)
        defer { Bench.removeTree(directory) }
        var lines = [
            "### Where a file's time goes (in-process, medians of \(repetitions), µs)", "",
            "| file | read | decode | convert | encode PNG | write | fsync + dir | remove | total |",
            "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
        ]
        var images = ImageContent()
        for (width, height) in [(64, 64), (512, 512), (1920, 1080)] {
            let bytes = try images.npy(width: width, height: height, variant: 0)
            lines.append(try profileImage(bytes, label: "\(width)×\(height) RGB .npy"))
        }
        lines.append(
            try profileScalars(Array((Workload.record(step: 7) + "\n").utf8), label: "1-record .json"))
        var batch = ""
        for step in 0..<100 { batch += Workload.record(step: step) + "\n" }
        lines.append(try profileScalars(Array(batch.utf8), label: "100-record .jsonl"))
        lines.append("")
        lines.append(
            "(For scalars, decode = JSON text to Python's json.dumps lines (JSONRecords.pythonLines), convert and encode = –, "
                + "write = one O_APPEND write, fsync = fdatasync; the agent also writes its scalar intent first.)"
        )
        return lines.joined(separator: "\n") + "\n"
    }

    private func profileImage(_ file: [UInt8], label: String) throws -> String {
        let reader = NPYReader()
        let encoder = PNGEncoder()
        var times = StageTimes()
        for index in 0..<repetitions {
            // A new name each time, as in the agent: replacing a file would time freeing the old one.
            let output = Bench.join(directory, "out_\(index).png")
            let source = Bench.join(directory, "img_\(index).npy")
            try Bench.writeFile(source, file)
            var clock = Bench.now()
            // As the agent reads an array: the header first, then the data straight into its array.
            let file = try RegularFile.open(at: source)
            let header = try reader.readHeader(try file.read(upTo: 12 + reader.limits.maximumHeaderLength))
            try reader.checkDataSize(header, fileSize: file.size)
            let data = try file.read(upTo: header.dataByteCount, at: header.dataOffset)
            times.add(.read, since: &clock)
            let array = try reader.read(header: header, data: data)
            times.add(.decode, since: &clock)
            let pixels = try ImageConversion.pixelImage(from: array)
            times.add(.convert, since: &clock)
            let png = try encoder.encode(pixels)
            times.add(.encode, since: &clock)
            try FileSystem.writeAtomically(png, to: output, durable: false)
            times.add(.write, since: &clock)
            try FileSystem.writeAtomically(png, to: output + ".durable", durable: true)
            times.add(.sync, since: &clock, minus: times.last(.write))
            try FileSystem.removeFile(source)
            times.add(.remove, since: &clock)
            unlink(output)
            unlink(output + ".durable")
        }
        return times.row(label)
    }

    private func profileScalars(_ file: [UInt8], label: String) throws -> String {
        let output = Bench.join(directory, "scalars.json")
        var times = StageTimes()
        for index in 0..<repetitions {
            let source = Bench.join(directory, "m_\(index).json")
            try Bench.writeFile(source, file)
            var clock = Bench.now()
            let contents = try FileSystem.readRegularFile(at: source, maximumBytes: 1 << 30)
            times.add(.read, since: &clock)
            let lines = try JSONRecords.pythonLines(contents.bytes, settingDefault: "step", to: 0).bytes
            times.add(.decode, since: &clock)
            times.add(.convert, since: &clock)
            times.add(.encode, since: &clock)
            try FileSystem.append(lines, to: output, durable: false)
            times.add(.write, since: &clock)
            try FileSystem.append(lines, to: output, durable: true)
            times.add(.sync, since: &clock, minus: times.last(.write))
            try FileSystem.removeFile(source)
            times.add(.remove, since: &clock)
        }
        return times.row(label)
    }
}

/// Per-step samples in nanoseconds.
private struct StageTimes {
    enum Step: Int, CaseIterable {
        case read, decode, convert, encode, write, sync, remove
    }

    private var samples: [[UInt64]] = Array(repeating: [], count: Step.allCases.count)

    mutating func add(_ step: Step, since clock: inout UInt64, minus: UInt64 = 0) {
        let now = Bench.now()
        let elapsed = now - clock
        samples[step.rawValue].append(elapsed > minus ? elapsed - minus : 0)
        clock = now
    }

    func last(_ step: Step) -> UInt64 { samples[step.rawValue].last ?? 0 }

    func row(_ label: String) -> String {
        let medians = Step.allCases.map { Bench.median(samples[$0.rawValue].map { Double($0) }) / 1000 }
        let cells = medians.map { Bench.rate($0) }
        return "| \(label) | " + cells.joined(separator: " | ") + " | \(Bench.rate(medians.reduce(0, +))) |"
    }
}
