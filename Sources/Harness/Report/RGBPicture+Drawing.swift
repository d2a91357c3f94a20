import ImageIO
import Landmarks
import Tensors

/// Drawing and encoding for report pictures. `RGBPicture` has `ImageIO.RGBImage`'s layout, so every
/// primitive moves the buffer into an `RGBImage`, draws there (one implementation of the pixel maths,
/// in ImageIO) and moves it back without copying. Coordinates are pixels, x right, y down, (0, 0) at the
/// top-left pixel's centre; anything outside the picture is clipped.
extension RGBPicture {
    public typealias Color = (r: UInt8, g: UInt8, b: UInt8)

    /// A solid picture.
    public init(width: Int, height: Int, fill: Color) {
        let image = RGBImage(width: max(width, 0), height: max(height, 0), fill: fill)
        self.init(width: image.width, height: image.height, pixels: image.pixels)
    }

    init(_ image: RGBImage) { self.init(width: image.width, height: image.height, pixels: image.pixels) }

    /// Whether `pixels` holds exactly width·height·3 bytes. The properties are mutable, so a picture
    /// can break the invariant its initialiser checks; the helpers then leave it alone (drawing), pass
    /// it over (composition) or throw (encoding) instead of trapping in `RGBImage`'s precondition.
    public var isConsistent: Bool {
        guard width >= 0, height >= 0 else { return false }
        let (area, o1) = width.multipliedReportingOverflow(by: height)
        let (count, o2) = area.multipliedReportingOverflow(by: 3)
        return !o1 && !o2 && pixels.count == count
    }

    /// The same buffer as an `RGBImage`, or nil when inconsistent.
    var image: RGBImage? { isConsistent ? RGBImage(width: width, height: height, pixels: pixels) : nil }

    /// Lends the pixel buffer to an `RGBImage` for `body`; the buffer is moved, not copied.
    private mutating func drawing(_ body: (inout RGBImage) -> Void) {
        guard isConsistent else { return }
        var image = RGBImage(width: width, height: height, pixels: pixels)
        pixels = []
        body(&image)
        pixels = image.pixels
    }

    /// Nearest-neighbour upscaling by an integer factor (≤ 1 returns the picture unchanged). A point at
    /// pixel coordinate p lands at `(p + 0.5)·factor − 0.5` (see `scaled(_:by:)`).
    public func upscaled(by factor: Int) -> RGBPicture { image.map { RGBPicture($0.upscaled(by: factor)) } ?? self }

    /// Where pixel coordinate `p` lands after `upscaled(by: factor)`.
    public static func scaled(_ p: (x: Double, y: Double), by factor: Int) -> (x: Double, y: Double) {
        let f = Double(max(factor, 1))
        return ((p.x + 0.5) * f - 0.5, (p.y + 0.5) * f - 0.5)
    }

    /// A filled disc with an anti-aliased edge and an optional one-pixel outline ring.
    public mutating func drawDisc(x: Double, y: Double, radius: Double, color: Color, outline: Color? = nil) {
        drawing { $0.drawDot(x: x, y: y, radius: radius, color: color, outline: outline) }
    }

    /// An axis-aligned "+" of half-length `size`.
    public mutating func drawCross(x: Double, y: Double, size: Double, thickness: Double = 1, color: Color) {
        drawing { $0.drawCross(x: x, y: y, size: size, thickness: thickness, color: color) }
    }

    /// A diagonal "×" of half-extent `size`: two segments, so it stays distinguishable from a "+".
    public mutating func drawSaltire(x: Double, y: Double, size: Double, thickness: Double = 1, color: Color) {
        drawing {
            $0.drawLine(x0: x - size, y0: y - size, x1: x + size, y1: y + size, thickness: thickness, color: color)
            $0.drawLine(x0: x - size, y0: y + size, x1: x + size, y1: y - size, thickness: thickness, color: color)
        }
    }

    /// A segment with round caps.
    public mutating func drawLine(from a: (x: Double, y: Double), to b: (x: Double, y: Double), thickness: Double = 1,
                                  color: Color) {
        drawing { $0.drawLine(x0: a.x, y0: a.y, x1: b.x, y1: b.y, thickness: thickness, color: color) }
    }

    /// Pictures left to right, top-aligned, separated by `gap` pixels of `background`.
    public static func sideBySide(_ pictures: [RGBPicture], gap: Int = 0,
                                  background: Color = (255, 255, 255)) -> RGBPicture {
        RGBPicture(RGBImage.sideBySide(pictures.compactMap(\.image), gap: gap, background: background))
    }

    /// PNG bytes (lossless; `ImageCodec.decode` gives the same pixels back).
    public func pngData() throws(ReportError) -> [UInt8] {
        guard let image else {
            throw .shape(what: "picture of \(pixels.count) bytes", expected: "width·height·3 bytes", got: [height, width, 3])
        }
        do { return try ImageCodec.encodePNG(image) } catch { throw .image(error) }
    }

    /// The smallest integer factor that makes the longer side at least `side` pixels (≥ 1).
    public func factor(toReach side: Int) -> Int {
        let longer = max(width, height)
        guard longer > 0, side > longer else { return 1 }
        return (side + longer - 1) / longer
    }
}

extension RGBPicture {
    /// A picture from a (3, H, W) or (1, 3, H, W) tensor whose values are 0…255 (the datasets' images
    /// before normalisation), rounded half to even and clamped.
    public init(image tensor: Tensor) throws(ReportError) {
        let (h, w) = try Self.imageSize(tensor, what: "image tensor")
        self.init(width: w, height: h, pixels: Self.interleave(tensor.storage, plane: h * w) { _, v in v })
    }

    /// A picture from a network input: a (3, H, W) or (1, 3, H, W) tensor normalised per channel as
    /// `(v/255 − mean[c]) / std[c]` (defaults: the DVE datasets' statistics), undone and rounded.
    public init(normalizedImage tensor: Tensor, mean: [Float] = WarpedImageConversion.mean,
                std: [Float] = WarpedImageConversion.std) throws(ReportError) {
        let (h, w) = try Self.imageSize(tensor, what: "normalised image tensor")
        guard mean.count == 3, std.count == 3 else {
            throw .shape(what: "normalisation mean/std", expected: "[3] each", got: [mean.count, std.count])
        }
        self.init(width: w, height: h, pixels: Self.interleave(tensor.storage, plane: h * w) { c, v in
            (v * std[c] + mean[c]) * 255
        })
    }

    private static func imageSize(_ tensor: Tensor, what: String) throws(ReportError) -> (Int, Int) {
        let s = tensor.shape
        guard (s.count == 3 || (s.count == 4 && s[0] == 1)), s[s.count - 3] == 3, s[s.count - 2] > 0,
              s[s.count - 1] > 0 else {
            throw .shape(what: what, expected: "[3, H, W] or [1, 3, H, W]", got: s)
        }
        if let bad = tensor.storage.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(what: what, where: bad) }
        return (s[s.count - 2], s[s.count - 1])
    }

    /// CHW floats → HWC bytes; `map(channel, value)` is applied before rounding and clamping.
    private static func interleave(_ values: [Float], plane: Int, _ map: (Int, Float) -> Float) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: values.count)
        for (i, v) in values.enumerated() {
            let c = i / plane, p = i % plane
            out[p * 3 + c] = UInt8(min(max(map(c, v).rounded(.toNearestOrEven), 0), 255))
        }
        return out
    }
}
