import HTTPTypes
import Hummingbird

/// Refuses every request that does not carry the token: as `Authorization: Bearer T`, as the
/// query parameter `token=T` (the link the server prints), or as the cookie the page sets when
/// it is opened through that link, so that the page's own requests and images carry it too.
struct AccessTokenMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext
    let token: String
    static let cookieName = "visdrop_token"

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let fromQuery = request.uri.queryParameters["token"].map(String.init)
        let offered = [
            request.headers[.authorization].flatMap {
                $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil
            },
            fromQuery,
            request.cookies[Self.cookieName]?.value,
        ]
        guard offered.contains(where: { $0.map { Self.constantTimeEqual($0, token) } ?? false }) else {
            throw HTTPError(
                .unauthorized,
                message: "this server needs its token: open the link it printed at start (…/?token=…)")
        }
        var response = try await next(request, context)
        if let fromQuery, Self.constantTimeEqual(fromQuery, token) {
            response.setCookie(
                Cookie(name: Self.cookieName, value: token, path: "/", httpOnly: true, sameSite: .strict))
        }
        return response
    }

    /// Compares without stopping at the first difference, so timing does not tell the prefix.
    static func constantTimeEqual(_ offered: String, _ expected: String) -> Bool {
        let left = Array(offered.utf8)
        let right = Array(expected.utf8)
        var difference = UInt8(left.count == right.count ? 0 : 1)
        for index in 0..<right.count {
            difference |= (index < left.count ? left[index] : 0) ^ right[index]
        }
        return difference == 0
    }

    /// True for a token usable in a URL and a cookie: 8 to 256 of `A-Z a-z 0-9 - . _ ~`.
    static func isUsable(_ token: String) -> Bool {
        (8...256).contains(token.utf8.count)
            && token.unicodeScalars.allSatisfy {
                $0.isASCII
                    && ($0.properties.isAlphabetic || ("0"..."9").contains($0)
                        || "-._~".unicodeScalars.contains($0))
            }
    }
}

/// Headers that keep the page's own content inert: a strict Content-Security-Policy (scripts
/// only from this server, no inline script), no MIME sniffing, no framing, no referrer.
struct SecurityHeadersMiddleware: RouterMiddleware {
    typealias Context = BasicRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError {
            response = try error.response(from: request, context: context)
        }
        response.headers[.contentSecurityPolicy] =
            "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; object-src 'none'; frame-ancestors 'none'; base-uri 'none'"
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers.append(contentsOf: Self.extraHeaders)
        return response
    }

    private static let extraHeaders: HTTPFields = {
        var fields = HTTPFields()
        for (name, value) in [("X-Frame-Options", "DENY"), ("Referrer-Policy", "no-referrer")] {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        return fields
    }()
}
