/// One point of a scalar series as the API sends it.
struct SeriesPoint: Sendable, Equatable {
    /// The record's `step`.
    var step: Double
    /// The value as written.
    var value: Double
    /// The smoothed value (`ExponentialSmoother`), computed on every raw point.
    var smoothed: Double
}

/// Thins a series to at most `limit` points while keeping each stretch's lowest and highest raw
/// value (and any value that is not a number), so a spike or a NaN is never smoothed away.
///
/// It streams: points are added one at a time in series order and memory stays bounded by the
/// limit. The series is cut into buckets of equal size that double (two neighbours merge) when
/// there are too many; each bucket keeps its minimum, maximum and first NaN. The first and the
/// last point are always kept.
struct MinMaxDownsampler: Sendable {
    private struct Bucket: Sendable {
        var count: Int
        var minimum: (index: Int, point: SeriesPoint)
        var maximum: (index: Int, point: SeriesPoint)
        var notANumber: (index: Int, point: SeriesPoint)?

        init(index: Int, point: SeriesPoint) {
            count = 1
            minimum = (index, point)
            maximum = (index, point)
            notANumber = point.value.isNaN ? (index, point) : nil
        }

        mutating func add(index: Int, point: SeriesPoint) {
            count += 1
            if point.value.isNaN {
                if notANumber == nil { notANumber = (index, point) }
                return
            }
            if minimum.point.value.isNaN || point.value < minimum.point.value { minimum = (index, point) }
            if maximum.point.value.isNaN || point.value > maximum.point.value { maximum = (index, point) }
        }

        mutating func merge(_ other: Bucket) {
            count += other.count
            if other.minimum.point.value < minimum.point.value || minimum.point.value.isNaN {
                minimum = other.minimum
            }
            if other.maximum.point.value > maximum.point.value || maximum.point.value.isNaN {
                maximum = other.maximum
            }
            if notANumber == nil { notANumber = other.notANumber }
        }
    }

    /// The most points `points` returns (at least 4).
    let limit: Int
    private var buckets: [Bucket] = []
    private var bucketSize = 1
    private var first: SeriesPoint?
    private var last: (index: Int, point: SeriesPoint)?
    /// Every point, while there are at most `limit` of them.
    private var everyPoint: [SeriesPoint] = []
    /// How many points were added.
    private(set) var count = 0

    init(limit: Int) {
        self.limit = max(4, limit)
    }

    /// Each bucket gives up to three points; the first and last point are added on top.
    private var bucketLimit: Int { max(1, (limit - 2) / 3) }

    mutating func add(_ point: SeriesPoint) {
        let index = count
        count += 1
        if count <= limit {
            everyPoint.append(point)
        } else if !everyPoint.isEmpty {
            everyPoint = []
        }
        if first == nil { first = point }
        last = (index, point)
        if let lastBucket = buckets.indices.last, buckets[lastBucket].count < bucketSize {
            buckets[lastBucket].add(index: index, point: point)
            return
        }
        buckets.append(Bucket(index: index, point: point))
        if buckets.count > bucketLimit {
            var merged: [Bucket] = []
            merged.reserveCapacity(buckets.count / 2 + 1)
            var position = 0
            while position < buckets.count {
                var bucket = buckets[position]
                if position + 1 < buckets.count { bucket.merge(buckets[position + 1]) }
                merged.append(bucket)
                position += 2
            }
            buckets = merged
            bucketSize *= 2
        }
    }

    /// The kept points in series order: every point while there are at most `limit`.
    var points: [SeriesPoint] {
        if count <= limit { return everyPoint }
        var kept: [(index: Int, point: SeriesPoint)] = []
        kept.reserveCapacity(buckets.count * 3 + 2)
        if let first { kept.append((0, first)) }
        for bucket in buckets {
            var chosen = [bucket.minimum, bucket.maximum]
            if let notANumber = bucket.notANumber { chosen.append(notANumber) }
            chosen.sort { $0.index < $1.index }
            kept.append(contentsOf: chosen)
        }
        if let last { kept.append(last) }
        kept.sort { $0.index < $1.index }
        var result: [SeriesPoint] = []
        result.reserveCapacity(kept.count)
        var previous = -1
        for (index, point) in kept where index != previous {
            result.append(point)
            previous = index
        }
        return result
    }
}
