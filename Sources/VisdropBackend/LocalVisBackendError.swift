public import VisdropConfigText
public import VisdropFileSystem
public import VisdropJSON
public import VisdropPNG

/// Why a `LocalVisBackend` call could not store its data.
public enum LocalVisBackendError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The config file name does not end in `.py`.
    case invalidConfigSaveFile(String)
    /// The scalar file name does not end in `.json`.
    case invalidScalarSaveFile(String)
    /// An `addScalars` `filePath` that is not a `.json` file inside the save directory.
    case invalidFilePath(String, reason: String)
    /// Scalar records given as JSON text that is not one object or JSON Lines of objects.
    case records(JSONRecordsError)
    /// An image name that cannot be part of a file name.
    case invalidImageName(String)
    /// The array cannot be turned into an image.
    case image(ImageConversionError)
    /// libpng failed to encode the image.
    case png(PNGError)
    /// The config cannot be written as loadable Python.
    case config(ConfigTextError)
    /// Writing to disk failed.
    case fileSystem(FileSystemError)

    /// What went wrong and what the caller can do.
    public var description: String {
        switch self {
        case .invalidConfigSaveFile(let name):
            return "config_save_file '\(name)' must end in .py (mmengine writes the config as Python)"
        case .invalidScalarSaveFile(let name):
            return "scalar_save_file '\(name)' must end in .json"
        case .invalidFilePath(let path, let reason):
            return "file_path '\(path)' \(reason)"
        case .invalidImageName(let name):
            return
                "image name '\(name)' cannot contain '/' or NUL: it becomes the file name {name}_{step}.png"
        case .records(let error): return error.description
        case .image(let error): return error.description
        case .png(let error): return error.description
        case .config(let error): return error.description
        case .fileSystem(let error): return error.description
        }
    }
}
