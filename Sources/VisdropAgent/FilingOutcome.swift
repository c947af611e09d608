import VisdropFileSystem

/// What happened to one dropped file.
enum FilingOutcome: Sendable {
    /// Filed: the kind, the files written (or appended to) and how many scalar records it held.
    case filed(kind: DropKind, outputs: [String], records: Int)
    /// Set aside in `DROP/.rejected` with the reason.
    case rejected(kind: DropKind, reason: String)
    /// Not filed now and not an error: gone already, or work in progress.
    case skipped(reason: String)
    /// The output could not be written (disk full, read-only); the source is kept for a retry.
    case retry(FileSystemError)
    /// Not taken yet, for the reason given; the pipeline looks again later.
    case deferred(Deferral)

    /// Why a file was not taken yet.
    enum Deferral: Sendable, Equatable {
        /// A process has the file open for writing (or mapped writable) in its drop folder: it is
        /// taken after the close this raises.
        case writerOpen
        /// A process opened the claimed file for writing before the claim, or while it was read:
        /// it is looked at again shortly, and read anew once nobody writes it.
        case writerOpenAfterClaim
        /// A scalar file written in place ends in the middle of a line: it waits for the line's
        /// end, or for the file to stay quiet for the settle time.
        case incompleteLastLine
        /// The kernel cannot say whether a writer has the file open (no lease), and it changed
        /// less than the settle time ago.
        case changedRecently
        /// A polled file is not complete for its kind yet (a cut `.npy`, JSON that does not
        /// parse, a last line without its end): it waits for its writer until the settle timeout.
        case incompleteForItsKind
        /// An earlier file of the same name is still in the claim folder: this one waits its turn.
        case claimFolderTaken
        /// The name was given to a new file (renamed over it) between the read and the claim, so
        /// the claim took the new file, unread: it is looked at again shortly, claimed.
        case replacedBeforeClaim
    }
}
