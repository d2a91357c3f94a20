import Foundation
import Synchronization
import Tensors

/// Everything about a TPS warp of an H×W image that does not depend on the random weights
/// (`utils/tps.py Warper.__init__`): control points, pixel grid and the design matrix `F`.
///
/// - Control points: `tps_grid(10, 10)`, 100 points on the regular 10×10 grid in [−1, 1]².
/// - Pixels: `tps_grid(H, W)`, H·W points, x varying fastest.
/// - Radial basis (reproduced exactly, although unusual): `U(p, q) = d · ln(d + 1e−5)` where `d` is the
///   **squared** distance `(px − qx)² + (py − qy)²` — not `r² ln r`. Float32 throughout; `1e−5` is
///   rounded to float32. U = 0 at d = 0, minimum −1/e near d = 1/e.
/// - `F = [U(pixels, ctrl) (H·W × 100) | 1 | x | y]`, shape (H·W) × 103, row-major.
///
/// `F` is about 4 MB at 100×100 and 7.6 MB at 136×136 and costs ~2·10⁶ logarithms, so `shared` keeps
/// one per (H, W, linspace variant) for the life of the process.
public struct TPSBasis: Sendable {
    public static let controlPointsPerSide = 10
    public static let columns = 103

    public let height: Int
    public let width: Int
    public let linspace: Linspace.Variant
    /// `tps_grid(10, 10)`, 100 × 2 interleaved, normalised.
    public let controlPoints: [Float]
    /// `tps_grid(H, W)`, H·W × 2 interleaved, normalised.
    public let pixels: [Float]
    /// `grid_unnormalize(pixels)`, H·W × 2 interleaved, in pixels: the "integer" pixel coordinates
    /// with the linspace noise (`grid_pixels_unnormalized` in the reference).
    public let pixelsUnnormalized: [Float]
    /// `F`, H·W × 103 row-major.
    public let design: [Float]

    public init(height: Int, width: Int, linspace: Linspace.Variant = .torch1_13) throws(WarpError) {
        guard height >= 2, width >= 2, height <= 1 << 14, width <= 1 << 14 else {
            throw .invalidSize(what: "TPS basis", height: height, width: width)
        }
        self.height = height
        self.width = width
        self.linspace = linspace
        let n = Self.controlPointsPerSide
        controlPoints = WarpCoordinates.tpsGrid(height: n, width: n, variant: linspace)
        pixels = WarpCoordinates.tpsGrid(height: height, width: width, variant: linspace)
        let count = height * width
        pixelsUnnormalized = try WarpCoordinates.gridUnnormalize(Tensor(shape: [count, 2], storage: pixels),
                                                                 height: height, width: width).storage
        let u = Self.radialBasis(pixels, controlPoints)
        let ctrl = n * n
        var f = [Float](repeating: 0, count: count * Self.columns)
        for r in 0..<count {
            let row = r * Self.columns
            for k in 0..<ctrl { f[row + k] = u[r * ctrl + k] }
            f[row + ctrl] = 1
            f[row + ctrl + 1] = pixels[2 * r]
            f[row + ctrl + 2] = pixels[2 * r + 1]
        }
        design = f
    }

    private struct Key: Hashable { var height: Int, width: Int, linspace: Linspace.Variant }
    private static let cache = Mutex<[Key: TPSBasis]>([:])

    /// The basis for (height, width, linspace), built once per process and then shared.
    public static func shared(height: Int, width: Int, linspace: Linspace.Variant = .torch1_13) throws(WarpError) -> TPSBasis {
        let key = Key(height: height, width: width, linspace: linspace)
        if let hit = cache.withLock({ $0[key] }) { return hit }
        // Built outside the lock so other sizes are not held up; a racing duplicate is identical.
        let basis = try TPSBasis(height: height, width: width, linspace: linspace)
        cache.withLock { $0[key] = basis }
        return basis
    }

    /// `utils/tps.py tps_U(a, b)`: the `na × nb` matrix `U(a_i, b_j) = d · ln(d + 1e−5)`, with
    /// `d = dx² + dy²` summed in that order in float32 (`a`, `b` interleaved (x, y) pairs).
    public static func radialBasis(_ a: [Float], _ b: [Float]) -> [Float] {
        let na = a.count / 2, nb = b.count / 2
        let epsilon = Float(1e-5)
        var u = [Float](repeating: 0, count: na * nb)
        for i in 0..<na {
            for j in 0..<nb {
                let dx = a[2 * i] - b[2 * j], dy = a[2 * i + 1] - b[2 * j + 1]
                let d = dx * dx + dy * dy
                u[i * nb + j] = d * log(d + epsilon)
            }
        }
        return u
    }

    /// `U(ctrl, ctrl)`, 100 × 100 (the reference computes it as `U_ctrlpts`; the warp does not use it).
    public var controlPointBasis: [Float] { Self.radialBasis(controlPoints, controlPoints) }

    /// The sampling grid `F · Wa`, shape (1, H, W, 2), normalised: for each output pixel, the position
    /// in the source image that is sampled (inverse warping). A float32 GEMM, so the summation order
    /// (OpenBLAS's, not PyTorch's) moves values by ~1e−7.
    public func grid(_ weights: TPSWeights) -> Tensor {
        let count = height * width
        var out = Tensor(shape: [1, height, width, 2])
        design.withUnsafeBufferPointer { f in
            weights.values.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { c in
                    BLAS.sgemm(transA: false, transB: false, m: count, n: 2, k: Self.columns, alpha: 1,
                               a: f.baseAddress!, lda: Self.columns, b: w.baseAddress!, ldb: 2,
                               beta: 0, c: c.baseAddress!, ldc: 2)
                }
            }
        }
        return out
    }

    /// `Warper.warp_keypoints(keypoints, grid_unnormalized)`: see `NearestGridLookup`. `unnormalizedGrid`
    /// is `grid_unnormalize` of a (1, H, W, 2) grid of this basis's size; the answer is this basis's
    /// regular pixel coordinates (`pixelsUnnormalized`) of the nearest warped samples.
    public func warpKeypoints(_ keypoints: Tensor, unnormalizedGrid: Tensor) throws(WarpError) -> Tensor {
        guard unnormalizedGrid.count == height * width * 2, unnormalizedGrid.shape.last == 2 else {
            throw .shapeMismatch(what: "warp_keypoints grid", expected: "[1, \(height), \(width), 2]",
                                 got: unnormalizedGrid.shape)
        }
        return try NearestGridLookup.warp(keypoints, warpedSamples: unnormalizedGrid.storage,
                                          regularPixels: pixelsUnnormalized)
    }
}
