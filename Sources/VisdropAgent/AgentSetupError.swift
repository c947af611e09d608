import VisdropFileSystem

#if canImport(Glibc)
    import Glibc
#endif

/// Why the agent could not start: a folder it needs, or inotify.
public struct AgentSetupError: Error, CustomStringConvertible, Sendable {
    /// What went wrong and what to do about it.
    public let description: String

    init(_ description: String) {
        self.description = description
    }

    /// Makes the drop, output and state folders, and checks the drop folder can be cleaned up.
    static func prepare(_ options: AgentOptions) throws(AgentSetupError) {
        for directory in [options.dropDirectory, options.outputDirectory, options.stateDirectory] {
            do {
                try FileSystem.makeDirectories(directory)
            } catch {
                throw AgentSetupError("cannot create \(directory): \(error)")
            }
        }
        // Filed sources are removed: without write permission every file would be filed again.
        guard access(options.dropDirectory, W_OK) == 0 else {
            throw AgentSetupError(
                "cannot remove files from \(options.dropDirectory) (no write permission); "
                    + "run visdrop as a user who may delete the drop folder's files")
        }
    }
}
