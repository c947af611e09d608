import Dispatch
import Synchronization

/// Carries watch events from the watcher thread (and delayed re-checks) to the filing thread.
///
/// The filer takes everything that is ready in one go, which is what lets it commit many files
/// with one flush. Events can be scheduled for later (retries, settle checks); `stop()` ends
/// the consumer's loop.
final class EventQueue: Sendable {
    private struct State {
        var ready: [WatchEvent] = []
        var delayed: [(due: UInt64, event: WatchEvent)] = []
        var stopped = false
        /// Until the backlog is in (`open(first:)`), nothing is handed out.
        var opened = false

        /// Removes and returns up to `limit` of the ready events, oldest first.
        mutating func takeReady(upTo limit: Int) -> [WatchEvent] {
            let count = min(limit, ready.count)
            defer { ready.removeFirst(count) }
            return Array(ready.prefix(count))
        }
    }

    private let state = Mutex(State())
    /// Rung after every change; extra rings only cause an extra look at the state.
    private let doorbell = DispatchSemaphore(value: 0)

    /// Adds an event to be handled as soon as possible.
    func push(_ event: WatchEvent) {
        state.withLock { $0.ready.append(event) }
        doorbell.signal()
    }

    /// Puts `events` (the backlog) before every event already waiting and starts handing events out.
    func open(first events: [WatchEvent]) {
        state.withLock {
            $0.ready.insert(contentsOf: events, at: 0)
            $0.opened = true
        }
        doorbell.signal()
    }

    /// Adds an event to be handled once `nanoseconds` have passed.
    func push(_ event: WatchEvent, afterNanoseconds nanoseconds: UInt64) {
        let due = DispatchTime.now().uptimeNanoseconds + nanoseconds
        state.withLock { $0.delayed.append((due, event)) }
        doorbell.signal()
    }

    /// Ends `takeBatch` for good: it returns nil from now on.
    func stop() {
        state.withLock { $0.stopped = true }
        doorbell.signal()
    }

    /// How long the queue must stay quiet after waking the consumer before it hands out a batch.
    let lingerQuietNanoseconds: UInt64
    /// The longest the consumer lingers for more events after waking.
    let lingerLimitNanoseconds: UInt64
    /// How soon a second event must follow a lone one that woke the consumer for the two to be
    /// taken as a burst's start (and the queue lingered on).
    let burstGapNanoseconds: UInt64

    /// Creates a queue whose consumer, once woken, lingers until events are quiet for
    /// `lingerQuietNanoseconds` (0.2 ms), at most `lingerLimitNanoseconds` (5 ms), unless it
    /// woke for a lone event that no other followed within `burstGapNanoseconds` (0.05 ms).
    init(
        lingerQuietNanoseconds: UInt64 = 200_000, lingerLimitNanoseconds: UInt64 = 5_000_000,
        burstGapNanoseconds: UInt64 = 50_000
    ) {
        self.lingerQuietNanoseconds = lingerQuietNanoseconds
        self.lingerLimitNanoseconds = lingerLimitNanoseconds
        self.burstGapNanoseconds = burstGapNanoseconds
    }

    /// `batch` and the events that follow it closely (see `takeBatch`), up to `limit` in all.
    private func lingered(_ batch: [WatchEvent], limit: Int) -> [WatchEvent] {
        var batch = batch
        let deadline = DispatchTime.now().uptimeNanoseconds + lingerLimitNanoseconds
        // A lone event is a burst's start only when the next one follows at once.
        var quiet =
            batch.count > 1 ? lingerQuietNanoseconds : min(lingerQuietNanoseconds, burstGapNanoseconds)
        while batch.count < limit {
            let now = DispatchTime.now().uptimeNanoseconds
            guard now < deadline else { break }
            let quietUntil = min(deadline, now + quiet)
            quiet = lingerQuietNanoseconds
            guard doorbell.wait(timeout: DispatchTime(uptimeNanoseconds: quietUntil)) == .success else {
                break
            }
            let more: [WatchEvent]? = state.withLock { state in
                state.stopped ? nil : state.takeReady(upTo: limit - batch.count)
            }
            guard let more else { break }
            batch += more
        }
        return batch
    }

    /// Waits for events and returns up to `limit` of them, oldest first; nil once stopped.
    ///
    /// Group commit: when the consumer had to wait, the first event of a burst wakes it, and it
    /// takes the batch only once no event came for `lingerQuietNanoseconds` (at most
    /// `lingerLimitNanoseconds` after waking). A burst of files is then filed as one batch with
    /// one round of flushes, instead of a first batch of the few files renamed before it woke
    /// up, whose flushes the rest would wait behind. A lone event that no other follows within
    /// `burstGapNanoseconds` is handed out then: a file dropped on its own waits 0.05 ms, not the
    /// whole quiet time (the watcher reports a burst's events as it reads them, a few
    /// microseconds apart; a writer renaming in a loop drops one every 20–30 µs).
    func takeBatch(limit: Int) -> [WatchEvent]? {
        var waited = false
        while true {
            let now = DispatchTime.now().uptimeNanoseconds
            let (batch, nextDue): ([WatchEvent]?, UInt64?) = state.withLock { state in
                if state.stopped { return (nil, nil) }
                if !state.opened { return ([], nil) }
                if !state.delayed.isEmpty {
                    // Due events are handed out in the order they fell due (a quiet time that was
                    // set again later falls due later), whatever the order they were pushed in.
                    var due: [(due: UInt64, event: WatchEvent)] = []
                    var waiting: [(due: UInt64, event: WatchEvent)] = []
                    for entry in state.delayed {
                        if entry.due <= now { due.append(entry) } else { waiting.append(entry) }
                    }
                    due.sort { $0.due < $1.due }
                    state.ready += due.map(\.event)
                    state.delayed = waiting
                }
                let nextDue = state.delayed.map(\.due).min()
                return (state.takeReady(upTo: limit), nextDue)
            }
            guard let batch else { return nil }
            if !batch.isEmpty {
                if waited, batch.count < limit { return lingered(batch, limit: limit) }
                return batch
            }
            waited = true
            if let nextDue {
                _ = doorbell.wait(timeout: DispatchTime(uptimeNanoseconds: max(nextDue, now + 1)))
            } else {
                doorbell.wait()
            }
        }
    }
}
