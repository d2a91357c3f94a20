internal import CTurboJPEG

/// The single gate to TurboJPEG. No other file in this module calls a `tj*`
/// function or sees a TurboJPEG type.
///
/// Thread safety: every call creates and destroys its own `tjhandle`, so there
/// is no shared mutable state. libjpeg's message text lives in a thread-local
/// buffer inside libjpeg-turbo (≥ 2.0); each public call runs start to end on
/// one thread with no suspension point, so it always reads its own message.
///
/// Decoding fidelity (to match the reference, Pillow + libjpeg(-turbo)):
/// - DCT: TurboJPEG decompresses with the accurate integer IDCT (ISLOW, the
///   libjpeg default Pillow uses) unless `TJFLAG_FASTDCT` is given; we pass
///   `TJFLAG_ACCURATEDCT` anyway to make the choice explicit.
/// - Chroma upsampling: "fancy" (smooth) upsampling, libjpeg's default, is
///   used unless `TJFLAG_FASTUPSAMPLE` is given; we never pass it.
/// - Colour conversion: libjpeg's own YCbCr→RGB and gray→RGB, as Pillow.
/// Hence bit-identical pixels to Pillow when both use the same libjpeg-turbo.
///
/// Encoding: TurboJPEG's *compressor* defaults to the fast DCT (IFAST), unlike
/// libjpeg/Pillow; we always pass `TJFLAG_ACCURATEDCT` (ISLOW) so output
/// matches `PIL.Image.save(..., quality=q, subsampling=...)`.
enum TurboJPEG {
    /// The libjpeg-turbo headers this build was compiled against: TurboJPEG has no run-time version call.
    static var headerVersion: String { String(cString: dve_libjpeg_turbo_version()) }

    /// Raw layout of samples handed to or returned by TurboJPEG.
    enum Layout {
        case rgb, gray, cmyk

        var pixelFormat: Int32 {
            switch self {
            case .rgb: return Int32(TJPF_RGB.rawValue)
            case .gray: return Int32(TJPF_GRAY.rawValue)
            case .cmyk: return Int32(TJPF_CMYK.rawValue)
            }
        }

        var channels: Int {
            switch self {
            case .rgb: return 3
            case .gray: return 1
            case .cmyk: return 4
            }
        }
    }

    // MARK: Decode

