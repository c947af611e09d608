import Logging

/// Files everything already in the drop tree, once, and reports what happened.
public enum Ingest {
    /// Files the backlog oldest first and returns the statistics (rejected > 0 means failure).
    public static func run(options: AgentOptions, logger: Logger) throws(AgentSetupError) -> FilingStatistics {
        let journal = ScalarJournal(stateDirectory: options.stateDirectory, logger: logger)
        try AgentSetupError.prepare(options, journal: journal)
        let pipeline = DropPipeline(options: options, logger: logger)
        let backlog = DropPipeline.backlog(of: options.dropDirectory, logger: logger)
        logger.info("ingesting", metadata: ["drop": "\(options.dropDirectory)", "files": "\(backlog.count)"])
        for file in backlog {
            pipeline.file(file.path)
        }
        logger.info("done: \(pipeline.statistics.summary)")
        return pipeline.statistics
    }
}
