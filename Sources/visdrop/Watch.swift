import ArgumentParser
import CoreMetrics
import Logging
import Prometheus
import ServiceLifecycle
import VisdropAgent
import VisdropViewer

/// `visdrop watch`: the foreground daemon, and with `--serve` the web view of its output too.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "File everything dropped, until SIGINT or SIGTERM (then finish the current file and exit 0).")

    @OptionGroup var arguments: AgentArguments

    @Option(
        name: .long,
        help:
            "Also serve the output folder's web view (as `visdrop serve`) and the agent's /metrics on [HOST:]PORT. (default: off)"
    )
    var serve: String?

    @Option(
        name: .long,
        help:
            "With --serve: the token every request must carry. (default: none on loopback, generated otherwise)"
    )
    var token: String?

    func validate() throws {
        if let serve, Self.address(serve) == nil {
            throw ValidationError("--serve must be PORT or HOST:PORT ([::1]:PORT for IPv6), port 0-65535")
        }
        if token != nil && serve == nil { throw ValidationError("--token needs --serve") }
    }

    /// `(host, port)` of `[HOST:]PORT`; the host defaults to 127.0.0.1.
    static func address(_ text: String) -> (host: String, port: Int)? {
        var host = "127.0.0.1"
        var portText = Substring(text)
        if let colon = text.lastIndex(of: ":") {
            host = String(text[..<colon])
            portText = text[text.index(after: colon)...]
            if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            if host.isEmpty { return nil }
        }
        guard let port = Int(portText), (0...65535).contains(port) else { return nil }
        return (host, port)
    }

    func run() async throws {
        let (options, logger) = try arguments.bootstrap()
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [
            .init(service: WatchService(options: options, logger: logger))
        ]
        if let serve, let (host, port) = Self.address(serve) {
            // Only here is a metrics backend bootstrapped: the agent records through the facade.
            var factory = PrometheusMetricsFactory(registry: PrometheusCollectorRegistry())
            factory.durationHistogramBuckets[AgentMetrics.filingDurationLabel] = [
                .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
                .seconds(5),
            ]
            MetricsSystem.bootstrap(factory)
            let registry = factory.registry
            var server = ServerArguments()
            server.token = token
            let viewer = try server.viewer(
                serving: options.outputDirectory, host: host, port: port, logger: logger,
                rootMayAppearLater: true,
                metrics: { registry.emitToString() })
            services.append(.init(service: viewer.service()))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as AgentSetupError {
            logger.critical("cannot start: \(error.description)")
            throw ExitCode(3)
        } catch let error as AgentStoppedError {
            logger.critical("stopped: \(error.description)")
            throw ExitCode(4)
        } catch let error as ServiceGroupError {
            logger.critical("stopped: \(error)")
            throw ExitCode(3)
        } catch {
            logger.critical("stopped: cannot serve on \(serve ?? ""): \(error)")
            throw ExitCode(3)
        }
    }
}
