import Tensors

/// The reference's conversions between normalised coordinates in [−1, 1] (align-corners convention:
/// −1 and +1 are the centres of the first and last pixel) and pixel coordinates (0 … W − 1, x right,
/// y down), in float32 with the reference's operation order, because the order decides the last bit.
///
/// Every function takes a tensor whose last axis is 2 and holds `(x, y)`; x uses the width, y the
/// height. Any leading shape is kept.
public enum WarpCoordinates {
    /// `utils/tps.py grid_unnormalize`: `((v + 1) / 2) · (W − 1)` for x and `· (H − 1)` for y, each
    /// operation rounded to float32 in that order. `v + 1` is rounded before scaling, which is what puts
    /// the noise of `linspace` into the "integer" pixel coordinates; expanding to `v·s + s` would not.
    public static func gridUnnormalize(_ grid: Tensor, height: Int, width: Int) throws(WarpError) -> Tensor {
        try requirePairs(grid, "grid_unnormalize input")
        let scale = (Float(width - 1), Float(height - 1))
        var out = grid
        out.withUnsafeMutableBufferPointer { v in
            var i = 0
            while i < v.count {
                v[i] = ((v[i] + 1) / 2) * scale.0
                v[i + 1] = ((v[i + 1] + 1) / 2) * scale.1
                i += 2
            }
        }
        return out
    }

    /// `utils/tps.py grid_normalize`: `(2 · p) / (W − 1) − 1` for x and `/ (H − 1)` for y, float32, in
    /// that order. The Warper calls it with the *cropped* size after shifting by −crop.
    public static func gridNormalize(_ grid: Tensor, height: Int, width: Int) throws(WarpError) -> Tensor {
        try requirePairs(grid, "grid_normalize input")
        let scale = (Float(width - 1), Float(height - 1))
        var out = grid
        out.withUnsafeMutableBufferPointer { v in
            var i = 0
            while i < v.count {
                v[i] = (2 * v[i]) / scale.0 - 1
                v[i + 1] = (2 * v[i + 1]) / scale.1 - 1
                i += 2
            }
        }
        return out
    }

    /// `data_loader/data_loaders.py kp_normalize(H, W, kp)`: `2 · kp_x / (W − 1) − 1` and
    /// `2 · kp_y / (H − 1) − 1`, float32 — the same arithmetic as `gridNormalize`, under the reference's
    /// other name and argument order (height first).
    public static func kpNormalize(height: Int, width: Int, _ keypoints: Tensor) throws(WarpError) -> Tensor {
        try gridNormalize(keypoints, height: height, width: width)
    }

    /// `utils/tps.py tps_grid(H, W)`: the H·W points `(linspace(−1,1,W)[j], linspace(−1,1,H)[i])`,
    /// row-major (index `i·W + j`, x varying fastest), as an `(H·W) × 2` interleaved array.
    public static func tpsGrid(height: Int, width: Int, variant: Linspace.Variant) -> [Float] {
        let xs = Linspace.values(from: -1, to: 1, count: width, variant: variant)
        let ys = Linspace.values(from: -1, to: 1, count: height, variant: variant)
        var out = [Float](repeating: 0, count: height * width * 2)
        for i in 0..<height {
            for j in 0..<width {
                out[2 * (i * width + j)] = xs[j]
                out[2 * (i * width + j) + 1] = ys[i]
            }
        }
        return out
    }

    static func requirePairs(_ t: Tensor, _ what: String) throws(WarpError) {
        guard t.shape.last == 2 else {
            throw .shapeMismatch(what: what, expected: "[…, 2]", got: t.shape)
        }
    }
}
