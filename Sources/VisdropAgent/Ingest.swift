public import Logging
import VisdropFileSystem

/// Files everything already in the drop tree, once, and reports what happened.
public enum Ingest {
    /// Files the backlog oldest first and returns the statistics (rejected > 0 means failure;
    /// retried or still being written > 0, try again later).
    public static func run(options: AgentOptions, logger: Logger) throws(AgentSetupError) -> FilingStatistics
    {
        try AgentSetupError.prepare(options)
        let pipeline = try DropPipeline(options: options, logger: logger)
        let backlog = DropScan.backlog(of: options.dropDirectory, logger: logger)
        logger.info("ingesting", metadata: ["drop": "\(options.dropDirectory)", "files": "\(backlog.count)"])
        // What is there now is taken as it is: no quiet time, a cut last line filed as it stands.
        var pending = backlog.map { file in
            FilingRequest(
                source: file.source, wroteInPlace: !file.source.claimed, acceptsIncompleteLastLine: true,
                unleasedQuietNanoseconds: 0)
        }
        var stillBeingWritten = 0
        // A file whose claimed namesake was filed in the same pass gets another pass; one whose
        // namesake stays claimed (its writer has it open, its output cannot be written) is left.
        var passes = 0
        while !pending.isEmpty, passes < 3 {
            passes += 1
            var waiting: [FilingRequest] = []
            var start = 0
            while start < pending.count {
                let end = min(pending.count, start + DropPipeline.batchLimit)
                let requests = Array(pending[start..<end])
                for (request, result) in zip(requests, pipeline.file(requests, queue: nil)) {
                    guard case .deferred(let deferral) = result.outcome else { continue }
                    if deferral == .claimFolderTaken {
                        // An earlier file of the same name was claimed in this batch: its turn is over.
                        waiting.append(request)
                    } else if deferral == .replacedBeforeClaim {
                        // The claim took a newer file than the one read: it is read in the next pass.
                        waiting.append(.complete(result.source))
                    } else {
                        logger.warning(
                            "still open for writing; left for the next run",
                            metadata: ["file": "\(result.source)"])
                        stillBeingWritten += 1
                    }
                }
                start = end
            }
            pending = waiting
        }
        for request in pending {
            logger.warning(
                "an earlier file of the same name is still claimed; left for the next run",
                metadata: ["file": "\(request.source)"])
            stillBeingWritten += 1
        }
        pipeline.emptyTrash()
        var statistics = pipeline.statistics
        statistics.stillBeingWritten = stillBeingWritten
        logger.info("done: \(statistics.summary)")
        return statistics
    }
}
