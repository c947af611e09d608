import VisdropFileSystem

/// Why the agent could not start: a folder it needs, or inotify.
public struct AgentSetupError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do about it.
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    /// Makes the drop, output and state folders, and undoes an unfinished scalar filing.
    static func prepare(_ options: AgentOptions, journal: ScalarJournal) throws(AgentSetupError) {
        for directory in [options.dropDirectory, options.outputDirectory, options.stateDirectory] {
            do {
                try FileSystem.makeDirectories(directory)
            } catch {
                throw AgentSetupError("cannot create \(directory): \(error)")
            }
        }
        do {
            try journal.recover()
        } catch {
            throw AgentSetupError("cannot recover the scalar journal in \(options.stateDirectory): \(error)")
        }
    }
}
