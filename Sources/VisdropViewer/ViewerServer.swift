import Hummingbird
public import Logging
import NIOCore
import NIOPosix
public import ServiceLifecycle
import VisdropFileSystem

/// `visdrop serve`: a read-only web view of a tree of save_dirs — runs, curves, images, configs —
/// over HTTP (Hummingbird), as a `Service` to run in a `ServiceGroup`.
///
/// It never writes in the served folder. Binding an address other than loopback needs a token.
public struct ViewerServer: Sendable {
    let options: ViewerOptions
    let logger: Logger
    let metrics: (@Sendable () -> String)?

    /// Checks the options; `metrics`, when given, answers `GET /metrics` (Prometheus text).
    public init(options: ViewerOptions, logger: Logger, metrics: (@Sendable () -> String)? = nil)
        throws(ViewerSetupError)
    {
        guard
            options.rootMayAppearLater || FileSystem.entryType(at: options.rootDirectory) == .directory
                || isDirectoryFollowingLinks(options.rootDirectory)
        else { throw .rootNotADirectory(options.rootDirectory) }
        guard (0...65535).contains(options.port) else { throw .badPort(options.port) }
        if !options.bindsLoopbackOnly && options.token == nil { throw .tokenRequired(host: options.host) }
        if let token = options.token, !AccessTokenMiddleware.isUsable(token) { throw .badToken }
        self.options = options
        self.logger = logger
        self.metrics = metrics
    }

    /// True when dygraphs (Debian's `libjs-dygraphs`) is where the page loads it from.
    public var hasDygraphs: Bool {
        FileSystem.entryType(at: Path.join(options.dygraphsDirectory, "dygraph.min.js")) == .regularFile
    }

    /// The service that serves until the group shuts down; `onRunning` gets the bound port.
    public func service(onRunning: @escaping @Sendable (Int) async -> Void = { _ in }) -> some Service {
        let router = Router()
        router.add(middleware: SecurityHeadersMiddleware())
        if let token = options.token { router.add(middleware: AccessTokenMiddleware(token: token)) }
        let tree = RunTree(
            root: options.rootDirectory, scalarSaveFile: options.scalarSaveFile,
            imageSaveDirectory: options.imageSaveDirectory, configSaveFile: options.configSaveFile)
        ViewerAPI(tree: tree, threadPool: .singleton).register(on: router)
        ViewerPage(dygraphsDirectory: options.dygraphsDirectory, hasAgent: metrics != nil).register(
            on: router)
        if let metrics {
            router.get("/metrics") { _, _ in
                var headers = HTTPFields()
                headers[.contentType] = "text/plain; version=0.0.4; charset=utf-8"
                headers[.cacheControl] = "no-store"
                return Response(
                    status: .ok, headers: headers,
                    body: ResponseBody(byteBuffer: ByteBuffer(string: metrics())))
            }
        }
        let logger = self.logger
        let options = self.options
        let hasDygraphs = self.hasDygraphs
        return Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(options.host, port: options.port), serverName: "visdrop"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? options.port
                let query = options.token.map { "?token=\($0)" } ?? ""
                logger.info(
                    "serving \(options.rootDirectory.debugDescription) read-only at http://\(Self.urlHost(options.host)):\(port)/\(query)"
                )
                if !hasDygraphs {
                    logger.error(
                        "dygraphs is missing at \(options.dygraphsDirectory): the page cannot draw charts; install it with `apt-get install libjs-dygraphs` (scripts/install-deps does)"
                    )
                }
                await onRunning(port)
            },
            logger: logger)
    }

    /// `host` as it goes in a URL (an IPv6 address in brackets).
    static func urlHost(_ host: String) -> String {
        host.contains(":") ? "[\(host)]" : host
    }
}

/// True when `path` is a directory, a link to one included (the served folder is the operator's).
private func isDirectoryFollowingLinks(_ path: String) -> Bool {
    (try? Directory.open("", beneath: path, creating: false)) != nil
}
