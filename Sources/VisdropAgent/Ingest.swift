import Logging
import VisdropFileSystem

/// Files everything already in the drop tree, once, and reports what happened.
public enum Ingest {
    /// Files the backlog oldest first and returns the statistics (rejected > 0 means failure; retried or still being written > 0, try again later).
    public static func run(options: AgentOptions, logger: Logger) throws(AgentSetupError) -> FilingStatistics
    {
        let journal = ScalarJournal(stateDirectory: options.stateDirectory, logger: logger)
        try AgentSetupError.prepare(options, journal: journal)
        let pipeline = DropPipeline(options: options, logger: logger)
        let backlog = DropPipeline.backlog(of: options.dropDirectory, logger: logger)
        logger.info("ingesting", metadata: ["drop": "\(options.dropDirectory)", "files": "\(backlog.count)"])
        var stillBeingWritten = 0
        for file in backlog {
            if FileSystem.writerState(at: Path.join(options.dropDirectory, file.path)) == .openForWriting {
                logger.warning(
                    "still open for writing; left for the next run", metadata: ["file": "\(file.path)"])
                stillBeingWritten += 1
                continue
            }
            pipeline.file(file.path)
        }
        var statistics = pipeline.statistics
        statistics.stillBeingWritten = stillBeingWritten
        logger.info("done: \(statistics.summary)")
        return statistics
    }
}
