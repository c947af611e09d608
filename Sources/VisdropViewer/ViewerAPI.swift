import Foundation
import Hummingbird
import NIOPosix
import VisdropFileSystem

/// The JSON API and the files of the save_dirs, read-only. Every path comes from `RunTree`
/// (nothing outside the served folder, no link followed); a name that is not there, or not
/// safe, is a 404 that read nothing. File work runs on NIO's thread pool, never on the event
/// loop or the concurrency pool.
struct ViewerAPI: Sendable {
    let tree: RunTree
    let store = ScalarSeriesStore()
    let threadPool: NIOThreadPool

    /// The most points per key one answer carries (and the default).
    static let maximumPoints = 100_000
    static let defaultPoints = 2_000
    /// Configs larger than this are not diffed (mmengine's are kilobytes).
    static let maximumDiffBytes = 1 << 20
    /// Images and configs are streamed in pieces of this size.
    static let streamChunkBytes = 1 << 20

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/runs") { _, _ in try await runs() }
        router.get("/api/run") { request, _ in try await run(request) }
        router.get("/api/scalars") { request, _ in try await scalars(request) }
        router.get("/api/image") { request, context in try await image(request, context: context) }
        router.get("/api/config") { request, _ in try await config(request) }
        router.get("/api/config-diff") { request, _ in try await configDiff(request) }
    }

    // MARK: Parameters

    private static func parameter(_ request: Request, _ name: String) throws -> String {
        guard let value = request.uri.queryParameters[name[...]] else {
            throw HTTPError(.badRequest, message: "missing query parameter \(name)")
        }
        return String(value)
    }

    private static func integer(
        _ request: Request, _ name: String, default value: Int, in range: ClosedRange<Int>
    )
        throws -> Int
    {
        guard let text = request.uri.queryParameters[name[...]] else { return value }
        guard let number = Int(text), range.contains(number) else {
            throw HTTPError(.badRequest, message: "\(name) must be an integer in \(range)")
        }
        return number
    }

    private static func notFound(_ what: String) -> HTTPError {
        HTTPError(.notFound, message: "no such \(what)")
    }

    private func onPool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await threadPool.runIfActive(body)
    }

    // MARK: Handlers

    private func runs() async throws -> Response {
        let tree = self.tree
        let (runs, truncated) = try await onPool { tree.runs() }
        return try APIJSON.response(RunsReply(runs: runs, truncated: truncated))
    }

    private func run(_ request: Request) async throws -> Response {
        let name = try Self.parameter(request, "run")
        let tree = self.tree
        let reply = try await onPool { () throws -> RunReply in
            guard let directory = tree.directory(of: name),
                let entries = try? FileSystem.listDirectory(directory.path)
            else { throw Self.notFound("run") }
            var scalarFiles = entries.filter {
                $0.type == .regularFile && $0.name.hasSuffix(".json") && $0.name != tree.scalarSaveFile
                    && RunTree.isSafeFileName($0.name)
            }.map(\.name).sorted()
            if entries.contains(where: { $0.name == tree.scalarSaveFile && $0.type == .regularFile }) {
                scalarFiles.insert(tree.scalarSaveFile, at: 0)
            }
            let images =
                tree.imageDirectory(of: name).flatMap { try? FileSystem.listDirectory($0.path) }
                .map(ImageTags.tags) ?? []
            let config = entries.contains { $0.name == tree.configSaveFile && $0.type == .regularFile }
            return RunReply(name: name, scalarFiles: scalarFiles, images: images, config: config)
        }
        return try APIJSON.response(reply)
    }

    private func scalars(_ request: Request) async throws -> Response {
        let name = try Self.parameter(request, "run")
        let file = request.uri.queryParameters["file"].map(String.init) ?? tree.scalarSaveFile
        let offset = try Self.integer(request, "offset", default: 0, in: 0...Int.max)
        let points = try Self.integer(
            request, "points", default: Self.defaultPoints, in: 4...Self.maximumPoints)
        let smoothingText = request.uri.queryParameters["smoothing"].map(String.init) ?? "0"
        guard let smoothing = Double(smoothingText), smoothing >= 0, smoothing < 1 else {
            throw HTTPError(.badRequest, message: "smoothing must be a number in [0, 1)")
        }
        guard RunTree.isSafeFileName(file), file.hasSuffix(".json") else {
            throw Self.notFound("scalar file")
        }
        let tree = self.tree
        let store = self.store
        let series = try await onPool { () throws -> ScalarSeries in
            guard let directory = tree.directory(of: name) else { throw Self.notFound("run") }
            guard let opened = try? directory.openFile(file) else { throw Self.notFound("scalar file") }
            return try store.series(
                of: opened, path: Path.join(directory.path, file), from: offset, weight: smoothing,
                limit: points)
        }
        return try APIJSON.response(ScalarsReply(run: name, file: file, smoothing: smoothing, series: series))
    }

    private func image(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let name = try Self.parameter(request, "run")
        let tag = try Self.parameter(request, "tag")
        guard request.uri.queryParameters["step"] != nil else {
            throw HTTPError(.badRequest, message: "missing query parameter step")
        }
        let step = try Self.integer(request, "step", default: 0, in: 0...Int.max)
        let fileName = ImageTags.fileName(tag: tag, step: step)
        guard ImageTags.parse(fileName)?.tag == tag else { throw Self.notFound("image") }
        let tree = self.tree
        guard let directory = try await onPool({ tree.imageDirectory(of: name) }) else {
            throw Self.notFound("run or image folder")
        }
        return try await stream(
            fileName, in: directory, contentType: "image/png", request: request, context: context)
    }

    private func config(_ request: Request) async throws -> Response {
        let name = try Self.parameter(request, "run")
        let tree = self.tree
        guard let directory = try await onPool({ tree.directory(of: name) }) else {
            throw Self.notFound("run")
        }
        return try await stream(
            tree.configSaveFile, in: directory, contentType: "text/plain; charset=utf-8", request: request,
            context: nil)
    }

    private func configDiff(_ request: Request) async throws -> Response {
        let first = try Self.parameter(request, "a")
        let second = try Self.parameter(request, "b")
        let tree = self.tree
        let texts = try await onPool { () throws -> [String] in
            try [first, second].map { name throws -> String in
                guard let directory = tree.directory(of: name),
                    let file = try? directory.openFile(tree.configSaveFile)
                else { throw Self.notFound("config of \(name.debugDescription)") }
                guard file.size <= Self.maximumDiffBytes else {
                    throw HTTPError(
                        .contentTooLarge,
                        message: "a config over \(Self.maximumDiffBytes) bytes is not diffed")
                }
                let bytes = try file.readAll(maximumBytes: Self.maximumDiffBytes)
                return String(decoding: bytes, as: UTF8.self)
            }
        }
        let lines = ConfigDiffReply.lines(
            from: texts[0].split(separator: "\n", omittingEmptySubsequences: false),
            to: texts[1].split(separator: "\n", omittingEmptySubsequences: false))
        return try APIJSON.response(ConfigDiffReply(a: first, b: second, lines: lines))
    }

    // MARK: Files

    /// The file `name` in `directory`, streamed in pieces, each read again through the directory
    /// and checked to be the same file; with `context`, as a cacheable entity (ETag, Last-Modified).
    private func stream(
        _ name: String, in directory: Directory, contentType: String, request: Request,
        context: BasicRequestContext?
    ) async throws -> Response {
        let chunk = Self.streamChunkBytes
        let (identity, head) = try await onPool { () throws -> (FileSystem.FileIdentity, [UInt8]) in
            guard let file = try? directory.openFile(name) else { throw Self.notFound("file") }
            return (file.identity, try file.read(upTo: chunk))
        }
        let pool = threadPool
        let body: ResponseBody
        if head.count >= identity.size {
            body = ResponseBody(byteBuffer: ByteBuffer(bytes: head))
        } else {
            body = ResponseBody(contentLength: identity.size) { writer in
                try await writer.write(ByteBuffer(bytes: head))
                var offset = head.count
                while offset < identity.size {
                    let start = offset
                    let piece = try await pool.runIfActive { () throws -> [UInt8] in
                        let file = try directory.openFile(name)
                        guard file.identity == identity else {
                            throw HTTPError(.conflict, message: "the file changed while it was sent")
                        }
                        return try file.read(upTo: min(chunk, identity.size - start), at: start)
                    }
                    if piece.isEmpty { break }
                    try await writer.write(ByteBuffer(bytes: piece))
                    offset += piece.count
                }
                try await writer.finish(nil)
            }
        }
        var headers = HTTPFields()
        headers[.contentType] = contentType
        guard let context else {
            headers[.cacheControl] = "no-store"
            return Response(status: .ok, headers: headers, body: body)
        }
        headers[.cacheControl] = "no-cache"
        let modified = Date(timeIntervalSince1970: Double(identity.modificationTime) / 1e9)
        let eTag = "\"\(identity.inode)-\(identity.size)-\(identity.modificationTime)\""
        return try await request.ifNoneMatch(eTag: eTag, context: context) {
            try await request.ifModifiedSince(modificationDate: modified, context: context) {
                Response(status: .ok, headers: headers, body: body)
            }
        }
    }
}
