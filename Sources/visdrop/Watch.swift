import ArgumentParser
import Logging
import ServiceLifecycle
import VisdropAgent

/// `visdrop watch`: the foreground daemon.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "File everything dropped, until SIGINT or SIGTERM (then finish the current file and exit 0).")

    @OptionGroup var arguments: AgentArguments

    func run() async throws {
        let (options, logger) = try arguments.bootstrap()
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: WatchService(options: options, logger: logger))],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger))
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
        }
    }
}
