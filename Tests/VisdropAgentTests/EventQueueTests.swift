import Foundation
import Synchronization
import Testing

@testable import VisdropAgent

/// The queue between the watcher and the filer: what one `takeBatch` hands out.
///
/// Lingering is checked with quiet times far longer than the gaps between pushes (1 s against
/// 20 ms), so the outcome does not depend on how fast the machine is.
@Suite("event queue")
struct EventQueueTests {
    private static func event(_ index: Int) -> WatchEvent { .completed(relativePath: "run/m_\(index).json") }

    /// Starts `takeBatch` on another thread and returns a way to wait for its result.
    private static func takeInBackground(_ queue: EventQueue, limit: Int = 4096) -> () -> [WatchEvent]? {
        let result = Mutex<[WatchEvent]??>(nil)
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let batch = queue.takeBatch(limit: limit)
            result.withLock { $0 = .some(batch) }
            done.signal()
        }
        return {
            guard done.wait(timeout: .now() + 60) == .success else { return nil }
            return result.withLock { $0 } ?? nil
        }
    }

    /// Opens `queue`, starts a consumer on another thread and returns once it is waiting (see
    /// `takeInBackground`).
    private static func waitingConsumer(_ queue: EventQueue) -> () -> [WatchEvent]? {
        queue.open(first: [])
        let batch = takeInBackground(queue)
        Thread.sleep(forTimeInterval: 0.2)
        return batch
    }

    @Test("events already waiting are handed out at once, oldest first, up to the limit")
    func waitingEventsAreTakenAtOnce() {
        let queue = EventQueue(lingerQuietNanoseconds: 60_000_000_000, lingerLimitNanoseconds: 60_000_000_000)
        queue.open(first: [])
        for index in 0..<5 { queue.push(Self.event(index)) }
        #expect(queue.takeBatch(limit: 3) == (0..<3).map(Self.event))
        #expect(queue.takeBatch(limit: 3) == (3..<5).map(Self.event))
    }

    @Test("a burst that wakes the filer is handed out whole, once the queue is quiet")
    func burstIsOneBatch() throws {
        let queue = EventQueue(
            lingerQuietNanoseconds: 1_000_000_000, lingerLimitNanoseconds: 60_000_000_000,
            burstGapNanoseconds: 1_000_000_000)
        let batch = Self.waitingConsumer(queue)
        for index in 0..<5 {
            queue.push(Self.event(index))
            Thread.sleep(forTimeInterval: 0.02)
        }
        #expect(try #require(batch()) == (0..<5).map(Self.event))
    }

    @Test(
        "a lone event that wakes the filer, with none following within the burst gap, is handed out without the quiet time"
    )
    func loneEventIsNotLingeredOn() throws {
        // A quiet time of a minute: lingering would take the second event too, pushed 0.5 s later.
        let queue = EventQueue(
            lingerQuietNanoseconds: 60_000_000_000, lingerLimitNanoseconds: 60_000_000_000,
            burstGapNanoseconds: 50_000_000)
        let batch = Self.waitingConsumer(queue)
        queue.push(Self.event(0))
        Thread.sleep(forTimeInterval: 0.5)
        queue.push(Self.event(1))
        #expect(try #require(batch()) == [Self.event(0)])
        #expect(queue.takeBatch(limit: 10) == [Self.event(1)])
    }

    @Test("lingering ends at its limit even while events keep coming")
    func lingeringIsBounded() throws {
        let queue = EventQueue(
            lingerQuietNanoseconds: 1_000_000_000, lingerLimitNanoseconds: 100_000_000,
            burstGapNanoseconds: 1_000_000_000)
        let batch = Self.waitingConsumer(queue)
        // Three seconds of events 10 ms apart: a batch taken after 0.1 s holds far fewer.
        for index in 0..<300 {
            queue.push(Self.event(index))
            Thread.sleep(forTimeInterval: 0.01)
        }
        let taken = try #require(batch())
        #expect(taken.count > 1, "it lingered: events 10 ms apart, a quiet time of 1 s")
        #expect(taken.count < 150, "lingered \(taken.count) events")
        #expect(taken == (0..<taken.count).map(Self.event))
    }
}
