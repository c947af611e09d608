import ArgumentParser
import VisdropAgent

/// `visdrop ingest`: file what is in the drop folder now, then exit.
struct Ingest: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract:
            "File everything already in the drop folder, oldest first, and exit (1 if any file was rejected)."
    )

    @OptionGroup var arguments: AgentArguments

    func run() async throws {
        let (options, logger) = try arguments.bootstrap()
        let statistics: FilingStatistics
        do {
            statistics = try VisdropAgent.Ingest.run(options: options, logger: logger)
        } catch {
            logger.critical("cannot start: \(error.description)")
            throw ExitCode(3)
        }
        if statistics.rejected > 0 { throw ExitCode(1) }
        if statistics.retried > 0 || statistics.stillBeingWritten > 0 { throw ExitCode(2) }
    }
}
