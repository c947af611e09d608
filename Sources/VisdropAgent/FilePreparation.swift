import Logging
import VisdropBackend
import VisdropConfigText
import VisdropFileSystem
import VisdropJSON
import VisdropNPY

#if canImport(Glibc)
    import Glibc
#endif

/// What the filer's worker threads need to read and decode a dropped file: nothing mutable.
struct FilePreparation: Sendable {
    let options: AgentOptions
    let logger: Logger
    let npyReader: NPYReader
    let jsonParser = JSONParser()

    init(options: AgentOptions, logger: Logger) {
        self.options = options
        self.logger = logger
        self.npyReader = NPYReader(limits: NPYLimits(maximumDataBytes: options.maximumFileBytes))
    }

    /// Phase 1 for one file: take it, read it, decode it, and write it when it is an image.
    ///
    /// The file is opened in its folder without following any link (see `RegularFile`); an
    /// unknown kind is refused without reading it. Otherwise the agent takes a read lease — refused
    /// while anybody has the file open for writing, which defers it — reads the file under the
    /// lease, and claims it (renames it into the claim folder, so the name is free for a new file)
    /// while still holding the lease. A lease still intact after the claim proves that the bytes
    /// read are the whole file and that nobody can add to them under the dropped name any more.
    func prepare(_ item: DropFiler.Item, backend: LocalVisBackend) -> Outcome {
        let source = item.request.source
        let file: RegularFile
        do {
            file = try (source.claimed ? item.claimFolder : item.folder).get().openFile(source.name)
        } catch {
            switch error.kind {
            case .notFound: return Outcome(.skipped("already gone"))
            case .symbolicLink where error.path != Path.join(options.dropDirectory, source.currentPath),
                .unsafePath:
                // A directory on the way is a link (it is set aside on its own event): touch nothing.
                logger.warning(
                    "not following a link on the way to a dropped file",
                    metadata: [
                        "file": "\(source)", "reason": "\(LogText.escaped(error.description))",
                    ])
                return Outcome(.skipped(error.description))
            default: return Outcome(.reject(error.description), source: source)
            }
        }
        if case .unknown(let reason) = item.kind { return Outcome(.reject(reason), source: source) }
        return take(file, item: item, backend: backend)
    }

