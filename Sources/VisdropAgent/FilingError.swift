import VisdropFileSystem

/// Why filing one file failed: its content, or the file system.
enum FilingError: Error, CustomStringConvertible {
    case content(String)
    case fileSystem(FileSystemError)

    var description: String {
        switch self {
        case .content(let reason): return reason
        case .fileSystem(let error): return error.description
        }
    }
}
