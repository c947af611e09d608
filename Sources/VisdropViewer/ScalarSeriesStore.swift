import Synchronization
import VisdropFileSystem

/// The series of one scalar file as the API answers: for each key, its points after `offset`,
/// smoothed, then thinned to the requested number.
struct ScalarSeries: Sendable {
    /// Each key's points (thinned) and how many raw points there were.
    struct KeySeries: Sendable {
        var count: Int
        var points: [SeriesPoint]
    }
    /// The offset the points start at (0 after a reset).
    var offset: Int
    /// The offset to ask from next time: after the last complete line.
    var nextOffset: Int
    /// True when the asked offset could not be continued (the file shrank or was replaced, or
    /// the offset is unknown): these are the whole file's series, to replace what the client has.
    var reset: Bool
    /// Every key of the file, in the order first seen.
    var keys: [String]
    /// The series of each key with points in range.
    var series: [String: KeySeries]
    /// Lines that were not records (bad JSON, no numeric step), over the whole file.
    var skippedLines: Int
    /// Keys past `ScalarSeriesStore.maximumKeys`, left out.
    var droppedKeys: Int
}

/// A cache of scalar files' series, so a live run costs what its new lines cost.
///
/// For each (file, smoothing weight, point limit) it keeps the streaming thinned series, each
/// key's smoother state and the offset read up to, plus the smoother states at the last few
/// offsets it answered with: a client asking from one of those gets only the new lines, read
/// from there. Changing the weight costs one pass over the file. Files are read on the calling
/// thread (the server calls it on its thread pool); one file's entry is locked while it is read.
final class ScalarSeriesStore: Sendable {
    /// At most this many keys per file (a hostile file with a million keys stays small).
    static let maximumKeys = 1000
    /// At most this many cached (file, weight, limit) entries.
    static let maximumEntries = 64
    /// Offsets per entry whose smoother states are kept for clients to continue from.
    static let checkpointCount = 32

    private struct EntryKey: Hashable, Sendable {
        var path: String
        var weight: Double
        var limit: Int
    }

    private struct Entry: Sendable {
        var device: UInt64
        var inode: UInt64
        var endOffset = 0
        var keys: [String] = []
        /// Each key's position in `keys` and `states`.
        var keyIndex: [String: Int] = [:]
        /// Each key's thinned series and smoother, mutated in place (a copy out of a dictionary
        /// and back would copy the kept points on every point).
        var states: [(thinned: MinMaxDownsampler, smoother: ExponentialSmoother)] = []
        var checkpoints: [(offset: Int, smoothers: [String: ExponentialSmoother])] = []
        var skippedLines = 0
        var droppedKeys = 0
        let weight: Double
        let limit: Int

        init(identity: FileSystem.FileIdentity, weight: Double, limit: Int) {
            device = identity.device
            inode = identity.inode
            self.weight = weight
            self.limit = limit
        }

        var smoothers: [String: ExponentialSmoother] {
            Dictionary(uniqueKeysWithValues: zip(keys, states.map(\.smoother)))
        }

        var thinned: [String: MinMaxDownsampler] {
            Dictionary(uniqueKeysWithValues: zip(keys, states.map(\.thinned)))
        }

        /// Reads the lines past `endOffset`; returns the points each key got, smoothed.
        mutating func advance(_ file: borrowing RegularFile, collectingNew: Bool) throws(FileSystemError)
            -> [String: MinMaxDownsampler]
        {
            var fresh: [String: MinMaxDownsampler] = [:]
            let start = endOffset
            // Each field's state index by its place in the last record: like lines name the
            // same keys in the same order (as the same strings), and comparing a key with the
            // one last seen at its place costs less than hashing it.
            var indexByPlace: [(key: String, index: Int)] = []
            let (end, skipped) = try ScalarLines.read(file, from: start) { record in
                for (place, (key, value)) in record.values.enumerated() {
                    let index: Int
                    if place < indexByPlace.count, indexByPlace[place].key == key {
                        index = indexByPlace[place].index
                    } else if let known = keyIndex[key] {
                        index = known
                        Self.remember(key, index, at: place, in: &indexByPlace)
                    } else {
                        guard keys.count < ScalarSeriesStore.maximumKeys else {
                            droppedKeys += 1
                            continue
                        }
                        index = keys.count
                        keyIndex[key] = index
                        keys.append(key)
                        states.append((MinMaxDownsampler(limit: limit), ExponentialSmoother(weight: weight)))
                        Self.remember(key, index, at: place, in: &indexByPlace)
                    }
                    let point = SeriesPoint(
                        step: record.step, value: value, smoothed: states[index].smoother.next(value))
                    states[index].thinned.add(point)
                    if collectingNew { fresh[key, default: MinMaxDownsampler(limit: limit)].add(point) }
                }
            }
            skippedLines += skipped
            endOffset = end
            if end != start {
                checkpoints.append((end, smoothers))
                if checkpoints.count > ScalarSeriesStore.checkpointCount { checkpoints.removeFirst() }
            }
            return fresh
        }

