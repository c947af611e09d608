#if canImport(Glibc)
    import Glibc
#endif

/// A non-blocking inotify descriptor with its watches; events are read in batches.
///
/// The benchmark sees outputs and source removals through inotify rather than by polling,
/// so it sleeps in the kernel while the agent works and takes almost no CPU from it.
final class Inotify {
    /// One event: which watch, what happened, and the entry's name in the watched folder.
    struct Event {
        var watch: Int32
        var mask: UInt32
        var name: String
    }

    private let descriptor: Int32
    private var buffer = [UInt8](repeating: 0, count: 256 * 1024)

    init() throws(BenchError) {
        descriptor = inotify_init1(Int32(IN_NONBLOCK | IN_CLOEXEC))
        guard descriptor >= 0 else { throw .system("inotify_init1", errno: errno) }
    }

    deinit { close(descriptor) }

    /// Watches `directory` for the events in `mask`; returns the watch descriptor.
    func watch(_ directory: String, mask: UInt32) throws(BenchError) -> Int32 {
        let watch = inotify_add_watch(descriptor, directory, mask)
        guard watch >= 0 else { throw .system("inotify_add_watch \(directory)", errno: errno) }
        return watch
    }

    /// Blocks until an event is available or `milliseconds` pass.
    func wait(milliseconds: Int32) {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        _ = poll(&entry, 1, milliseconds)
    }

    /// Reads every event queued now (never blocks) and hands each to `handle`.
    func readAvailable(_ handle: (Event) -> Void) {
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            guard count > 0 else { return }
            buffer.withUnsafeBytes { bytes in
                var offset = 0
                let headerSize = MemoryLayout<inotify_event>.size
                while offset + headerSize <= count {
                    let watch = bytes.loadUnaligned(fromByteOffset: offset, as: Int32.self)
                    let mask = bytes.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)
                    let length = Int(bytes.loadUnaligned(fromByteOffset: offset + 12, as: UInt32.self))
                    let nameBytes = bytes[(offset + headerSize)..<(offset + headerSize + length)]
                    let name = String(decoding: nameBytes.prefix { $0 != 0 }, as: UTF8.self)
                    handle(Event(watch: watch, mask: mask, name: name))
                    offset += headerSize + length
                }
            }
        }
    }

    /// Discards every queued event.
    func drain() { readAvailable { _ in } }
}