    /// Phase 1 for an opened file of a kind visdrop files: lease, read, claim, decode.
    private func take(_ file: consuming RegularFile, item: DropFiler.Item, backend: LocalVisBackend)
        -> Outcome
    {
        let source = item.request.source
        let lease = file.takeReadLease()
        switch lease {
        case .granted:
            break
        case .writerOpen:
            return Outcome(.deferred(source.claimed ? .writerOpenAfterClaim : .writerOpen))
        case .unavailable:
            // Only quiet time can tell here: a file found by a scan must have been unchanged for it.
            let age = Self.nanosecondsSince(file.identity.modificationTime)
            if !source.claimed, age < item.request.unleasedQuietNanoseconds {
                return Outcome(.deferred(.changedRecently))
            }
        }
        // Every return before the decode closes the file, which ends the lease with it.
        let contents: Result<Contents, FilingError>
        do throws(FilingError) {
            contents = .success(try read(file, kind: item.kind))
        } catch {
            contents = .failure(error)
        }
        if lease == .granted, !file.leaseIsIntact {
            logger.debug(
                "a writer opened the file while it was read; reading it again later",
                metadata: ["file": "\(source)"])
            return Outcome(.deferred(source.claimed ? .writerOpenAfterClaim : .writerOpen))
        }
        // Polled where a lease proves nothing (a network or FUSE file system, another user's file):
        // nothing tells whether a writer elsewhere is still at a file that is not complete for its
        // kind, so it waits. Under a lease that proves no writer has it open, it is what it is.
        if let polled = item.request.polled, !source.claimed, !(polled.leaseIsEvidence && lease == .granted),
            let missing = incompleteness(contents, kind: item.kind, backend: backend)
        {
            // Set aside only as it settled and unchanged since for the settle timeout: a file that
            // changed meanwhile is reported again when it settles anew.
            let asSettled =
                file.identity.size == polled.size && file.identity.modificationTime == polled.modificationTime
            let waited = Self.nanosecondsSince(polled.unchangedSince)
            guard asSettled, waited >= options.settleTimeoutNanoseconds else {
                return Outcome(.deferred(.incompleteForItsKind))
            }
            return Outcome(
                .reject(
                    "still incomplete after \(options.settleTimeoutMilliseconds / 1000) s unchanged "
                        + "(settle-timeout): \(missing)"), source: source)
        }
        var loaded: Contents
        switch contents {
        case .success(let value): loaded = value
        case .failure(let error): return Outcome(.reject(error.description), source: source)
        }
        // The identity of what was read: a writer that closed between the open and the lease (or,
        // without a lease, during the read) changed the one seen at the open. The journal records
        // this one, and recovery compares with it. Under a lease that stays intact, nobody writes
        // the file from the read to the claim: the claim's look at the claimed entry gives it.
        let identityComesWithClaim = lease == .granted && !source.claimed
        if !identityComesWithClaim { loaded.identity = file.currentIdentity() }
        var current = source
        if !source.claimed {
            if item.request.wroteInPlace, !item.request.acceptsIncompleteLastLine, case .scalars = item.kind,
                case .bytes(let bytes) = loaded.payload, !endsWithCompleteLine(bytes)
            {
                return Outcome(.deferred(.incompleteLastLine))
            }
            TestTiming.pauseBeforeClaim("\(source)", logger: logger)
            switch claim(source, item) {
            case .claimed:
                current.claimed = true
                // A writer may have renamed a new file over the name since the open: then the claim
                // took that file, unread (filing what was read and removing what was claimed would
                // lose it). It is read anew, claimed; what was read was replaced before it was taken.
                let claimedIdentity = try? item.claimFolder.get().identity(of: source.name)
                guard let claimedIdentity, claimedIdentity.device == loaded.identity.device,
                    claimedIdentity.inode == loaded.identity.inode
                else {
                    logger.debug(
                        "the name was given to a new file before the claim; reading the new one",
                        metadata: ["file": "\(current)"])
                    return Outcome(.deferred(.replacedBeforeClaim), source: current)
                }
                if identityComesWithClaim { loaded.identity = claimedIdentity }
            case .taken: return Outcome(.deferred(.claimFolderTaken))
            case .inPlace:
                if identityComesWithClaim { loaded.identity = file.currentIdentity() }
            }
            if lease == .granted, !file.leaseIsIntact {
                // A writer opened the name between the read and the claim: its bytes are still to come.
                logger.debug(
                    "a writer opened the file as it was claimed; reading it again later",
                    metadata: ["file": "\(current)"])
                return Outcome(.deferred(.writerOpenAfterClaim), source: current)
            }
        }
        // Read without a lease, or reachable through another name: checked again before removal.
        // A lease on a polled network or FUSE file system says nothing of writers elsewhere.
        let checkBeforeRemoval =
            lease != .granted || file.linkCount > 1 || item.request.polled?.leaseIsEvidence == false
        // Checked: closing the file ends the lease (no separate call to release it), so a writer
        // held back by it goes on while the file is decoded.
        _ = consume file
        var outcome = Outcome(decode(loaded, kind: item.kind, backend: backend), source: current)
        outcome.identity = loaded.identity
        outcome.checkBeforeRemoval = checkBeforeRemoval
        return outcome
    }

    /// What phase 1 made of a file, and where the file is now.
    struct Outcome: Sendable {
        var prepared: DropFiler.Prepared
        /// The file's place after phase 1 (claimed, or still in its drop folder); nil when it was
        /// not touched.
        var source: DropSource?
        /// The identity of the file as read.
        var identity: FileSystem.FileIdentity?
        /// True when a writer could have added to the file after it was read (no lease, or more
        /// than one name): its identity is compared again before it is removed.
        var checkBeforeRemoval = false