        private static func remember(
            _ key: String, _ index: Int, at place: Int, in indexByPlace: inout [(key: String, index: Int)]
        ) {
            if place < indexByPlace.count {
                indexByPlace[place] = (key, index)
            } else if place == indexByPlace.count {
                indexByPlace.append((key, index))
            }
        }
    }

    private final class EntryBox: Sendable {
        let state = Mutex<Entry?>(nil)
        let lastUse = Atomic<Int>(0)
    }

    private let entries = Mutex<(boxes: [EntryKey: EntryBox], clock: Int)>(([:], 0))

    init() {}

    private func box(for key: EntryKey) -> EntryBox {
        entries.withLock { table in
            table.clock += 1
            let box = table.boxes[key] ?? EntryBox()
            box.lastUse.store(table.clock, ordering: .relaxed)
            table.boxes[key] = box
            if table.boxes.count > Self.maximumEntries,
                let oldest = table.boxes.min(by: {
                    $0.value.lastUse.load(ordering: .relaxed) < $1.value.lastUse.load(ordering: .relaxed)
                })
            {
                table.boxes[oldest.key] = nil
            }
            return box
        }
    }

    /// The series of `file` (at `path`, the cache's name for it) from `offset` on, smoothed with
    /// `weight`, each key thinned to at most `limit` points.
    func series(
        of file: borrowing RegularFile, path: String, from offset: Int, weight: Double, limit: Int
    ) throws(FileSystemError) -> ScalarSeries {
        let identity = file.identity
        let box = box(for: EntryKey(path: path, weight: weight, limit: limit))
        return try box.state.withLock { cached throws(FileSystemError) -> ScalarSeries in
            var entry = cached ?? Entry(identity: identity, weight: weight, limit: limit)
            if entry.device != identity.device || entry.inode != identity.inode
                || entry.endOffset > identity.size
            {
                entry = Entry(identity: identity, weight: weight, limit: limit)
            }
            let caughtUp = offset > 0 && offset == entry.endOffset
            let fresh = try entry.advance(file, collectingNew: caughtUp)
            defer { cached = entry }
            if caughtUp {
                return answer(entry, offset: offset, reset: false, series: fresh)
            }
            if offset > 0, let checkpoint = entry.checkpoints.last(where: { $0.offset == offset }) {
                let series = try Self.reread(
                    file, from: offset, to: entry.endOffset, smoothers: checkpoint.smoothers, weight: weight,
                    limit: limit, keys: Set(entry.keys))
                return answer(entry, offset: offset, reset: false, series: series)
            }
            return answer(
                entry, offset: 0, reset: offset != 0, series: entry.thinned)
        }
    }

    private func answer(_ entry: Entry, offset: Int, reset: Bool, series: [String: MinMaxDownsampler])
        -> ScalarSeries
    {
        ScalarSeries(
            offset: offset, nextOffset: entry.endOffset, reset: reset, keys: entry.keys,
            series: series.mapValues { ScalarSeries.KeySeries(count: $0.count, points: $0.points) },
            skippedLines: entry.skippedLines, droppedKeys: entry.droppedKeys)
    }

    /// The points between two answered offsets, continuing the smoothers saved at the first.
    private static func reread(
        _ file: borrowing RegularFile, from offset: Int, to end: Int,
        smoothers: [String: ExponentialSmoother], weight: Double, limit: Int, keys: Set<String>
    ) throws(FileSystemError) -> [String: MinMaxDownsampler] {
        var smoothers = smoothers
        var series: [String: MinMaxDownsampler] = [:]
        _ = try ScalarLines.read(file, from: offset, until: end) { record in
            for (key, value) in record.values where keys.contains(key) {
                var smoother = smoothers[key] ?? ExponentialSmoother(weight: weight)
                let point = SeriesPoint(step: record.step, value: value, smoothed: smoother.next(value))
                smoothers[key] = smoother
                series[key, default: MinMaxDownsampler(limit: limit)].add(point)
            }
        }
        return series
    }
}
