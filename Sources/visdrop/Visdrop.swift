import ArgumentParser
import Logging
import ServiceLifecycle
import VisdropAgent

#if canImport(Glibc)
    import Glibc
#endif

/// The `visdrop` command: argument parsing and logging set-up only; the work is in VisdropAgent.
@main
struct Visdrop: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "File dropped .npy arrays, scalar JSON and configs in mmengine LocalVisBackend layout.",
        discussion: """
            Exit codes: 0 success; 1 some files were rejected (ingest); 2 some files could not be \
            written and were kept (ingest); 3 the agent could not start; 4 the agent stopped on its \
            own (its watcher died; the log says why); 64 bad arguments.
            """,
        version: visdropVersion,
        subcommands: [Watch.self, Ingest.self, Serve.self],
        defaultSubcommand: Watch.self
    )
}

/// The version `visdrop --version` prints.
let visdropVersion = "0.1.0"

/// Bootstraps logging to standard error at `level` (once per process, here only) and returns
/// the command's logger.
func bootstrapLogging(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    return Logger(label: "visdrop")
}

/// Options shared by `watch` and `ingest`; each overrides the configuration file.
struct AgentArguments: ParsableArguments {
    @Option(name: .long, help: "A YAML or JSON file of options (keys are these options' long names).")
    var config: String?

    @Option(name: .long, help: "The drop folder to watch. (default: drop)")
    var drop: String?

    @Option(
        name: .long,
        help: "The output folder: a LocalVisBackend save_dir per drop subfolder. (default: vis_data)")
    var out: String?

    @Option(name: .long, help: "Move filed sources here instead of removing them. (default: remove)")
    var archive: String?

    @Option(
        name: .customLong("quiet-ms"),
        help:
            "Quiet time before a file written in place (not renamed in) is taken. (default: 50)"
    )
    var quietMilliseconds: Int?

    @Option(
        name: .customLong("settle-ms"),
        help:
            "Quiet time before a file is taken when the kernel cannot say whether a writer has it open, or when a scalar file's last line stays cut. (default: 1000)"
    )
    var settleMilliseconds: Int?

    @Option(
        name: .customLong("max-file-bytes"),
        help: "Reject dropped files larger than this. (default: 268435456)")
    var maximumFileBytes: Int?

    @Option(
        name: .customLong("max-config-bytes"),
        help: "Reject dropped configs (.py, config.json, .yaml) larger than this. (default: 1048576)")
    var maximumConfigBytes: Int?

    @Option(
        name: .customLong("max-scalar-bytes"),
        help: "Reject dropped scalar files (.json, .jsonl) larger than this. (default: 4194304)")
    var maximumScalarBytes: Int?

    @Option(
        name: .long, help: "Flush outputs to disk before removing a source: true or false. (default: true)")
    var durable: Bool?

    @Option(
        help: "Threads decoding and encoding images at once; 0 = one per processor, at most 8. (default: 0)")
    var workers: Int?

    @Option(name: .customLong("png-compression"), help: "zlib level of written PNGs, 0-9. (default: 1)")
    var pngCompression: Int?

    @Option(name: .customLong("img-save-dir"), help: "mmengine's img_save_dir. (default: vis_image)")
    var imageSaveDirectory: String?

    @Option(name: .customLong("config-save-file"), help: "mmengine's config_save_file. (default: config.py)")
    var configSaveFile: String?

    @Option(
        name: .customLong("scalar-save-file"), help: "mmengine's scalar_save_file. (default: scalars.json)")
    var scalarSaveFile: String?

    @Option(
        name: .customLong("watch-mode"),
        help:
            "auto (inotify on local file systems; network, cluster and FUSE ones polled), inotify, or poll. (default: auto)"
    )
    var watchMode: String?

    @Option(
        name: .customLong("poll-interval"),
        help: "How often polled folders are looked at: 500ms, 2s, 1m … (default: 1s)")
    var pollInterval: String?

    @Option(
        name: .customLong("settle-timeout"),
        help:
            "How long a polled file that stays incomplete for its kind and unchanged waits before it is set aside. (default: 10m)"
    )
    var settleTimeout: String?

