internal import CLinuxShim

/// The agent's memory policy, set once by the executable before it files anything.
public enum ProcessMemory {
    /// Buffers of at least this many bytes are mapped on their own and given back when freed.
    public static let largeBufferBytes: Int32 = 1 << 20

    /// Gives every large buffer (an image's array and its PNG, megabytes each) back to the system
    /// as soon as it is freed.
    ///
    /// By default glibc raises its mapping threshold to the largest buffer freed so far, after
    /// which image buffers come from each worker thread's heap and stay there: measured with the
    /// benchmark's 1920×1080 images after its other workloads, the peak resident size was 50.2 MB
    /// with the default and 47.7 MB with the threshold fixed at 1 MiB.
    public static func returnLargeBuffersWhenFreed() {
        _ = visdrop_set_mmap_threshold(largeBufferBytes)
    }
}