        init(_ prepared: DropFiler.Prepared, source: DropSource? = nil) {
            self.prepared = prepared
            self.source = source
        }
    }

    /// How claiming a file went.
    private enum Claim {
        /// It is in the claim folder now.
        case claimed
        /// A file of the same name is in the claim folder still: try again after it is filed.
        case taken
        /// The claim folder cannot be made or written (a directory of another user's): the file
        /// is filed where it is, as before claims existed.
        case inPlace
    }

    private func claim(_ source: DropSource, _ item: DropFiler.Item) -> Claim {
        do {
            let moved = try item.folder.get().moveEntryUnlessTaken(
                source.name, into: try item.claimFolder.get())
            if moved { return .claimed }
            // A filed source that could not be removed holds the name for good.
            return item.claimNameIsKept ? .inPlace : .taken
        } catch {
            logger.debug(
                "cannot claim the file; filing it in its drop folder",
                metadata: ["file": "\(source)", "error": "\(LogText.escaped(error.description))"])
            return .inPlace
        }
    }

    /// Why a polled file is not complete for its kind, or nil when it is: an array whose header
    /// and size disagree (or that cannot be read), scalar records that do not parse or whose last
    /// line has no end, a JSON or YAML config that does not parse. A `.py` config cannot be told.
    private func incompleteness(
        _ contents: Result<Contents, FilingError>, kind: DropKind, backend: LocalVisBackend
    ) -> String? {
        let loaded: Contents
        switch contents {
        case .failure(.content(let reason)): return reason
        case .failure(.fileSystem): return nil  // Set aside as it is, like any unreadable file.
        case .success(let value): loaded = value
        }
        guard case .bytes(let bytes) = loaded.payload else { return nil }
        do throws(FilingError) {
            switch kind {
            case .scalars(let filePath):
                guard endsWithCompleteLine(bytes) else { return "its last line has no end yet" }
                _ = try Self.backendCall { () throws(LocalVisBackendError) in
                    try backend.scalarAppends(jsonRecords: bytes, filePath: filePath)
                }
            case .config(let format) where format != .python:
                _ = try configObject(bytes, format: format)
            default:
                break
            }
        } catch {
            return error.description
        }
        return nil
    }

    /// True when `bytes` end with a newline, or their last line is a whole JSON value already
    /// (`json.dump` writes no newline): a writer that appends in pieces is not cut mid-line.
    private func endsWithCompleteLine(_ bytes: [UInt8]) -> Bool {
        guard let last = bytes.last, last != UInt8(ascii: "\n") else { return true }
        let lineStart = (bytes.lastIndex(of: UInt8(ascii: "\n")) ?? -1) + 1
        let line = bytes[lineStart...]
        // Records are objects: a line that does not end in a brace is cut, without parsing it.
        guard
            let end = line.last(where: {
                $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != UInt8(ascii: "\r")
            }),
            end == UInt8(ascii: "}")
        else { return false }
        return (try? jsonParser.parse(line)) != nil
    }

    /// Decodes what was read and calls the backend: writes an image, plans scalar lines, keeps a
    /// config's bytes for phase 2.
    private func decode(_ contents: Contents, kind: DropKind, backend: LocalVisBackend) -> DropFiler.Prepared
    {
        do throws(FilingError) {
            switch (kind, contents.payload) {
            case (.image(let name, let step), .array(let array)):
                let path = try Self.backendCall { () throws(LocalVisBackendError) in
                    try backend.addImage(name: name, image: array, step: step)
                }
                return .image(path: path ?? "")
            case (.config, .bytes(let bytes)):
                return .config(bytes: bytes, identity: contents.identity)
            case (.scalars(let filePath), .bytes(let bytes)):
                let planned = try Self.backendCall { () throws(LocalVisBackendError) in
                    try backend.scalarAppends(jsonRecords: bytes, filePath: filePath)
                }
                return .scalars(
                    appends: planned.appends, records: planned.records, identity: contents.identity)
            default:
                return .reject("not a kind visdrop files")
            }
        } catch {
            return DropFiler.prepared(for: error, kind: kind)
        }
    }

