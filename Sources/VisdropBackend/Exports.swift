// What `import VisdropBackend` brings along: the modules and types that appear in the API of
// `LocalVisBackend`, so that one import is all a user of the library writes.
//
// - VisdropJSON: the scalar and config values (`JSONValue`, `JSONObject`, `JSONInteger`) and
//   `JSONRecordsError`.
// - VisdropNPY: the array `addImage` takes (`NPYArray`) and the `.npy` reader and writer.
// - VisdropPNG: the pixels `addImage` also takes (`PixelImage`), the encoder and its options
//   (`PNGEncoder`, `PNGFilter`, ...) that `LocalVisBackendOptions` holds, and its errors.
// - From VisdropConfigText and VisdropFileSystem, only the errors `LocalVisBackendError` wraps:
//   the config renderer and the file operations are the backend's business, not its users'.
@_exported public import VisdropJSON
@_exported public import VisdropNPY
@_exported public import VisdropPNG

@_exported public import enum VisdropConfigText.ConfigTextError
@_exported public import struct VisdropFileSystem.FileSystemError
