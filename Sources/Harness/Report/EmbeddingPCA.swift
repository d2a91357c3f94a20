import Tensors

/// The usual way to look at a dense embedding: treat every pixel's C-vector as a sample, project onto
/// the first three principal components, and show them as R, G, B. Pixels that the network considers
/// the same object part get the same colour, whichever image they come from (if the embedding works).
public enum EmbeddingPCA {
    /// The three leading principal components of a descriptor map and their variances.
    public struct Components: Sendable, Equatable {
        /// Channel means subtracted before projecting.
        public var mean: [Double]
        /// Up to three unit vectors of C loadings, by decreasing variance; sign fixed so that each
        /// vector's largest-magnitude loading is positive (the first such on a tie), which makes the
        /// colours of the same map reproducible across machines.
        public var vectors: [[Double]]
        /// Variance along each vector (population: divided by H·W).
        public var variances: [Double]
    }

    /// The RGB picture (W×H, the map's resolution) of `descriptors`, a (C, H, W) or (1, C, H, W) map:
    /// component k ∈ {0, 1, 2} becomes channel R, G, B, each min–max scaled to 0…255 over the map and
    /// rounded. A channel is 0 everywhere when its component does not exist (C < 3) or carries no
    /// variance (≤ 1e-12 of the leading one, where min–max scaling would only magnify rounding noise).
    ///
    /// - Throws: `.shape` for another rank or a zero dimension; `.nonFinite` for NaN or ±∞.
    public static func picture(descriptors: Tensor) throws(ReportError) -> RGBPicture {
        let (c, h, w) = try size(descriptors)
        let components = try components(descriptors: descriptors)
        let plane = h * w
        let values = descriptors.storage
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        let leading = components.variances.first ?? 0
        for (k, vector) in components.vectors.enumerated() where components.variances[k] > 1e-12 * leading {
            var scores = [Double](repeating: 0, count: plane)
            for ch in 0..<c where vector[ch] != 0 {
                let base = ch * plane, m = components.mean[ch], l = vector[ch]
                for p in 0..<plane { scores[p] += l * (Double(values[base + p]) - m) }
            }
            guard let lo = scores.min(), let hi = scores.max(), hi > lo else { continue }
            for p in 0..<plane {
                pixels[p * 3 + k] = UInt8(min(max(((scores[p] - lo) / (hi - lo) * 255).rounded(), 0), 255))
            }
        }
        return RGBPicture(width: w, height: h, pixels: pixels)
    }

    /// Mean, covariance (C×C, float64, population) and its top-three eigenvectors by Jacobi rotations.
    public static func components(descriptors: Tensor) throws(ReportError) -> Components {
        let (c, h, w) = try size(descriptors)
        let plane = h * w
        let values = descriptors.storage
        let mean = (0..<c).map { ch in
            values[ch * plane ..< (ch + 1) * plane].reduce(0.0) { $0 + Double($1) } / Double(plane)
        }
        // Centred channels once, then the upper triangle of XᵀX / N.
        let centred = (0..<c).map { ch in (0..<plane).map { Double(values[ch * plane + $0]) - mean[ch] } }
        var covariance = [Double](repeating: 0, count: c * c)
        for a in 0..<c {
            for b in a..<c {
                var sum = 0.0
                for p in 0..<plane { sum += centred[a][p] * centred[b][p] }
                covariance[a * c + b] = sum / Double(plane)
                covariance[b * c + a] = covariance[a * c + b]
            }
        }
        let (eigenvalues, eigenvectors) = SymmetricEigen.decompose(covariance, n: c)
        let kept = min(3, c)
        let vectors = eigenvectors.prefix(kept).map { v -> [Double] in
            var largest = 0
            for i in v.indices where abs(v[i]) > abs(v[largest]) { largest = i }
            return v[largest] < 0 ? v.map { -$0 } : v
        }
        // Rounding can leave a zero eigenvalue slightly negative; a variance is never below 0.
        return Components(mean: mean, vectors: vectors, variances: eigenvalues.prefix(kept).map { max($0, 0) })
    }

    private static func size(_ t: Tensor) throws(ReportError) -> (Int, Int, Int) {
        let s = t.shape
        guard s.count == 3 || (s.count == 4 && s[0] == 1), s.allSatisfy({ $0 > 0 }) else {
            throw .shape(what: "descriptor map", expected: "[C, H, W] or [1, C, H, W], all positive", got: s)
        }
        if let bad = t.storage.firstIndex(where: { !$0.isFinite }) { throw .nonFinite(what: "descriptor map", where: bad) }
        let d = s.suffix(3).map { $0 }
        return (d[0], d[1], d[2])
    }
}
