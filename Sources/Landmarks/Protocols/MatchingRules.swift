import Tensors

/// One descriptor map `(C, H, W)`, channel-major, as the matching rules read it. Copied out of a
/// network output so a pair can be matched while the network reuses its buffers.
public struct DescriptorMap: Sendable, Equatable {
    public let channels: Int
    public let height: Int
    public let width: Int
    /// C·H·W values, `values[(c·H + y)·W + x]`.
    public let values: [Float]

    /// From a `(C, H, W)` or `(1, C, H, W)` tensor. Every value must be finite.
    public init(_ tensor: Tensor, name: String = "descriptor map") throws(MatchingError) {
        let s = tensor.shape
        guard (s.count == 3 || (s.count == 4 && s[0] == 1)), s.allSatisfy({ $0 > 0 }) else {
            throw .shapeMismatch(what: name, expected: "[C, H, W] or [1, C, H, W], all positive", got: s)
        }
        let t = s.suffix(3).map { $0 }
        try self.init(channels: t[0], height: t[1], width: t[2], values: tensor.storage, name: name)
    }

    /// Image `index` of an NCHW batch (a network output).
    public init(batch: Tensor, index: Int, name: String = "descriptor map") throws(MatchingError) {
        let s = batch.shape
        guard s.count == 4, s.allSatisfy({ $0 > 0 }), (0..<s[0]).contains(index) else {
            throw .shapeMismatch(what: "\(name) (image \(index) of a batch)", expected: "[N > \(index), C, H, W]", got: s)
        }
        let n = s[1] * s[2] * s[3]
        try self.init(channels: s[1], height: s[2], width: s[3], values: Array(batch.storage[index * n ..< (index + 1) * n]),
                      name: name)
    }

    public init(channels: Int, height: Int, width: Int, values: [Float], name: String = "descriptor map") throws(MatchingError) {
        guard channels > 0, height > 0, width > 0, values.count == channels * height * width else {
            throw .shapeMismatch(what: "\(name) holding \(values.count) values", expected: "[C > 0, H > 0, W > 0]",
                                 got: [channels, height, width])
        }
        if let bad = values.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(what: name, where: "flat index \(bad) of [\(channels), \(height), \(width)]")
        }
        self.channels = channels
        self.height = height
        self.width = width
        self.values = values
    }

    public var tensor: Tensor { Tensor(shape: [channels, height, width], storage: values) }
}

/// The descriptor cell a source keypoint reads (`find_descriptor`'s first four lines).
public struct QueryCell: Sendable, Equatable {
    /// `x / stride` and `y / stride` in float64, before rounding.
    public var xOverStride: Double
    public var yOverStride: Double
    /// The rounded, clamped cell `(qx, qy)`.
    public var column: Int
    public var row: Int

    /// `x / stride` or `y / stride` was exactly halfway between two cells (decided by round-half-even).
    public var isHalfway: Bool {
        [xOverStride, yOverStride].contains { $0 - $0.rounded(.down) == 0.5 }
    }
}

/// The best target cell for one query (`find_descriptor`'s result).
public struct DescriptorMatch: Sendable, Equatable {
    /// Row-major cell index `m* = row·W + column` of the first maximum of the correlation.
    public var index: Int
    /// `(column·stride, row·stride)`, pixels of the cropped image (cell top-left convention, no +0.5).
    public var x: Double
    public var y: Double
    /// `corr[m*] − (largest correlation at any other cell)`, float32 values subtracted in float64;
    /// 0 on a tie. How far the argmax is from flipping.
    public var top2Gap: Double
}

/// The arithmetic of `test_matching.py` (`find_descriptor`, `compute_pixel_err`, the final `np.mean`),
/// with the reference's exact rules (golden README §9, quirk Q7).
public enum MatchingRules {
    /// The query cell of a keypoint `(x, y)` (float32 pixels of the cropped image):
    /// `qx = round(x / stride)` with `x / stride` computed in **float64** (numpy promotes float32 ÷
    /// Python float to float64) and **rounded half to even** (`np.round`; `.toNearestOrEven` here, not
    /// Swift's default half-away-from-zero): 2.5 → 2, 3.5 → 4, −0.5 → −0. Then clamped to
    /// `[0, width − 1]` (and `qy` to `[0, height − 1]`). The clamp is done in float64 before the
    /// integer conversion, so far-out keypoints cannot overflow. Keypoints must be finite.
    public static func queryCell(x: Float, y: Float, stride: Double, height: Int, width: Int) -> QueryCell {
        let xs = Double(x) / stride, ys = Double(y) / stride
        func cell(_ v: Double, _ size: Int) -> Int {
            Int(min(Double(size - 1), max(0, v.rounded(.toNearestOrEven))))
        }
        return QueryCell(xOverStride: xs, yOverStride: ys, column: cell(xs, width), row: cell(ys, height))
    }

    /// The pixel position of cell `index` in a map of `width` columns: `(column·stride, row·stride)`,
    /// where the reference multiplies the float32 grid `spatial_grid_unnormalized` by the Python-float
    /// stride in **float32** (`Float(column) · Float(stride)`, rounded once) and `.item()` widens it.
    public static func position(ofCell index: Int, width: Int, stride: Double) -> (x: Double, y: Double) {
        let s = Float(stride)
        return (Double(Float(index % width) * s), Double(Float(index / width) * s))
    }

