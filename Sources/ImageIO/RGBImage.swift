/// An 8-bit sRGB image: row-major, interleaved R, G, B, 3 bytes per pixel,
/// no padding between rows, origin at the top-left.
///
/// This is the layout Pillow gives for `np.asarray(img.convert("RGB"))`
/// (HWC, uint8), so pixel buffers can be compared byte for byte with the
/// Python reference.
///
/// Invariant: `pixels.count == width * height * 3`. The initialisers check it;
/// since the properties are mutable, the encoders check it again and throw
/// instead of trusting it.
public struct RGBImage: Sendable, Equatable, Hashable {
    public var width: Int
    public var height: Int
    /// `pixels[(y * width + x) * 3 + c]`, c = 0 (R), 1 (G), 2 (B).
    public var pixels: [UInt8]

    /// Wraps an existing pixel buffer.
    ///
    /// - Precondition: `width >= 0`, `height >= 0`, and
    ///   `pixels.count == width * height * 3` (a caller bug, not bad input).
    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        let (area, o1) = width.multipliedReportingOverflow(by: height)
        let (count, o2) = area.multipliedReportingOverflow(by: 3)
        precondition(!o1 && !o2 && pixels.count == count,
                     "RGBImage: \(pixels.count) bytes given for \(width)x\(height)x3")
        self.width = width
        self.height = height
        self.pixels = pixels
    }

    /// An image of one solid colour (black by default).
    ///
    /// - Precondition: `width >= 0`, `height >= 0`.
    public init(width: Int, height: Int, fill: (r: UInt8, g: UInt8, b: UInt8) = (0, 0, 0)) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        var pixels = [UInt8](repeating: 0, count: width * height * 3)
        if fill != (0, 0, 0) {
            pixels.withUnsafeMutableBufferPointer { buffer in
                var i = 0
                while i < buffer.count {
                    buffer[i] = fill.r
                    buffer[i + 1] = fill.g
                    buffer[i + 2] = fill.b
                    i += 3
                }
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    /// Number of pixels, `width * height`.
    public var pixelCount: Int { width * height }

    /// The pixel at column `x`, row `y` (0-based, from the top-left).
    ///
    /// - Precondition: `0 <= x < width`, `0 <= y < height`.
    public subscript(x x: Int, y y: Int) -> (r: UInt8, g: UInt8, b: UInt8) {
        get {
            let i = offset(x: x, y: y)
            return (pixels[i], pixels[i + 1], pixels[i + 2])
        }
        set {
            let i = offset(x: x, y: y)
            pixels[i] = newValue.r
            pixels[i + 1] = newValue.g
            pixels[i + 2] = newValue.b
        }
    }

    @inline(__always)
    private func offset(x: Int, y: Int) -> Int {
        precondition(x >= 0 && x < width && y >= 0 && y < height,
                     "RGBImage: pixel (\(x), \(y)) outside \(width)x\(height)")
        return (y * width + x) * 3
    }

    /// Whether the pixel count matches the size; the encoders refuse images
    /// for which this is false.
    var isConsistent: Bool {
        guard width >= 0, height >= 0 else { return false }
        let (area, o1) = width.multipliedReportingOverflow(by: height)
        let (count, o2) = area.multipliedReportingOverflow(by: 3)
        return !o1 && !o2 && pixels.count == count
    }
}