    /// Decodes `bytes` (already sniffed as JPEG) to interleaved RGB.
    ///
    /// CMYK/YCCK JPEGs are decoded to CMYK by libjpeg and then converted the
    /// way Pillow's `convert("RGB")` does (see `ColorConversion`).
    ///
    /// Warnings: TurboJPEG returns -1 for warnings as well as for errors (from
    /// `tjDecompressHeader3` too), and `tjGetErrorCode` only says whether a
    /// warning happened — not whether a fatal error followed it. Strict mode
    /// needs no more than that. Pillow-compatible mode decodes twice, each on
    /// a fresh handle: pass 1 stops at the first warning and records its
    /// text; pass 2 decodes through warnings. libjpeg prints only the first
    /// warning and a fatal error overwrites the text, so pass 2 ended with
    /// nothing but warnings exactly when its text still equals pass 1's.
    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, source: String, policy: JPEGWarningPolicy, maxPixels: Int
    ) throws(ImageIOError) -> RGBImage {
        let tolerant = policy == .tolerateRecoverable

        // Header: dimensions and colour space, before allocating anything.
        var width: Int32 = 0, height: Int32 = 0, subsampling: Int32 = 0, colorspace: Int32 = 0
        try withHandle(source: source) { (handle) throws(ImageIOError) in
            let status = tjDecompressHeader3(
                handle, bytes.baseAddress, UInt(bytes.count), &width, &height, &subsampling, &colorspace)
            // A header warning is re-checked by the passes below.
            if status != 0, !(tolerant && isWarning(handle) && width > 0 && height > 0) {
                throw failure(handle: handle, bytes: bytes, source: source, stage: "header")
            }
            if width <= 0 || height <= 0 {
                // TurboJPEG accepts a tables-only stream (SOI, tables, EOI — also
                // what libjpeg sees when the data ends early and it inserts a
                // fake EOI) and reports a 0x0 image.
                throw failure(handle: handle, bytes: bytes, source: source, stage: "header",
                              fallback: "no image frame (SOF/SOS) before the end of the data")
            }
        }
        let w = Int(width), h = Int(height)
        guard w * h <= maxPixels else {
            throw .dimensionsTooLarge(path: source, width: w, height: h, maxPixels: maxPixels)
        }
        let layout: Layout
        switch colorspace {
        case Int32(TJCS_CMYK.rawValue), Int32(TJCS_YCCK.rawValue): layout = .cmyk
        default: layout = .rgb // RGB, YCbCr and GRAY all convert to RGB inside libjpeg
        }

        var samples = [UInt8](repeating: 0, count: w * h * layout.channels)
        let flags = TJFLAG_ACCURATEDCT | TJFLAG_LIMITSCANS
        func decompress(_ handle: tjhandle, flags: Int32) -> Int32 {
            samples.withUnsafeMutableBufferPointer { dst in
                tjDecompress2(handle, bytes.baseAddress, UInt(bytes.count), dst.baseAddress,
                              width, width * Int32(layout.channels), height, layout.pixelFormat, flags)
            }
        }

        var firstWarning: String?
        try withHandle(source: source) { (handle) throws(ImageIOError) in
            guard decompress(handle, flags: flags | TJFLAG_STOPONWARNING) != 0 else { return }
            guard tolerant, isWarning(handle), StreamStructure.jpeg(bytes) == .complete else {
                throw failure(handle: handle, bytes: bytes, source: source, stage: "decode")
            }
            firstWarning = errorString(handle)
        }
        if let firstWarning {
            try withHandle(source: source) { (handle) throws(ImageIOError) in
                if decompress(handle, flags: flags) != 0,
                   !(isWarning(handle) && errorString(handle) == firstWarning) {
                    throw failure(handle: handle, bytes: bytes, source: source, stage: "decode")
                }
            }
        }

        switch layout {
        case .cmyk:
            return RGBImage(width: w, height: h, pixels: ColorConversion.pillowCMYKToRGB(samples))
        case .rgb, .gray:
            return RGBImage(width: w, height: h, pixels: samples)
        }
    }

    /// Runs `body` with a fresh decompression handle, destroyed afterwards.
    private static func withHandle(
        source: String, _ body: (tjhandle) throws(ImageIOError) -> Void
    ) throws(ImageIOError) {
        guard let handle = tjInitDecompress() else {
            throw .libraryFailure(path: source, message: "tjInitDecompress: \(globalErrorString())")
        }
        defer { tjDestroy(handle) }
        try body(handle)
    }

    /// Turns the handle's pending error into a typed error.
    ///
    /// libjpeg's text for the failure is in the handle's (thread-local) error
    /// string. `tjGetErrorCode` only says whether a *warning* happened during
    /// the call (a fatal error may follow one), so it is not used to classify;
    /// truncation is decided from the stream structure instead, because
    /// libjpeg reports it in several ways ("Premature end of JPEG file",
    /// "missing SOS marker", a tables-only 0x0 header, ...).
    ///
    /// `fallback` is used when the call "succeeded" without any message (the
    /// string would be stale from an earlier call on this thread).
    private static func failure(
        handle: tjhandle, bytes: UnsafeBufferPointer<UInt8>, source: String, stage: String,
        fallback: String? = nil
    ) -> ImageIOError {
        let message = fallback.map { isWarning(handle) ? "\($0); \(errorString(handle))" : $0 }
            ?? errorString(handle)
        let text = "libjpeg \(stage): \(message)"
        if StreamStructure.jpeg(bytes) == .ranOutOfData {
            return .truncatedData(path: source, format: .jpeg, message: text)
        }
        if message.contains("Unsupported color conversion") || message.contains("Unsupported JPEG process") {
            return .unsupported(path: source, message: text)
        }
        return .corruptData(path: source, format: .jpeg, message: text)
    }

    // MARK: Encode

    /// Encodes `width * height` pixels of `layout` with the given quality and
    /// subsampling (ignored for gray, which is always `TJSAMP_GRAY`).
    static func encode(
        _ samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int, layout: Layout,
        quality: Int, subsampling: JPEGChromaSubsampling, destination: String
    ) throws(ImageIOError) -> [UInt8] {
        guard let handle = tjInitCompress() else {
            throw .libraryFailure(path: destination, message: "tjInitCompress: \(globalErrorString())")
        }
        defer { tjDestroy(handle) }

        let samp: Int32
        switch (layout, subsampling) {
        case (.gray, _): samp = Int32(TJSAMP_GRAY.rawValue)
        case (_, .s444): samp = Int32(TJSAMP_444.rawValue)
        case (_, .s422): samp = Int32(TJSAMP_422.rawValue)
        case (_, .s420): samp = Int32(TJSAMP_420.rawValue)
        }
        var output: UnsafeMutablePointer<UInt8>? = nil
        var size: UInt = 0
        defer { if let output { tjFree(output) } }
        let status = tjCompress2(
            handle, samples.baseAddress, Int32(width), Int32(width * layout.channels), Int32(height),
            layout.pixelFormat, &output, &size, samp, Int32(quality), TJFLAG_ACCURATEDCT)
        guard status == 0, let output else {
            throw .encodeFailed(path: destination, format: .jpeg, message: "tjCompress2: \(errorString(handle))")
        }
        return Array(UnsafeBufferPointer(start: output, count: Int(size)))
    }

    // MARK: Error strings

    /// Whether a libjpeg warning occurred during the handle's last call.
    private static func isWarning(_ handle: tjhandle) -> Bool {
        tjGetErrorCode(handle) == Int32(TJERR_WARNING.rawValue)
    }

    private static func errorString(_ handle: tjhandle) -> String {
        guard let cString = tjGetErrorStr2(handle) else { return "unknown TurboJPEG error" }
        return String(cString: cString)
    }

    private static func globalErrorString() -> String {
        guard let cString = tjGetErrorStr2(nil) else { return "unknown TurboJPEG error" }
        return String(cString: cString)
    }
}