    /// The wall clock, in nanoseconds since the epoch (the scale of file modification times).
    static func wallClockNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }

    /// Nanoseconds from the wall-clock time `time` (nanoseconds since the epoch) to now.
    static func nanosecondsSince(_ time: Int64) -> Int64 {
        wallClockNanoseconds() - time
    }

    /// A dropped file as read for its kind, with the identity of the file it came from.
    struct Contents {
        enum Payload {
            /// An image's array, its data read straight into the array's storage.
            case array(NPYArray)
            /// The whole file, for the text kinds.
            case bytes([UInt8])
        }
        var payload: Payload
        var identity: FileSystem.FileIdentity
    }

    /// Reads a dropped file once it passed the checks that cost no more than a few KiB: the size
    /// cap of its kind, and for an array its header against the file's size (so a junk or lying
    /// `.npy` is refused after reading its first 64 KiB at most).
    private func read(_ file: borrowing RegularFile, kind: DropKind) throws(FilingError) -> Contents {
        let cap = sizeCap(for: kind)
        guard file.size <= cap.limit else {
            throw .content(
                "the file is \(file.size) bytes, over the limit of \(cap.limit) bytes for \(cap.what) "
                    + "(raise \(cap.option) to accept it)")
        }
        do {
            guard case .image = kind else {
                return Contents(
                    payload: .bytes(try file.readAll(maximumBytes: cap.limit)), identity: file.identity)
            }
            let prefix = try file.read(upTo: 12 + npyReader.limits.maximumHeaderLength)
            let header: NPYHeader
            do {
                header = try npyReader.readHeader(prefix)
                try npyReader.checkDataSize(header, fileSize: file.size)
            } catch {
                throw FilingError.content(error.description)
            }
            let data = try file.read(upTo: header.dataByteCount, at: header.dataOffset)
            do {
                return Contents(
                    payload: .array(try npyReader.read(header: header, data: data)), identity: file.identity)
            } catch {
                throw FilingError.content(error.description)
            }
        } catch let error as FilingError {
            throw error
        } catch {
            // A file that cannot be read is set aside like one that cannot be decoded.
            throw .content("\(error)")
        }
    }

    /// The largest file of `kind` read, the option that sets it, and what it applies to.
    private func sizeCap(for kind: DropKind) -> (limit: Int, option: String, what: String) {
        switch kind {
        case .config:
            return (
                min(options.maximumConfigBytes, options.maximumFileBytes), "max-config-bytes", "config files"
            )
        case .scalars:
            return (
                min(options.maximumScalarBytes, options.maximumFileBytes), "max-scalar-bytes", "scalar files"
            )
        default:
            return (options.maximumFileBytes, "max-file-bytes", "dropped files")
        }
    }

    func configObject(_ bytes: [UInt8], format: DropKind.ConfigFormat) throws(FilingError) -> JSONObject {
        let value: JSONValue
        if format == .json {
            do { value = try jsonParser.parse(bytes) } catch { throw .content("invalid JSON: \(error)") }
        } else {
            guard let text = String(validating: bytes, as: UTF8.self) else {
                throw .content("the YAML file is not valid UTF-8")
            }
            do { value = try YAMLConfigLoader.load(text) } catch { throw .content(error.description) }
        }
        guard case .object(let object) = value else {
            throw .content("a config must be a mapping at the top level, not \(value.typeName)")
        }
        return object
    }

    static func backendCall<T>(_ body: () throws(LocalVisBackendError) -> T) throws(FilingError) -> T {
        do {
            return try body()
        } catch .fileSystem(let error) {
            throw .fileSystem(error)
        } catch {
            throw .content(error.description)
        }
    }
}
