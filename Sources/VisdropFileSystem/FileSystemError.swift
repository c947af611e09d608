#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#endif

/// A failed file-system operation: what was attempted, on which path, and the system's reason.
public struct FileSystemError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What kind of failure this is, for callers that react differently to each.
    public enum Kind: Sendable, Equatable {
        /// The path does not exist (any more).
        case notFound
        /// The path is a symbolic link; it is never followed.
        case symbolicLink
        /// The path is not a regular file (a directory, FIFO, socket or device).
        case notRegularFile(String)
        /// A relative path that would leave its folder: absolute, or with `.`, `..` or empty parts.
        case unsafePath
        /// The file is larger than the configured cap.
        case tooLarge(size: Int, limit: Int)
        /// No space left on the device, or over quota.
        case noSpace
        /// Permission denied or a read-only file system.
        case notPermitted
        /// Any other system error.
        case system
    }

    /// What kind of failure this is.
    public let kind: Kind
    /// The operation that failed, such as `open` or `rename`.
    public let operation: String
    /// The path the operation was applied to.
    public let path: String
    /// The `errno` value, or 0 when the failure is not a system error.
    public let code: Int32

    /// Creates an error of the given kind.
    public init(kind: Kind, operation: String, path: String, code: Int32 = 0) {
        self.kind = kind
        self.operation = operation
        self.path = path
        self.code = code
    }

    /// Creates an error from an `errno` value, classifying the common cases.
    public init(errno code: Int32, operation: String, path: String) {
        let kind: Kind
        switch code {
        case ENOENT: kind = .notFound
        case ELOOP: kind = .symbolicLink
        case ENOSPC, EDQUOT: kind = .noSpace
        case EACCES, EPERM, EROFS: kind = .notPermitted
        default: kind = .system
        }
        self.init(kind: kind, operation: operation, path: path, code: code)
    }

    /// True when retrying later may succeed (a full disk, a read-only or unwritable output).
    public var isTransient: Bool {
        switch kind {
        case .noSpace, .notPermitted: return true
        case .system:
            return code == EIO || code == EAGAIN || code == EINTR || code == EMFILE || code == ENFILE
        default: return false
        }
    }

    /// A sentence naming the operation, the path and the reason.
    public var description: String {
        switch kind {
        case .symbolicLink:
            return "\(path) is a symbolic link; visdrop never follows links in the drop folder"
        case .notRegularFile(let what):
            return "\(path) is \(what), not a regular file; only regular files are filed"
        case .unsafePath:
            return "\(path) is not a plain relative path (absolute, or with '.', '..' or empty parts); "
                + "visdrop never leaves the folder it was given"
        case .tooLarge(let size, let limit):
            return
                "\(path) is \(size) bytes, over the limit of \(limit) bytes (raise max-file-bytes to accept it)"
        default:
            return "\(operation) \(path) failed: \(Self.reason(for: code))"
        }
    }

    /// The C library's text for an `errno` value.
    public static func reason(for code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}
