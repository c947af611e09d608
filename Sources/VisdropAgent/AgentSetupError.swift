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

    /// Makes the drop, output, archive and state folders, refuses folders that overlap, and checks
    /// the drop folder can be cleaned up.
    static func prepare(_ options: AgentOptions) throws(AgentSetupError) {
        for directory in [
            options.dropDirectory, options.outputDirectory, options.stateDirectory,
            Path.join(options.dropDirectory, TrashSweeper.folderName),
        ] + (options.archiveDirectory.map { [$0] } ?? []) {
            do {
                try FileSystem.makeDirectories(directory)
            } catch {
                throw AgentSetupError("cannot create \(directory): \(error)")
            }
        }
        try refuseOverlappingFolders(options)
        // Filed sources are removed: without write permission every file would be filed again.
        guard access(options.dropDirectory, W_OK) == 0 else {
            throw AgentSetupError(
                "cannot remove files from \(options.dropDirectory) (no write permission); "
                    + "run visdrop as a user who may delete the drop folder's files")
        }
    }

    /// Refuses an output or archive folder that overlaps the drop folder, or an archive that is
    /// the output folder: the agent would take its own outputs (or archived sources) as new drops,
    /// or file a run into itself, again and again.
    private static func refuseOverlappingFolders(_ options: AgentOptions) throws(AgentSetupError) {
        let (drop, out) = (options.dropDirectory, options.outputDirectory)
        // (inner, outer, why): refused when `inner` is `outer` or inside it.
        var refused: [(inner: String, outer: String, why: String)] = [
            (
                out, drop,
                "the output folder \(out) is the drop folder \(drop) or inside it: visdrop would take its own "
                    + "outputs as new drops; choose an --out outside --drop"
            ),
            (
                drop, out,
                "the drop folder \(drop) is inside the output folder \(out): a run named like the drop "
                    + "folder would be filed into itself; choose a --drop outside --out"
            ),
        ]
        if let archive = options.archiveDirectory {
            refused += [
                (
                    archive, drop,
                    "the archive folder \(archive) is the drop folder \(drop) or inside it: archived sources "
                        + "would be taken as new drops; choose an --archive outside --drop"
                ),
                (
                    drop, archive,
                    "the drop folder \(drop) is inside the archive folder \(archive): a run named like the "
                        + "drop folder would have its sources archived into the drop folder; choose a --drop "
                        + "outside --archive"
                ),
            ]
            if FileSystem.isDirectory(out, sameAsOrInside: archive) {
                refused.append(
                    (
                        archive, out,
                        "the archive folder \(archive) is the output folder \(out): archived sources would be "
                            + "mixed with the LocalVisBackend save_dirs; choose another --archive"
                    ))
            }
        }
        for rule in refused where FileSystem.isDirectory(rule.inner, sameAsOrInside: rule.outer) {
            throw AgentSetupError(rule.why)
        }
    }
}