    @Option(
        name: .customLong("rescan-interval"),
        help:
            "How often a full scan files what events missed; 0 turns it off (SIGHUP asks for one). (default: 5m)"
    )
    var rescanInterval: String?

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical. (default: info)")
    var logLevel: String?

    func validate() throws {
        // The bounds are the configuration file's (one table, in AgentOptions).
        for (name, value) in [
            ("quiet-ms", quietMilliseconds), ("settle-ms", settleMilliseconds),
            ("max-file-bytes", maximumFileBytes), ("max-config-bytes", maximumConfigBytes),
            ("max-scalar-bytes", maximumScalarBytes), ("workers", workers),
            ("png-compression", pngCompression),
        ] {
            if let value, let violation = AgentOptions.boundsViolation(of: name, value) {
                throw ValidationError("--\(name) \(violation)")
            }
        }
        if let watchMode, AgentOptions.WatchMode(rawValue: watchMode) == nil {
            throw ValidationError("--watch-mode must be one of auto, inotify, poll")
        }
        for (name, value) in [
            ("poll-interval", pollInterval), ("settle-timeout", settleTimeout),
            ("rescan-interval", rescanInterval),
        ] {
            if let value, case .failure(let error) = AgentOptions.duration(of: name, value) {
                throw ValidationError("--\(name) \(error)")
            }
        }
        if let logLevel, Logger.Level(rawValue: logLevel) == nil {
            throw ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    /// The configuration file's options (or the defaults) with these arguments on top.
    func options() throws -> AgentOptions {
        var options =
            try config.map { path throws(AgentSetupError) in try AgentOptions.load(configurationFile: path) }
            ?? AgentOptions()
        if let drop { options.dropDirectory = drop }
        if let out { options.outputDirectory = out }
        if let archive { options.archiveDirectory = archive }
        if let quietMilliseconds { options.quietMilliseconds = quietMilliseconds }
        if let settleMilliseconds { options.settleMilliseconds = settleMilliseconds }
        if let maximumFileBytes { options.maximumFileBytes = maximumFileBytes }
        if let maximumConfigBytes { options.maximumConfigBytes = maximumConfigBytes }
        if let maximumScalarBytes { options.maximumScalarBytes = maximumScalarBytes }
        if let durable { options.durable = durable }
        if let workers { options.workers = workers }
        if let pngCompression { options.pngCompressionLevel = pngCompression }
        if let imageSaveDirectory { options.imageSaveDirectory = imageSaveDirectory }
        if let configSaveFile { options.configSaveFile = configSaveFile }
        if let scalarSaveFile { options.scalarSaveFile = scalarSaveFile }
        if let watchMode, let mode = AgentOptions.WatchMode(rawValue: watchMode) { options.watchMode = mode }
        let durations: [(String, String?, WritableKeyPath<AgentOptions, Int>)] = [
            ("poll-interval", pollInterval, \.pollIntervalMilliseconds),
            ("settle-timeout", settleTimeout, \.settleTimeoutMilliseconds),
            ("rescan-interval", rescanInterval, \.rescanIntervalMilliseconds),
        ]
        // Each was checked in `validate()`.
        for (name, text, option) in durations {
            if let text, case .success(let milliseconds) = AgentOptions.duration(of: name, text) {
                options[keyPath: option] = milliseconds
            }
        }
        if let logLevel, let level = Logger.Level(rawValue: logLevel) { options.logLevel = level }
        return options
    }

    /// Loads the options and bootstraps logging to standard error at the chosen level.
    func bootstrap() throws -> (AgentOptions, Logger) {
        let options: AgentOptions
        do {
            options = try self.options()
        } catch let error as AgentSetupError {
            printError(error.description)
            throw ExitCode(3)
        }
        ProcessMemory.returnLargeBuffersWhenFreed()
        return (options, bootstrapLogging(level: options.logLevel))
    }
}

/// Prints a message for the user to standard error.
func printError(_ message: String) {
    let bytes = Array("visdrop: \(message)\n".utf8)
    _ = bytes.withUnsafeBytes { write(STDERR_FILENO, $0.baseAddress, $0.count) }
}
