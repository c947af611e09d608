// libFuzzer target: arbitrary bytes -> NPYReader.
//
// Checks that reading never crashes, and that whatever reads successfully is consistent and survives
// a round trip through NPYWriter: header and array agree, the data has exactly the size the shape
// implies, and read(encode(array)) gives the same array back. Reading in two steps, as the agent does
// (readHeader on the bytes before the data, checkDataSize, read(header:data:) on the data section),
// gives the same header and the same array or error as reading the whole file. Any violation calls fatalError so that
// libFuzzer records the input as a crash. Build and run with `scripts/fuzz FuzzNPY SECONDS`.
import VisdropNPY

/// libFuzzer calls this once per input: the `count` bytes at `start`; always returns 0.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzNPY(_ start: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
    let bytes = start.map { [UInt8](UnsafeBufferPointer(start: $0, count: count)) } ?? []
    let reader = NPYReader()
    let header: NPYHeader
    do {
        header = try reader.readHeader(bytes)
    } catch {
        // A file whose header fails cannot read either, and must fail with the same error.
        do {
            _ = try reader.read(bytes)
            fatalError("read succeeded where readHeader failed with \(error)")
        } catch let readError {
            guard readError == error else {
                fatalError("readHeader failed with \(error) but read failed with \(readError)")
            }
        }
        _ = error.description
        return 0
    }
    checkHeader(header, fileSize: bytes.count)
    let whole = Result { () throws(NPYError) in try reader.read(bytes) }
    checkTwoStepRead(bytes, header: header, reader: reader, matches: whole)
    let array: NPYArray
    switch whole {
    case .success(let read): array = read
    case .failure(let error):
        _ = error.description
        return 0
    }
    checkArray(array, matches: header)
    checkRoundTrip(array, reader: reader)
    return 0
}

/// A header that parsed describes a data section that fits its own bookkeeping.
private func checkHeader(_ header: NPYHeader, fileSize: Int) {
    guard header.dataOffset > 0, header.dataOffset <= fileSize else {
        fatalError("data offset \(header.dataOffset) outside a file of \(fileSize) bytes")
    }
    var product = 1
    var overflowed = false
    for dimension in header.shape {
        let step = product.multipliedReportingOverflow(by: dimension)
        product = step.partialValue
        overflowed = overflowed || step.overflow
    }
    let byteCount = header.elementCount.multipliedReportingOverflow(by: header.elementType.byteWidth)
    guard header.shape.allSatisfy({ $0 >= 0 }), !overflowed, product == header.elementCount,
        !byteCount.overflow, byteCount.partialValue == header.dataByteCount
    else {
        fatalError(
            "inconsistent header: shape \(header.shape), \(header.elementCount) elements, "
                + "\(header.dataByteCount) data bytes of \(header.elementType)")
    }
}

/// Reading the header from the bytes before the data, then the data section alone, agrees with `whole`.
private func checkTwoStepRead(
    _ bytes: [UInt8], header: NPYHeader, reader: NPYReader, matches whole: Result<NPYArray, NPYError>
) {
    let split = Result { () throws(NPYError) -> NPYArray in
        let prefixHeader = try reader.readHeader(Array(bytes[..<header.dataOffset]))
        guard prefixHeader == header else {
            fatalError("the header read from the bytes before the data differs from the whole file's")
        }
        try reader.checkDataSize(prefixHeader, fileSize: bytes.count)
        return try reader.read(header: prefixHeader, data: Array(bytes[header.dataOffset...]))
    }
    switch (whole, split) {
    case (.success(let array), .success(let splitArray)) where array == splitArray: return
    case (.failure(let error), .failure(let splitError)) where error == splitError: return
    default: fatalError("reading in two steps gave \(split), reading the whole file \(whole)")
    }
}

/// An array that read agrees with its header and has exactly the data its shape implies.
private func checkArray(_ array: NPYArray, matches header: NPYHeader) {
    guard array.shape == header.shape, array.elementType == header.elementType else {
        fatalError("array \(array.shape) \(array.elementType) differs from header \(header.shape)")
    }
    guard array.data.count == header.dataByteCount, array.count == header.elementCount else {
        fatalError("array holds \(array.data.count) bytes, header promised \(header.dataByteCount)")
    }
    if array.elementType == .bool, !array.data.allSatisfy({ $0 <= 1 }) {
        fatalError("boolean array holds bytes other than 0 and 1")
    }
    guard array.doubleValues().count == array.count else {
        fatalError("doubleValues() does not give one value per element")
    }
}

/// Writing an array and reading it back gives the same array.
private func checkRoundTrip(_ array: NPYArray, reader: NPYReader) {
    let encoded = NPYWriter.encode(array)
    do {
        let reread = try reader.read(encoded)
        guard reread == array else {
            fatalError("round trip changed \(array.shape) \(array.elementType) array")
        }
    } catch {
        fatalError("NPYWriter output does not read back: \(error)")
    }
}
