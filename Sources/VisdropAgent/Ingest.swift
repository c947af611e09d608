import Logging
import VisdropFileSystem

/// Files everything already in the drop tree, once, and reports what happened.
public enum Ingest {
    /// Files the backlog oldest first and returns the statistics (rejected > 0 means failure;
    /// retried or still being written > 0, try again later).
    public static func run(options: AgentOptions, logger: Logger) throws(AgentSetupError) -> FilingStatistics
    {
        try AgentSetupError.prepare(options)
        let pipeline = try DropPipeline(options: options, logger: logger)
        let backlog = DropPipeline.backlog(of: options.dropDirectory, logger: logger)
        logger.info("ingesting", metadata: ["drop": "\(options.dropDirectory)", "files": "\(backlog.count)"])
        var stillBeingWritten = 0
        var ready: [String] = []
        for file in backlog {
            if FileSystem.writerState(of: file.path, beneath: options.dropDirectory) == .openForWriting {
                logger.warning(
                    "still open for writing; left for the next run",
                    metadata: ["file": "\(LogText.escaped(file.path))"])
                stillBeingWritten += 1
                continue
            }
            ready.append(file.path)
        }
        var start = 0
        while start < ready.count {
            let end = min(ready.count, start + DropPipeline.batchLimit)
            pipeline.file(Array(ready[start..<end]), queue: nil)
            start = end
        }
        var statistics = pipeline.statistics
        statistics.stillBeingWritten = stillBeingWritten
        logger.info("done: \(statistics.summary)")
        return statistics
    }
}
