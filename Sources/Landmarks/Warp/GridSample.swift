import Tensors

/// Which pixel positions the normalised coordinates ±1 denote in `grid_sample` (golden README quirk Q1).
///
/// The reference calls `F.grid_sample(input, grid)` without `align_corners`. PyTorch 1.1, which trained
/// the paper's models, behaved like `true`; PyTorch ≥ 1.3 defaults to `false`, which is what the
/// unmodified reference does on a newer PyTorch. The difference is about half a pixel (up to ~16 grey
/// levels on a face image), so `true` is the default everywhere here.
public enum AlignCorners: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// −1 and +1 are the centres of the first and last pixel: `px = ((g + 1) / 2) · (W − 1)`.
    /// This matches `tps_grid`'s `linspace(−1, 1)` grids, so the identity grid reproduces the image.
    case `true`
    /// −1 and +1 are the outer edges of the first and last pixel: `px = ((g + 1) · W − 1) / 2`.
    case `false`

    public var description: String { self == .true ? "align_corners=True" : "align_corners=False" }
}

/// `F.grid_sample(input, grid, mode='bilinear', padding_mode='zeros')` for one image.
public enum GridSample {
    /// Samples `image` (C, H, W) at `grid` ((H', W', 2) or (1, H', W', 2), normalised (x, y)),
    /// giving (C, H', W').
    ///
    /// For each output pixel, with `(px, py)` the unnormalised position (see `AlignCorners`),
    /// `x0 = ⌊px⌋`, `y0 = ⌊py⌋`, `w = px − x0`, `e = 1 − w`, `n = py − y0`, `s = 1 − n`:
    /// `out = v(x0, y0)·(s·e) + v(x0+1, y0)·(s·w) + v(x0, y0+1)·(n·e) + v(x0+1, y0+1)·(n·w)`,
    /// summed left to right in float32, where a tap outside `0…W−1 × 0…H−1` contributes 0 (zeros
    /// padding, tap by tap). A non-finite grid value samples nothing and gives 0. All weights are ≥ 0
    /// and sum to at most 1 (up to rounding), so an image in [0, 255] stays in [0, 255 + a few ulp].
    ///
    /// PyTorch computes the same products; its summation order and (for `false`) a possible FMA in the
    /// unnormalisation differ by a few float32 ulp of the result.
    public static func bilinear(_ image: Tensor, grid: Tensor, alignCorners: AlignCorners = .true) throws(WarpError) -> Tensor {
        guard image.rank == 3 else {
            throw .shapeMismatch(what: "grid_sample input", expected: "[C, H, W]", got: image.shape)
        }
        let gridShape = grid.shape
        let (oh, ow): (Int, Int)
        if gridShape.count == 3, gridShape[2] == 2 {
            (oh, ow) = (gridShape[0], gridShape[1])
        } else if gridShape.count == 4, gridShape[0] == 1, gridShape[3] == 2 {
            (oh, ow) = (gridShape[1], gridShape[2])
        } else {
            throw .shapeMismatch(what: "grid_sample grid", expected: "[H', W', 2] or [1, H', W', 2]", got: gridShape)
        }
        let (c, h, w) = (image.shape[0], image.shape[1], image.shape[2])
        var out = Tensor(shape: [c, oh, ow])
        let plane = h * w, outPlane = oh * ow
        let maxX = Float(w - 1), maxY = Float(h - 1)
        image.withUnsafeBufferPointer { src in
            grid.withUnsafeBufferPointer { g in
                out.withUnsafeMutableBufferPointer { dst in
                    for p in 0..<outPlane {
                        let px = unnormalize(g[2 * p], size: w, alignCorners)
                        let py = unnormalize(g[2 * p + 1], size: h, alignCorners)
                        guard px.isFinite, py.isFinite else {
                            for ch in 0..<c { dst[ch * outPlane + p] = 0 }
                            continue
                        }
                        // Taps are judged in float before any Int conversion, so a huge or NaN
                        // coordinate can never trap: it simply has no tap inside.
                        let x0 = px.rounded(.down), y0 = py.rounded(.down)
                        let x1 = x0 + 1, y1 = y0 + 1
                        let xw = px - x0, xe = 1 - xw
                        let yn = py - y0, ys = 1 - yn
                        let nw = ys * xe, ne = ys * xw, sw = yn * xe, se = yn * xw
                        let x0in = x0 >= 0 && x0 <= maxX, x1in = x1 >= 0 && x1 <= maxX
                        let y0in = y0 >= 0 && y0 <= maxY, y1in = y1 >= 0 && y1 <= maxY
                        let ix0 = x0in ? Int(x0) : 0, ix1 = x1in ? Int(x1) : 0
                        let iy0 = y0in ? Int(y0) : 0, iy1 = y1in ? Int(y1) : 0
                        for ch in 0..<c {
                            let base = ch * plane
                            let vnw: Float = x0in && y0in ? src[base + iy0 * w + ix0] : 0
                            let vne: Float = x1in && y0in ? src[base + iy0 * w + ix1] : 0
                            let vsw: Float = x0in && y1in ? src[base + iy1 * w + ix0] : 0
                            let vse: Float = x1in && y1in ? src[base + iy1 * w + ix1] : 0
                            dst[ch * outPlane + p] = vnw * nw + vne * ne + vsw * sw + vse * se
                        }
                    }
                }
            }
        }
        return out
    }

    /// The pixel position of a normalised coordinate, float32, in ATen's formula order.
    @inline(__always)
    static func unnormalize(_ v: Float, size: Int, _ mode: AlignCorners) -> Float {
        switch mode {
        case .true: ((v + 1) / 2) * Float(size - 1)
        case .false: ((v + 1) * Float(size) - 1) / 2
        }
    }
}
