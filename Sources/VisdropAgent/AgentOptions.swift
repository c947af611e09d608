public import Logging
import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Every setting of the agent, with its default (the README and `config/visdrop.yaml` list them).
public struct AgentOptions: Sendable, Equatable {
    /// The folder training scripts drop files into (`drop`).
    public var dropDirectory: String = "drop"
    /// The folder the LocalVisBackend save_dirs are written to (`out`).
    public var outputDirectory: String = "vis_data"
    /// Where filed sources are moved instead of being removed; nil removes them (`archive`).
    public var archiveDirectory: String? = nil
    /// How long a file written in place must be quiet (no close, no new name) before it is taken
    /// (`quiet-ms`); a file renamed in is taken at once.
    public var quietMilliseconds: Int = 50
    /// How long a file must be unchanged before it is taken when the kernel cannot say whether a
    /// writer still has it open, or when a scalar file's last line stays cut (`settle-ms`).
    public var settleMilliseconds: Int = 1000
    /// The largest dropped file that is read; larger ones are rejected (`max-file-bytes`).
    public var maximumFileBytes: Int = 256 << 20
    /// The largest dropped config (`.py`, `config.json`, `.yaml`) that is read (`max-config-bytes`).
    public var maximumConfigBytes: Int = 1 << 20
    /// The largest dropped scalar file (`.json`, `.jsonl`) that is read (`max-scalar-bytes`).
    public var maximumScalarBytes: Int = 4 << 20
    /// Flush outputs to disk before removing a source (`durable`); turn off only for scratch runs.
    public var durable: Bool = true
    /// How many threads decode and encode images at once (`workers`); 0 means one per processor
    /// online, at most 8. Scalar lines and configs keep their drop order whatever the number.
    public var workers: Int = 0
    /// The zlib level of written PNGs, 0 to 9 (`png-compression`).
    public var pngCompressionLevel: Int = 1
    /// mmengine's `img_save_dir` (`img-save-dir`).
    public var imageSaveDirectory: String = "vis_image"
    /// mmengine's `config_save_file` (`config-save-file`).
    public var configSaveFile: String = "config.py"
    /// mmengine's `scalar_save_file` (`scalar-save-file`).
    public var scalarSaveFile: String = "scalars.json"
    /// How the drop tree is watched (`watch-mode`).
    public var watchMode: WatchMode = .auto
    /// How often polled folders are looked at (`poll-interval`), in milliseconds.
    public var pollIntervalMilliseconds: Int = 1_000
    /// How long a polled file that stays incomplete for its kind (a cut `.npy`, JSON that does not
    /// parse) and unchanged waits before it is set aside with its reason (`settle-timeout`), in
    /// milliseconds.
    public var settleTimeoutMilliseconds: Int = 600_000
    /// How often a full scan of the drop tree files what events missed (`rescan-interval`), in
    /// milliseconds; 0 turns it off (`SIGHUP` still asks for one).
    public var rescanIntervalMilliseconds: Int = 300_000
    /// The least severe log level printed (`log-level`).
    public var logLevel: Logger.Level = .info

    /// How the drop tree is watched: where inotify sees every change, and where it is polled.
    public enum WatchMode: String, Sendable, Equatable, CaseIterable {
        /// inotify on local file systems; network, cluster and FUSE file systems, and folders
        /// inotify has no watch left for, are polled.
        case auto
        /// inotify everywhere (folders it has no watch left for are still polled).
        case inotify
        /// Everything polled.
        case poll
    }

    /// `settleMilliseconds` in nanoseconds, the scale of file times and the wall clock.
    var settleNanoseconds: Int64 { Int64(settleMilliseconds) * 1_000_000 }

    /// `settleTimeoutMilliseconds` in nanoseconds.
    var settleTimeoutNanoseconds: Int64 { Int64(settleTimeoutMilliseconds) * 1_000_000 }

    /// The number of image workers `workers` stands for.
    public var resolvedWorkers: Int {
        workers > 0 ? workers : max(1, min(8, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
    }

    /// Creates options with every default.
    public init() {}

    /// The folder for the agent's own state (journal, wake-up file): `OUT/.visdrop`.
    public var stateDirectory: String { Path.join(outputDirectory, ".visdrop") }

    /// The name of the folder in `DROP` that rejected files are moved to.
    public static let rejectedFolderName = ".rejected"

    /// The folder rejected files are moved to: `DROP/.rejected`.
    public var rejectedDirectory: String { Path.join(dropDirectory, Self.rejectedFolderName) }
}