    /// `find_descriptor` for every keypoint at once. `keypoints` holds K `(x, y)` pairs (cropped-frame
    /// pixels of the image `source` was computed from); `stride` is `imW / W` (cropped image width over
    /// descriptor width, float64). For each keypoint: its `queryCell`, the query vector
    /// `q = source[:, qy, qx]`, the raw dot products `corr[m] = q · target[:, m]` over all H·W cells in
    /// float32 (one SGEMM for all K; no normalisation), and the **first** index of the maximum in
    /// row-major order (a later equal value never wins), as `DescriptorMatch`.
    public static func findDescriptors(keypoints: [Float], source: DescriptorMap, target: DescriptorMap,
                                       stride: Double) throws(MatchingError) -> (queries: [QueryCell], matches: [DescriptorMatch]) {
        guard source.channels == target.channels, source.height == target.height, source.width == target.width else {
            throw .shapeMismatch(what: "target descriptor map",
                                 expected: "[\(source.channels), \(source.height), \(source.width)] like the source",
                                 got: [target.channels, target.height, target.width])
        }
        guard keypoints.count % 2 == 0 else {
            throw .shapeMismatch(what: "keypoints", expected: "[K, 2]", got: [keypoints.count])
        }
        if let bad = keypoints.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(what: "source keypoints", where: "keypoint \(bad / 2)")
        }
        guard stride.isFinite, stride > 0 else {
            throw .invalidOption(field: "stride", value: "\(stride)", requirement: "must be finite and > 0")
        }
        let (c, h, w) = (source.channels, source.height, source.width)
        let k = keypoints.count / 2, cells = h * w
        guard k > 0 else { return ([], []) }
        let queries = (0..<k).map { queryCell(x: keypoints[2 * $0], y: keypoints[2 * $0 + 1], stride: stride, height: h, width: w) }
        var q = [Float](repeating: 0, count: k * c)
        for (i, cell) in queries.enumerated() {
            for ch in 0..<c { q[i * c + ch] = source.values[(ch * h + cell.row) * w + cell.column] }
        }
        var corr = [Float](repeating: 0, count: k * cells)
        q.withUnsafeBufferPointer { qp in
            target.values.withUnsafeBufferPointer { tp in
                corr.withUnsafeMutableBufferPointer { cp in
                    BLAS.sgemm(transA: false, transB: false, m: k, n: cells, k: c, alpha: 1, a: qp.baseAddress!, lda: c,
                               b: tp.baseAddress!, ldb: cells, beta: 0, c: cp.baseAddress!, ldc: cells)
                }
            }
        }
        let matches = (0..<k).map { i in
            let best = firstArgmax(corr[i * cells ..< (i + 1) * cells])
            let p = position(ofCell: best.index, width: w, stride: stride)
            return DescriptorMatch(index: best.index, x: p.x, y: p.y, top2Gap: best.gap)
        }
        return (queries, matches)
    }

    /// The first index of the maximum (relative to the slice start) and the gap to the largest value
    /// at any other index (float64 difference; 0 on a tie, 0 for a single element).
    static func firstArgmax(_ values: ArraySlice<Float>) -> (index: Int, gap: Double) {
        var best = values.startIndex
        var second = -Float.infinity
        for i in values.indices.dropFirst() {
            let v = values[i]
            if v > values[best] {
                second = values[best]
                best = i
            } else if v > second {
                second = v
            }
        }
        let gap = values.count > 1 ? Double(values[best]) - Double(second) : 0
        return (best - values.startIndex, gap)
    }

    /// `70 / (imwidth − 2·crop)` in float64: errors are reported in pixels of a 70-pixel-wide crop
    /// (1 for SmallNet's 100/15, 70/96 for the Hourglass's 136/20).
    public static func errorScale(imageWidth: Int, crop: Int) -> Double {
        70 / Double(imageWidth - 2 * crop)
    }

    /// `compute_pixel_err`: `sqrt(Δx² + Δy²)` with both points rescaled **before** subtracting,
    /// `Δx = truth.x·s − predicted.x·s` (likewise y), `s = errorScale`, all in float64 (the float32
    /// ground truth widened exactly). This order reproduces `matching.h5` bit for bit; scaling the
    /// difference instead, `(truth.x − predicted.x)·s`, differs in the last bit for s = 70/96.
    public static func pixelError(predicted: (x: Double, y: Double), truth: (x: Float, y: Float), scale: Double) -> Double {
        let dx = Double(truth.x) * scale - predicted.x * scale, dy = Double(truth.y) * scale - predicted.y * scale
        return (dx * dx + dy * dy).squareRoot()
    }

    /// `np.mean` of float64 values: numpy's pairwise summation (`pairwise_sum_DOUBLE`: blocks of at
    /// most 128 summed with 8 interleaved accumulators, larger ranges split at a multiple of 8 below
    /// the middle) divided by the count. NaN for an empty array, like numpy (which also warns).
    public static func mean(_ values: [Double]) -> Double {
        guard !values.isEmpty else { return .nan }
        return values.withUnsafeBufferPointer { pairwiseSum($0[...]) } / Double(values.count)
    }

    static func pairwiseSum(_ a: Slice<UnsafeBufferPointer<Double>>) -> Double {
        let n = a.count, s = a.startIndex
        if n < 8 {
            var r = 0.0
            for i in a.indices { r += a[i] }
            return r
        }
        if n <= 128 {
            var r = (0..<8).map { a[s + $0] }
            var i = 8
            while i < n - n % 8 {
                for j in 0..<8 { r[j] += a[s + i + j] }
                i += 8
            }
            var res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
            while i < n { res += a[s + i]; i += 1 }
            return res
        }
        var half = n / 2
        half -= half % 8
        return pairwiseSum(a[s ..< s + half]) + pairwiseSum(a[(s + half)...])
    }
}
