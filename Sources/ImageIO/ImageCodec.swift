/// How JPEG decoding treats libjpeg *warnings* (recoverable problems after
/// which libjpeg still produces an image, e.g. "Corrupt JPEG data: 3
/// extraneous bytes before marker 0xd9" or "Premature end of JPEG file").
public enum JPEGWarningPolicy: Sendable, Equatable {
    /// Default: any warning fails the decode (`TJFLAG_STOPONWARNING`, and
    /// TurboJPEG's -1 return is never ignored). Truncation becomes
    /// `.truncatedData`, every other warning `.corruptData`.
    case reject
    /// Pillow's behaviour: Pillow ignores libjpeg warnings but raises "image
    /// file is truncated" when the data runs out. So: truncation (libjpeg's
    /// "Premature end of JPEG file", or no EOI marker after the scans) is
    /// still `.truncatedData`, but other warnings are tolerated and the
    /// image libjpeg recovered is returned. Fatal libjpeg errors still throw.
    case tolerateRecoverable
}

/// Chroma subsampling for JPEG encoding.
public enum JPEGChromaSubsampling: Sendable, Equatable {
    /// No chroma subsampling (TurboJPEG `TJSAMP_444`).
    case s444
    /// Horizontal 2:1 (`TJSAMP_422`).
    case s422
    /// 2:1 both ways (`TJSAMP_420`); Pillow's default for `save(..., "JPEG")`.
    case s420
}

/// Decoding and encoding of JPEG and PNG images to and from `RGBImage`.
///
/// All functions are pure apart from file I/O, keep no state between calls
/// and are safe to call concurrently from any thread.
///
/// Every failure is an ``ImageIOError`` naming the file (or `"<memory>"`);
/// nothing in the input can make these functions trap.
public enum ImageCodec {
    /// Largest accepted image, in pixels (2^28 ≈ 268 M, i.e. 805 MB as RGB).
    /// Checked against the header before any pixel buffer is allocated.
    public static let maxPixelCount = 1 << 28

    /// Largest file `decodeFile` reads, in bytes (1 GiB).
    public static let maxFileBytes = 1 << 30

    // MARK: Decoding

