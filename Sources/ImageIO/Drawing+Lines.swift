/// Line segments and side-by-side composition for visualisations (match figures draw the error of a
/// landmark as a segment from its true to its matched position). Same conventions as `Drawing.swift`:
/// pixel coordinates with (0, 0) at the top-left pixel's centre, clipping instead of errors.
extension RGBImage {
    /// A segment from (x0, y0) to (x1, y1) of the given `thickness`, with round caps and a one-pixel
    /// anti-aliased edge: a pixel's coverage is `thickness/2 + 0.5 − distance to the segment`, clamped to
    /// 0…1. A zero-length segment draws a dot of diameter `thickness`.
    public mutating func drawLine(x0: Double, y0: Double, x1: Double, y1: Double, thickness: Double = 1,
                                  color: Color) {
        // Also rejects NaN and coordinates whose bounding box would not fit an Int.
        guard [x0, y0, x1, y1].allSatisfy({ abs($0) < 1e9 }), thickness > 0, thickness < 1e6 else { return }
        let half = thickness / 2
        let reach = half + 1
        let left = max(0, Int((min(x0, x1) - reach).rounded(.down)))
        let right = min(width - 1, Int((max(x0, x1) + reach).rounded(.up)))
        let top = max(0, Int((min(y0, y1) - reach).rounded(.down)))
        let bottom = min(height - 1, Int((max(y0, y1) + reach).rounded(.up)))
        guard left <= right, top <= bottom else { return }
        let dx = x1 - x0, dy = y1 - y0
        let lengthSquared = dx * dx + dy * dy
        for py in top...bottom {
            for px in left...right {
                let qx = Double(px) - x0, qy = Double(py) - y0
                // Projection onto the segment, clamped to its ends (round caps).
                let t = lengthSquared > 0 ? min(max((qx * dx + qy * dy) / lengthSquared, 0), 1) : 0
                let ex = qx - t * dx, ey = qy - t * dy
                let distance = (ex * ex + ey * ey).squareRoot()
                blend(x: px, y: py, color: color, alpha: min(max(half + 0.5 - distance, 0), 1))
            }
        }
    }

    /// `images` left to right, top-aligned, `gap` pixels of `background` between them; the height is the
    /// tallest image's. An empty list gives a 0×0 image.
    public static func sideBySide(_ images: [RGBImage], gap: Int = 0,
                                  background: Color = (255, 255, 255)) -> RGBImage {
        let usable = images.filter(\.isConsistent)
        guard !usable.isEmpty else { return RGBImage(width: 0, height: 0) }
        let spacing = max(gap, 0)
        let width = usable.reduce(0) { $0 + $1.width } + spacing * (usable.count - 1)
        let height = usable.map(\.height).max() ?? 0
        var out = RGBImage(width: width, height: height, fill: background)
        var x = 0
        for image in usable {
            out.paste(image, x: x, y: 0)
            x += image.width + spacing
        }
        return out
    }
}
