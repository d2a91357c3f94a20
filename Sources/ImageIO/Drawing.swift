/// Minimal drawing for visualisations (contact sheets, landmark overlays): anti-aliased dots,
/// crosses, pasting and integer upscaling. Coordinates are pixels with (0, 0) at the centre of the
/// top-left pixel; anything outside the image is clipped, never an error, because overlays of
/// predicted landmarks routinely fall off the frame.
extension RGBImage {
    public typealias Color = (r: UInt8, g: UInt8, b: UInt8)

    /// Blends `color` into pixel (x, y) with weight `alpha` (0…1); outside the image it does nothing.
    public mutating func blend(x: Int, y: Int, color: Color, alpha: Double) {
        guard x >= 0, x < width, y >= 0, y < height, alpha > 0 else { return }
        let a = min(alpha, 1)
        let i = (y * width + x) * 3
        func mix(_ old: UInt8, _ new: UInt8) -> UInt8 {
            UInt8((Double(old) + (Double(new) - Double(old)) * a).rounded())
        }
        pixels[i] = mix(pixels[i], color.r)
        pixels[i + 1] = mix(pixels[i + 1], color.g)
        pixels[i + 2] = mix(pixels[i + 2], color.b)
    }

    /// A filled disc of `radius` pixels centred at (x, y), with a one-pixel anti-aliased edge and an
    /// optional `outline` ring one pixel wide around it (so dots stay visible on any background).
    public mutating func drawDot(x: Double, y: Double, radius: Double, color: Color, outline: Color? = nil) {
        guard abs(x) < 1e9, abs(y) < 1e9, radius > 0, radius < 1e6 else { return }   // also rejects NaN
        let reach = radius + (outline == nil ? 1 : 2)
        let x0 = Int((x - reach).rounded(.down)), x1 = Int((x + reach).rounded(.up))
        let y0 = Int((y - reach).rounded(.down)), y1 = Int((y + reach).rounded(.up))
        for py in stride(from: max(0, y0), to: min(height, y1 + 1), by: 1) {
            for px in stride(from: max(0, x0), to: min(width, x1 + 1), by: 1) {
                let d = ((Double(px) - x) * (Double(px) - x) + (Double(py) - y) * (Double(py) - y)).squareRoot() - radius
                if let outline { blend(x: px, y: py, color: outline, alpha: min(max(1.5 - d, 0), 1)) }
                blend(x: px, y: py, color: color, alpha: min(max(0.5 - d, 0), 1))
            }
        }
    }

    /// An axis-aligned "+" of half-length `size` and the given line thickness, centred at (x, y).
    public mutating func drawCross(x: Double, y: Double, size: Double, thickness: Double = 1, color: Color) {
        guard abs(x) < 1e9, abs(y) < 1e9, size > 0, size < 1e6, thickness < 1e6 else { return }   // also rejects NaN
        let half = max(thickness, 1) / 2
        let x0 = Int((x - size).rounded(.down)), x1 = Int((x + size).rounded(.up))
        let y0 = Int((y - size).rounded(.down)), y1 = Int((y + size).rounded(.up))
        for py in stride(from: max(0, y0), to: min(height, y1 + 1), by: 1) {
            for px in stride(from: max(0, x0), to: min(width, x1 + 1), by: 1) {
                let dx = abs(Double(px) - x), dy = abs(Double(py) - y)
                let horizontal = min(max(half + 0.5 - dy, 0), 1) * min(max(size + 0.5 - dx, 0), 1)
                let vertical = min(max(half + 0.5 - dx, 0), 1) * min(max(size + 0.5 - dy, 0), 1)
                blend(x: px, y: py, color: color, alpha: max(horizontal, vertical))
            }
        }
    }

    /// Copies `image` with its top-left pixel at (`x`, `y`), clipped to this image.
    public mutating func paste(_ image: RGBImage, x: Int, y: Int) {
        guard image.isConsistent else { return }
        let cx0 = max(0, x), cx1 = min(width, x + image.width)
        guard cx0 < cx1 else { return }
        for row in stride(from: max(0, y), to: min(height, y + image.height), by: 1) {
            let src = ((row - y) * image.width + (cx0 - x)) * 3
            let dst = (row * width + cx0) * 3
            let n = (cx1 - cx0) * 3
            pixels.replaceSubrange(dst..<dst + n, with: image.pixels[src..<src + n])
        }
    }

    /// Nearest-neighbour upscaling by an integer `factor` (≥ 1; smaller values return a copy), for
    /// previews where blurring small images would hide what the network sees. A point at pixel
    /// coordinate p maps to `(p + 0.5)·factor − 0.5`.
    public func upscaled(by factor: Int) -> RGBImage {
        guard factor > 1, isConsistent else { return self }
        var out = [UInt8](repeating: 0, count: width * factor * height * factor * 3)
        let outWidth = width * factor
        for y in 0..<height * factor {
            let sy = y / factor
            for x in 0..<outWidth {
                let s = (sy * width + x / factor) * 3, d = (y * outWidth + x) * 3
                out[d] = pixels[s]; out[d + 1] = pixels[s + 1]; out[d + 2] = pixels[s + 2]
            }
        }
        return RGBImage(width: outWidth, height: height * factor, pixels: out)
    }
}
