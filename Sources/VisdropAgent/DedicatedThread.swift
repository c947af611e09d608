#if canImport(Glibc)
    import Glibc
#endif

/// Starts a detached POSIX thread for a blocking loop, off Swift's cooperative pool.
///
/// inotify reads block in the kernel, and filing blocks in file-system calls; running each on a
/// dedicated thread keeps the concurrency runtime's few threads free.
enum DedicatedThread {
    /// The thread could not be created.
    struct StartError: Error, CustomStringConvertible {
        let description: String
    }

    private final class Body {
        let work: () -> Void
        init(_ work: sending @escaping () -> Void) { self.work = work }
    }

    /// Runs `work` on a new detached thread; `role` names it in the error.
    ///
    /// `work` is `sending`: what it captures belongs to the new thread from now on.
    static func start(_ role: String, _ work: sending @escaping () -> Void) throws(StartError) {
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
            throw StartError(description: "cannot start the \(role) thread (error \(result))")
        }
        pthread_detach(thread)
    }
}
