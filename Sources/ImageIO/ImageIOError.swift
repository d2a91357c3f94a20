/// Everything that can go wrong while reading, decoding, encoding or writing
/// an image.
///
/// Every case names the file it is about (`path`), or `"<memory>"` when the
/// bytes did not come from a file, because a benchmark run touches tens of
/// thousands of dataset images and "corrupt JPEG" without a path is useless.
/// Where the C library said something, its own words are kept in `message`
/// (TurboJPEG's `tjGetErrorStr2`, libpng's `png_image.message`).
public enum ImageIOError: Error, CustomStringConvertible, Sendable, Equatable {
    /// The file could not be opened or read: missing, not permitted, a
    /// directory, an I/O error, or larger than ``ImageCodec/maxFileBytes``.
    /// `reason` is the `strerror` text or a short explanation.
    case unreadableFile(path: String, reason: String)
    /// There were zero bytes to decode.
    case emptyData(path: String)
    /// The leading bytes are neither a JPEG (`FF D8 FF`) nor a PNG signature.
    /// `leadingBytes` holds up to the first 8 bytes, for the message.
    case unknownFormat(path: String, leadingBytes: [UInt8])
    /// The data ends before the image does (e.g. libjpeg's "Premature end of
    /// JPEG file", which libjpeg itself only treats as a warning).
    case truncatedData(path: String, format: ImageFormat, message: String)
    /// The data is damaged or not a valid stream of the sniffed format,
    /// including any recoverable libjpeg/libpng warning (see
    /// ``JPEGWarningPolicy``).
    case corruptData(path: String, format: ImageFormat, message: String)
    /// Well-formed, but something this module does not handle (e.g. an
    /// unknown output file extension, or a JPEG colour space TurboJPEG cannot
    /// convert).
    case unsupported(path: String, message: String)
    /// The header announces more than `maxPixels` pixels (or a zero side);
    /// refused before any pixel buffer is allocated.
    case dimensionsTooLarge(path: String, width: Int, height: Int, maxPixels: Int)
    /// Encoding failed: invalid image (pixel count does not match its size,
    /// zero size), invalid quality, or the encoder's own error.
    case encodeFailed(path: String, format: ImageFormat, message: String)
    /// Creating, writing, syncing or renaming the output file failed.
    case writeFailed(path: String, reason: String)
    /// The codec library could not even start (e.g. `tjInitDecompress`
    /// returned NULL, i.e. out of memory). Not a property of the input.
    case libraryFailure(path: String, message: String)

    /// The file path the error is about, or `"<memory>"`.
    public var path: String {
        switch self {
        case .unreadableFile(let path, _), .emptyData(let path), .unknownFormat(let path, _),
             .truncatedData(let path, _, _), .corruptData(let path, _, _), .unsupported(let path, _),
             .dimensionsTooLarge(let path, _, _, _), .encodeFailed(let path, _, _),
             .writeFailed(let path, _), .libraryFailure(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .unreadableFile(let path, let reason):
            return "cannot read image file \(path): \(reason)"
        case .emptyData(let path):
            return "cannot decode image \(path): it is empty (0 bytes)"
        case .unknownFormat(let path, let leadingBytes):
            let hex = leadingBytes.map { byte in
                let digits = String(byte, radix: 16)
                return digits.count == 1 ? "0" + digits : digits
            }.joined(separator: " ")
            return "cannot decode image \(path): unknown format (leading bytes: \(hex)); expected JPEG or PNG"
        case .truncatedData(let path, let format, let message):
            return "cannot decode \(format) \(path): data is truncated (\(message))"
        case .corruptData(let path, let format, let message):
            return "cannot decode \(format) \(path): data is corrupt (\(message))"
        case .unsupported(let path, let message):
            return "unsupported image \(path): \(message)"
        case .dimensionsTooLarge(let path, let width, let height, let maxPixels):
            return "refusing image \(path): \(width)x\(height) is outside 1...\(maxPixels) pixels"
        case .encodeFailed(let path, let format, let message):
            return "cannot encode \(format) for \(path): \(message)"
        case .writeFailed(let path, let reason):
            return "cannot write image file \(path): \(reason)"
        case .libraryFailure(let path, let message):
            return "image library failure while processing \(path): \(message)"
        }
    }
}
