internal import CPNG

/// The single gate to libpng. No other file in this module calls a `png_*`
/// function or sees a libpng type.
///
/// Only the simplified `png_image_*` API is used: it catches libpng's
/// longjmp-based errors inside libpng and reports them in `png_image.message`,
/// so no longjmp ever crosses a Swift frame. Each call owns its `png_image`
/// on the stack; there is no shared state.
///
/// Strictness: any libpng *warning* (e.g. a CRC error in an ancillary chunk)
/// is treated as an error, like a libjpeg warning. Pillow also rejects bad
/// chunk CRCs, and the benchmark must never silently accept damaged input.
///
/// Conversions on read (all done by libpng's simplified API, 8-bit sRGB out):
/// - gray → RGB by replication; palette → RGB via the palette;
/// - any alpha (RGBA, gray+alpha, palette with tRNS) is read as
///   non-premultiplied 8-bit RGBA and the alpha byte is **dropped**, leaving
///   the stored colour unchanged — exactly Pillow's `convert("RGB")`, which
///   does not composite either;
/// - 16-bit samples (assumed gamma-encoded, `PNG_IMAGE_FLAG_16BIT_sRGB`) are
///   reduced to `round(v * 255 / 65535)`; Pillow takes the high byte of
///   16-bit RGB (±1) and clips 16-bit gray;
/// - a gAMA chunk that is not sRGB-like makes libpng gamma-correct to sRGB,
///   which Pillow does not do. Neither case occurs in the benchmark data.
///
/// Also stricter than Pillow: a stream that ends before its IEND chunk is
/// `.truncatedData` (Pillow accepts a missing IEND).
enum LibPNG {
    /// The loaded libpng's own version string (run time, not the headers').
    static var version: String { png_get_libpng_ver(nil).map { String(cString: $0) } ?? "unknown" }

    /// Sample layouts accepted by `encode` (1–4 interleaved 8-bit channels).
    enum Layout: Int {
        case gray = 1, grayAlpha = 2, rgb = 3, rgba = 4

        var format: UInt32 {
            switch self {
            case .gray: return 0
            case .grayAlpha: return PNG_FORMAT_FLAG_ALPHA
            case .rgb: return PNG_FORMAT_FLAG_COLOR
            case .rgba: return PNG_FORMAT_FLAG_COLOR | PNG_FORMAT_FLAG_ALPHA
            }
        }
    }

    // MARK: Decode

    /// Decodes `bytes` (already sniffed as PNG) to interleaved 8-bit RGB.
    static func decode(
        _ bytes: UnsafeBufferPointer<UInt8>, source: String, maxPixels: Int
    ) throws(ImageIOError) -> RGBImage {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        defer { png_image_free(&image) }

        // libpng keeps `bytes` as its input until png_image_finish_read returns.
        guard png_image_begin_read_from_memory(&image, bytes.baseAddress, bytes.count) != 0 else {
            throw failure(image, bytes: bytes, source: source, stage: "header")
        }
        if image.warning_or_error != 0 { throw failure(image, bytes: bytes, source: source, stage: "header") }

        let w = Int(image.width), h = Int(image.height)
        guard w > 0, h > 0, w.multipliedReportingOverflow(by: h).partialValue <= maxPixels,
              w <= Int(Int32.max) / 4 else {
            throw .dimensionsTooLarge(path: source, width: w, height: h, maxPixels: maxPixels)
        }

        let hasAlpha = image.format & PNG_FORMAT_FLAG_ALPHA != 0
        let layout: Layout = hasAlpha ? .rgba : .rgb
        image.format = layout.format // 8-bit, not color-mapped: libpng expands palettes
        // 16-bit samples without gAMA/sRGB are gamma-encoded in practice; the
        // simplified API would otherwise assume linear light and re-encode them
        // to sRGB. (Set after begin_read, which zeroes the struct.)
        image.flags |= UInt32(PNG_IMAGE_FLAG_16BIT_sRGB)
        let rowBytes = w * layout.rawValue
        var samples = [UInt8](repeating: 0, count: rowBytes * h)
        let ok = samples.withUnsafeMutableBytes { dst in
            png_image_finish_read(&image, nil, dst.baseAddress, Int32(rowBytes), nil)
        }
        guard ok != 0, image.warning_or_error == 0 else {
            throw failure(image, bytes: bytes, source: source, stage: "data")
        }
        // libpng's simplified reader stops after the last row and never reads
        // IEND; a stream cut after the image data would otherwise pass.
        guard StreamStructure.png(bytes) == .complete else {
            throw .truncatedData(path: source, format: .png, message: "the data ends before the IEND chunk")
        }
        if hasAlpha {
            let rgb = samples.withUnsafeBufferPointer { ColorConversion.dropAlpha($0) }
            return RGBImage(width: w, height: h, pixels: rgb)
        }
        return RGBImage(width: w, height: h, pixels: samples)
    }

    /// Turns libpng's message into a typed error. libpng has no error codes,
    /// only text, so truncation is decided from the chunk structure.
    private static func failure(
        _ image: png_image, bytes: UnsafeBufferPointer<UInt8>, source: String, stage: String
    ) -> ImageIOError {
        let kind = image.warning_or_error & 0x3 == UInt32(PNG_IMAGE_WARNING) ? "warning" : "error"
        let text = "libpng \(kind) in \(stage): \(messageText(image))"
        if StreamStructure.png(bytes) == .ranOutOfData {
            return .truncatedData(path: source, format: .png, message: text)
        }
        return .corruptData(path: source, format: .png, message: text)
    }

    // MARK: Encode

    /// Encodes `width * height` pixels of `layout` as an 8-bit sRGB PNG
    /// (libpng default zlib level, no interlace).
    static func encode(
        _ samples: UnsafeBufferPointer<UInt8>, width: Int, height: Int, layout: Layout, destination: String
    ) throws(ImageIOError) -> [UInt8] {
        var image = png_image()
        image.version = UInt32(PNG_IMAGE_VERSION)
        image.width = UInt32(width)
        image.height = UInt32(height)
        image.format = layout.format
        defer { png_image_free(&image) }

        let rowBytes = width * layout.rawValue
        // Generous first guess (raw size + filter bytes + 1/16 + headers);
        // if libpng needs more it says how much, and we retry once.
        let raw = (rowBytes + 1) * height
        var capacity = raw + raw / 16 + 1024
        for _ in 0..<2 {
            var output = [UInt8](repeating: 0, count: capacity)
            var written = capacity
            let ok = output.withUnsafeMutableBytes { dst in
                png_image_write_to_memory(&image, dst.baseAddress, &written, 0,
                                          samples.baseAddress, Int32(rowBytes), nil)
            }
            if ok != 0 {
                output.removeSubrange(written...)
                return output
            }
            guard written > capacity else { break } // a real error, not "buffer too small"
            capacity = written
            image.warning_or_error = 0
        }
        throw .encodeFailed(path: destination, format: .png,
                            message: "png_image_write_to_memory: \(messageText(image))")
    }

    // MARK: Helpers

    /// `png_image.message` (a NUL-terminated `char[64]`) as a Swift string.
    private static func messageText(_ image: png_image) -> String {
        withUnsafeBytes(of: image.message) { raw in
            let text = String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            return text.isEmpty ? "no message from libpng" : text
        }
    }
}
