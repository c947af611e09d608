#if canImport(Glibc)
    import Glibc
#endif

/// Starts a detached POSIX thread for a blocking loop, off Swift's cooperative pool.
///
/// inotify reads block in the kernel; running them on a dedicated thread keeps the
/// concurrency runtime's few threads free for filing work.
enum WatcherThread {
    private final class Body {
        let work: @Sendable () -> Void
        init(_ work: @escaping @Sendable () -> Void) { self.work = work }
    }

    /// Runs `work` on a new detached thread.
    static func start(_ work: @escaping @Sendable () -> Void) throws(DropWatcher.StartError) {
        let body = Unmanaged.passRetained(Body(work)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
                body.work()
                return nil
            }, body)
        guard result == 0 else {
            Unmanaged<Body>.fromOpaque(body).release()
            throw DropWatcher.StartError(description: "cannot start the watcher thread (error \(result))")
        }
        pthread_detach(thread)
    }
}
