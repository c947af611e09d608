import ArgumentParser
import Logging
import ServiceLifecycle
import VisdropViewer

/// `visdrop serve`: the read-only web view of a tree of save_dirs, until SIGINT or SIGTERM.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve a live, read-only web view of a tree of save_dirs: curves, images, configs.",
        discussion: """
            DIR may be visdrop's output folder or an mmengine work_dir (its <timestamp>/vis_data \
            folders are found). Any bind address other than loopback needs a token; without \
            --token one is generated and printed in the start line's link.
            """)

    @Option(name: .long, help: "The folder to serve (read-only). (default: vis_data)")
    var out: String = "vis_data"

    @OptionGroup var server: ServerArguments

    @Option(
        name: .customLong("log-level"),
        help: "trace, debug, info, notice, warning, error or critical. (default: info)")
    var logLevel: String = "info"

    func validate() throws {
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        let logger = bootstrapLogging(level: Logger.Level(rawValue: logLevel) ?? .info)
        let viewer = try server.viewer(serving: out, host: server.host, port: server.port, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: viewer.service())], gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("stopped: cannot serve on \(server.host):\(server.port): \(error)")
            throw ExitCode(3)
        }
    }
}

/// The server options `serve` takes (`watch --serve` takes its address in one option).
struct ServerArguments: ParsableArguments {
    @Option(name: .long, help: "The address to bind; any but loopback needs a token. (default: 127.0.0.1)")
    var host: String = "127.0.0.1"

    @Option(name: .long, help: "The TCP port; 0 picks a free one. (default: 6007)")
    var port: Int = 6007

    @Option(
        name: .long,
        help:
            "A token every request must carry (8+ of A-Z a-z 0-9 - . _ ~). (default: none on loopback, generated otherwise)"
    )
    var token: String?

    /// The checked viewer for `directory` on `host:port`, with a generated token where one is due;
    /// a setup error is printed and exits 3.
    func viewer(
        serving directory: String, host: String, port: Int, logger: Logger, rootMayAppearLater: Bool = false,
        metrics: (@Sendable () -> String)? = nil
    )
        throws -> ViewerServer
    {
        var options = ViewerOptions(rootDirectory: directory, host: host, port: port, token: token)
        options.rootMayAppearLater = rootMayAppearLater
        if options.token == nil && !options.bindsLoopbackOnly {
            options.token = Self.generatedToken()
        }
        do {
            return try ViewerServer(options: options, logger: logger, metrics: metrics)
        } catch {
            printError(error.description)
            throw ExitCode(3)
        }
    }

    /// 128 random bits as 32 hex digits (the system's random source).
    static func generatedToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<4).map { _ in
            let word = String(generator.next() as UInt32, radix: 16)
            return String(repeating: "0", count: 8 - word.count) + word
        }.joined()
    }
}
