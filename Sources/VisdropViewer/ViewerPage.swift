import Hummingbird
import NIOCore

/// The page and what it loads: its HTML, script and style (compiled into the binary, so it works
/// offline) and dygraphs from Debian's `libjs-dygraphs` (never a CDN).
struct ViewerPage: Sendable {
    let dygraphsDirectory: String
    /// Whether an agent runs in this process (`watch --serve`): the page then shows its status.
    let hasAgent: Bool

    func register(on router: Router<BasicRequestContext>) {
        let html = String(decoding: PackageResources.index_html, as: UTF8.self)
            .replacingOccurrences(of: "data-agent=\"AGENT\"", with: "data-agent=\"\(hasAgent)\"")
        let page = Self.asset(Array(html.utf8), type: "text/html; charset=utf-8")
        let script = Self.asset(PackageResources.viewer_js, type: "text/javascript; charset=utf-8")
        let style = Self.asset(PackageResources.viewer_css, type: "text/css; charset=utf-8")
        router.get("/") { _, _ in page }
        router.get("/index.html") { _, _ in page }
        router.get("/viewer.js") { _, _ in script }
        router.get("/viewer.css") { _, _ in style }
        let files = FileIO()
        let directory = dygraphsDirectory
        // Two fixed names in a fixed system folder: nothing from the request reaches the path.
        for (route, name) in [
            ("/dygraphs/dygraph.min.js", "dygraph.min.js"), ("/dygraphs/dygraph.min.css", "dygraph.min.css"),
        ] {
            let type = name.hasSuffix(".js") ? "text/javascript; charset=utf-8" : "text/css; charset=utf-8"
            router.get(RouterPath(route)) { _, context in
                let body = try await files.loadFile(path: directory + "/" + name, context: context)
                var headers = HTTPFields()
                headers[.contentType] = type
                headers[.cacheControl] = "max-age=3600"
                return Response(status: .ok, headers: headers, body: body)
            }
        }
    }

    private static func asset(_ bytes: [UInt8], type: String) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = type
        headers[.cacheControl] = "no-cache"
        return Response(
            status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
