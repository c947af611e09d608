/// Why the viewer cannot start; each says what and where, and what the user can do.
public enum ViewerSetupError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The folder to serve is missing or not a directory.
    case rootNotADirectory(String)
    /// A non-loopback bind address without a token (the command line generates one instead).
    case tokenRequired(host: String)
    /// The port is outside 0...65535.
    case badPort(Int)
    /// The token cannot travel in a URL and a cookie as it is.
    case badToken

    /// The message for the user.
    public var description: String {
        switch self {
        case .rootNotADirectory(let path):
            return "cannot serve \(path.debugDescription): not a directory (give --out an existing folder)"
        case .tokenRequired(let host):
            return "binding \(host) needs --token T: anyone who can reach it could read every run"
        case .badPort(let port):
            return "--port \(port) is outside 0-65535"
        case .badToken:
            return "--token must be 8 to 256 of A-Z a-z 0-9 - . _ ~ (it goes in a URL and a cookie)"
        }
    }
}
