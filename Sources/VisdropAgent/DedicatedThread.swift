internal import CLinuxShim

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
        let name: String
        let niceness: Int32
        let work: () -> Void
        init(name: String, niceness: Int32, _ work: sending @escaping () -> Void) {
            self.name = name
            self.niceness = niceness
            self.work = work
        }
    }

    /// Runs `work` on a new detached thread named `vd-` and `role` (as `top -H` and `perf` show
    /// it; Linux keeps 15 bytes); `role` names it in the error, too. A positive `niceness` makes
    /// the thread yield the processor to the rest of the agent and to other programs.
    ///
    /// `work` is `sending`: what it captures belongs to the new thread from now on.
    static func start(_ role: String, niceness: Int32 = 0, _ work: sending @escaping () -> Void)
        throws(StartError)
    {
        let body = Unmanaged.passRetained(Body(name: "vd-\(role)", niceness: niceness, work)).toOpaque()
        var thread = pthread_t()
        let result = pthread_create(
            &thread, nil,
            { argument in
                guard let argument else { return nil }
                let body = Unmanaged<Body>.fromOpaque(argument).takeRetainedValue()
                _ = visdrop_name_this_thread(body.name)
                if body.niceness != 0 { _ = visdrop_set_this_thread_nice(body.niceness) }
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
