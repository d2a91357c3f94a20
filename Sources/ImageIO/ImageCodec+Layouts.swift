/// Internal encoders for sample layouts other than RGB (grayscale, alpha,
/// CMYK). They exist so tests can produce every kind of file the decoders
/// must accept without fixtures on disk; they are not public API.
extension ImageCodec {
    /// Encodes 1-channel 8-bit samples as a grayscale JPEG (`TJSAMP_GRAY`).
    static func encodeGrayscaleJPEG(
        _ luma: [UInt8], width: Int, height: Int, quality: Int = 95
    ) throws(ImageIOError) -> [UInt8] {
        try checkCount(luma, width: width, height: height, channels: 1, format: .jpeg)
        return try withSamples(luma) { (samples) throws(ImageIOError) in
            try TurboJPEG.encode(samples, width: width, height: height, layout: .gray, quality: quality,
                                 subsampling: .s444, destination: "<memory>")
        }
    }

    /// Encodes 4-channel samples as a CMYK JPEG, with the values stored as
    /// given (libjpeg writes an Adobe APP14 marker; readers like Pillow treat
    /// the data as inverted CMYK).
    static func encodeCMYKJPEG(
        _ cmyk: [UInt8], width: Int, height: Int, quality: Int = 95
    ) throws(ImageIOError) -> [UInt8] {
        try checkCount(cmyk, width: width, height: height, channels: 4, format: .jpeg)
        return try withSamples(cmyk) { (samples) throws(ImageIOError) in
            try TurboJPEG.encode(samples, width: width, height: height, layout: .cmyk, quality: quality,
                                 subsampling: .s444, destination: "<memory>")
        }
    }

    /// Encodes gray, gray+alpha, RGB or RGBA 8-bit samples as a PNG.
    static func encodePNG(
        samples: [UInt8], width: Int, height: Int, layout: LibPNG.Layout
    ) throws(ImageIOError) -> [UInt8] {
        try checkCount(samples, width: width, height: height, channels: layout.rawValue, format: .png)
        return try withSamples(samples) { (buffer) throws(ImageIOError) in
            try LibPNG.encode(buffer, width: width, height: height, layout: layout, destination: "<memory>")
        }
    }

    private static func checkCount(
        _ samples: [UInt8], width: Int, height: Int, channels: Int, format: ImageFormat
    ) throws(ImageIOError) {
        guard width > 0, height > 0, width * height <= maxPixelCount,
              samples.count == width * height * channels else {
            throw .encodeFailed(path: "<memory>", format: format,
                                message: "\(samples.count) samples do not match \(width)x\(height)x\(channels)")
        }
    }
}