    /// Decodes a JPEG or PNG held in memory to 8-bit RGB.
    ///
    /// The format is sniffed from the magic bytes (see ``ImageFormat/detect(_:)``).
    /// Conversions, all matching Pillow's `Image.open(...).convert("RGB")`:
    /// - grayscale JPEG/PNG → R = G = B;
    /// - palette PNG → RGB through the palette;
    /// - PNG alpha (RGBA, gray+alpha, tRNS) → **dropped**, colour kept as
    ///   stored (no compositing on any background);
    /// - CMYK/YCCK JPEG → RGB by Pillow's formula (inverted-CMYK assumption,
    ///   no ICC colour management).
    ///
    /// JPEG decoding uses libjpeg's accurate integer IDCT (ISLOW) and fancy
    /// chroma upsampling — the libjpeg defaults Pillow uses — so pixels are
    /// bit-identical to Pillow's when both link the same libjpeg-turbo.
    ///
    /// Stricter than Pillow by default: any libjpeg or libpng warning is an
    /// error (pass `.tolerateRecoverable` for Pillow's JPEG behaviour), and a
    /// PNG that ends before its IEND chunk is `.truncatedData`.
    ///
    /// - Parameters:
    ///   - bytes: the encoded file contents.
    ///   - source: what to call the data in errors; a path, or `"<memory>"`.
    ///   - jpegWarnings: see ``JPEGWarningPolicy``; strict by default.
    /// - Throws: `.emptyData`, `.unknownFormat`, `.truncatedData`,
    ///   `.corruptData`, `.unsupported`, `.dimensionsTooLarge`, `.libraryFailure`.
    public static func decode(
        _ bytes: [UInt8], source: String = "<memory>", jpegWarnings: JPEGWarningPolicy = .reject
    ) throws(ImageIOError) -> RGBImage {
        guard !bytes.isEmpty else { throw .emptyData(path: source) }
        guard let format = ImageFormat.detect(bytes) else {
            throw .unknownFormat(path: source, leadingBytes: Array(bytes.prefix(8)))
        }
        // withUnsafeBufferPointer's closure cannot carry a typed throw through
        // a rethrows boundary, so the result travels as a Result.
        let result: Result<RGBImage, ImageIOError> = bytes.withUnsafeBufferPointer { buffer in
            do throws(ImageIOError) {
                switch format {
                case .jpeg:
                    return .success(try TurboJPEG.decode(buffer, source: source, policy: jpegWarnings,
                                                         maxPixels: maxPixelCount))
                case .png:
                    return .success(try LibPNG.decode(buffer, source: source, maxPixels: maxPixelCount))
                }
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Reads and decodes the JPEG or PNG file at `path` (format sniffed from
    /// the contents, not the extension). Errors name `path`.
    ///
    /// - Throws: `.unreadableFile` (missing, permissions, directory, larger
    ///   than ``maxFileBytes``) and everything ``decode(_:source:jpegWarnings:)`` throws.
    public static func decodeFile(
        atPath path: String, jpegWarnings: JPEGWarningPolicy = .reject
    ) throws(ImageIOError) -> RGBImage {
        let bytes = try FileIO.readAll(path: path, maxBytes: maxFileBytes)
        return try decode(bytes, source: path, jpegWarnings: jpegWarnings)
    }

    // MARK: Encoding

    /// Encodes `image` as a baseline JFIF JPEG with the accurate integer DCT
    /// (ISLOW, as libjpeg/Pillow; TurboJPEG would default to the fast one).
    ///
    /// Subsampling defaults to 4:4:4, not Pillow's 4:2:0: previews draw thin
    /// coloured landmark markers, which 4:2:0 visibly smears. Pass `.s420` to
    /// reproduce `PIL.Image.save(path, quality=q)` byte for byte.
    ///
    /// - Parameters:
    ///   - quality: libjpeg quality, 1...100.
    ///   - destination: what to call the output in errors.
    /// - Throws: `.encodeFailed` (inconsistent or empty image, more than
    ///   ``maxPixelCount`` pixels, a side over 65 535, quality out of range,
    ///   or TurboJPEG's own error), `.libraryFailure`.
    public static func encodeJPEG(
        _ image: RGBImage, quality: Int = 95, subsampling: JPEGChromaSubsampling = .s444,
        destination: String = "<memory>"
    ) throws(ImageIOError) -> [UInt8] {
        guard (1...100).contains(quality) else {
            throw .encodeFailed(path: destination, format: .jpeg, message: "quality \(quality) is outside 1...100")
        }
        try validate(image, format: .jpeg, destination: destination)
        guard image.width <= 65_535, image.height <= 65_535 else {
            throw .encodeFailed(path: destination, format: .jpeg,
                                message: "\(image.width)x\(image.height) exceeds JPEG's 65535-pixel side limit")
        }
        return try withSamples(image.pixels) { (samples) throws(ImageIOError) in
            try TurboJPEG.encode(samples, width: image.width, height: image.height, layout: .rgb,
                                 quality: quality, subsampling: subsampling, destination: destination)
        }
    }

    /// Encodes `image` as an 8-bit RGB PNG (lossless; decoding gives the same
    /// pixels back). libpng tags it sRGB.
    ///
    /// - Throws: `.encodeFailed` (inconsistent or empty image, more than
    ///   ``maxPixelCount`` pixels, or libpng's message).
    public static func encodePNG(_ image: RGBImage, destination: String = "<memory>") throws(ImageIOError) -> [UInt8] {
        try validate(image, format: .png, destination: destination)
        return try withSamples(image.pixels) { (samples) throws(ImageIOError) in
            try LibPNG.encode(samples, width: image.width, height: image.height, layout: .rgb,
                              destination: destination)
        }
    }

    /// Encodes `image` in the format named by the path's extension (`.jpg`,
    /// `.jpeg` → JPEG with `jpegQuality` and `jpegSubsampling`; `.png` → PNG;
    /// case-insensitive) and writes it atomically: a temporary file in the
    /// same directory, fsync, then rename over `path`. An existing file is
    /// replaced; readers never see a partial file; no temporary file is left
    /// behind on failure. The new file has mode 0644.
    ///
    /// - Throws: `.unsupported` for another extension, the encoders' errors,
    ///   `.writeFailed` (directory missing, permissions, disk full, ...).
    public static func write(
        _ image: RGBImage, toPath path: String, jpegQuality: Int = 95,
        jpegSubsampling: JPEGChromaSubsampling = .s444
    ) throws(ImageIOError) {
        let bytes: [UInt8]
        switch ImageFormat.fromPathExtension(path) {
        case .jpeg:
            bytes = try encodeJPEG(image, quality: jpegQuality, subsampling: jpegSubsampling, destination: path)
        case .png: bytes = try encodePNG(image, destination: path)
        case nil:
            throw .unsupported(path: path, message: "cannot tell the output format from the extension; use .jpg, .jpeg or .png")
        }
        try FileIO.writeAtomically(bytes, toPath: path)
    }

    // MARK: Internals

    static func validate(_ image: RGBImage, format: ImageFormat, destination: String) throws(ImageIOError) {
        guard image.isConsistent else {
            throw .encodeFailed(path: destination, format: format,
                                message: "\(image.pixels.count) bytes do not match \(image.width)x\(image.height)x3")
        }
        guard image.width > 0, image.height > 0, image.pixelCount <= maxPixelCount else {
            throw .encodeFailed(path: destination, format: format,
                                message: "\(image.width)x\(image.height) is outside 1...\(maxPixelCount) pixels")
        }
    }

    /// Runs a typed-throwing body over the samples' buffer.
    static func withSamples<T>(
        _ samples: [UInt8], _ body: (UnsafeBufferPointer<UInt8>) throws(ImageIOError) -> T
    ) throws(ImageIOError) -> T {
        let result: Result<T, ImageIOError> = samples.withUnsafeBufferPointer { buffer in
            do throws(ImageIOError) { return .success(try body(buffer)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}
