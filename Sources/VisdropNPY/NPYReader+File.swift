#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

extension NPYReader {
    /// Reads the `.npy` file at `path`, refusing symbolic links and anything but regular files.
    ///
    /// The header is read and checked first, so an oversized or inconsistent file is rejected
    /// before its data is read.
    public func read(contentsOf path: String) throws(NPYError) -> NPYArray {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK)
        guard descriptor >= 0 else { throw unreadable(path, errno) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw unreadable(path, errno) }
        guard (status.st_mode & S_IFMT) == S_IFREG else {
            throw .unreadableFile(path: path, reason: "not a regular file")
        }
        let fileSize = Int(status.st_size)
        let prefixLength = min(fileSize, NPYHeader.magic.count + 6 + limits.maximumHeaderLength)
        var prefix = [UInt8](repeating: 0, count: prefixLength)
        if let failure = prefix.withUnsafeMutableBytes({ readFully(descriptor, into: $0, path: path) }) {
            throw failure
        }
        let header = try readHeader(prefix)
        try checkDataSize(header, fileSize: fileSize)
        // The data goes straight into its final array; the prefix may already hold its beginning.
        let dataInPrefix = prefixLength - header.dataOffset
        var failure: NPYError?
        let data = [UInt8](unsafeUninitializedCapacity: header.dataByteCount) { buffer, initializedCount in
            let destination = UnsafeMutableRawBufferPointer(buffer)
            prefix.withUnsafeBytes { raw in
                destination.copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[header.dataOffset...]))
            }
            let suffix = UnsafeMutableRawBufferPointer(rebasing: destination[dataInPrefix...])
            failure = readFully(descriptor, into: suffix, path: path)
            initializedCount = failure == nil ? header.dataByteCount : 0
        }
        if let failure { throw failure }
        let normalized = NPYLayoutConverter.normalize(
            owned: data, elementType: header.elementType, shape: header.shape,
            isFortranOrder: header.isFortranOrder, isBigEndian: header.isBigEndian)
        return NPYArray(normalizedElementType: header.elementType, shape: header.shape, data: normalized)
    }

    /// Fills `buffer` from `descriptor`, retrying interrupted and short reads; returns the failure if any.
    private func readFully(_ descriptor: Int32, into buffer: UnsafeMutableRawBufferPointer, path: String)
        -> NPYError?
    {
        var total = 0
        while total < buffer.count {
            let result = readFromDescriptor(
                descriptor, buffer.baseAddress.map { $0 + total }, buffer.count - total)
            if result > 0 {
                total += result
            } else if result == 0 {
                return .unreadableFile(
                    path: path, reason: "the file shrank while being read (it is still being written)")
            } else if errno != EINTR {
                return unreadable(path, errno)
            }
        }
        return nil
    }

    private func unreadable(_ path: String, _ code: Int32) -> NPYError {
        .unreadableFile(path: path, reason: String(cString: strerror(code)))
    }
}

/// The system's `read(2)`, named apart from `NPYReader.read`.
private func readFromDescriptor(_ descriptor: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int
{
    #if canImport(Glibc)
        Glibc.read(descriptor, buffer, count)
    #elseif canImport(Musl)
        Musl.read(descriptor, buffer, count)
    #else
        Darwin.read(descriptor, buffer, count)
    #endif
}
