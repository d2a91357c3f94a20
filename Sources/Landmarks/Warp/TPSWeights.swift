import Foundation
import Tensors

/// The 103 × 2 weight matrix `Wa` of one TPS warp (`utils/tps.py random_tps_weights`), row-major:
/// rows 0–99 are the RBF coefficients of the 10×10 control points (row `k = i·10 + j`, columns x, y);
/// row 100 is `[tx, ty]`; rows 101–102 are the linear part `[[sc·cos r, −sc·sin r], [sc·sin r, sc·cos r]]`.
/// The sampling grid is `F · Wa` (see `TPSBasis`): for output pixel p,
/// `gx = tx + sc(cos r · x + sin r · y) + Σ_k U_k · W[k, 0]`, `gy = ty + sc(−sin r · x + cos r · y) + Σ_k U_k · W[k, 1]`.
///
/// Weights are either drawn (`random(_:using:)`) or injected (`init(values:)`), which is how the golden
/// files and the shipped evaluation warps (`eval-warps/*.h5`, drawn by PyTorch's generator) are replayed.
public struct TPSWeights: Sendable, Equatable {
    public static let rowCount = 103
    public static let rbfCount = 100

    /// 206 values, row-major 103 × 2.
    public let values: [Float]

    public init(values: [Float]) throws(WarpError) {
        guard values.count == Self.rowCount * 2 else { throw .weightCount(got: values.count) }
        self.values = values
    }

    /// From a `(103, 2)` tensor (or anything holding 206 values, e.g. one `weights[i, w]` slice).
    public init(_ tensor: Tensor) throws(WarpError) {
        try self.init(values: tensor.storage)
    }

    /// Assembles `Wa` from RBF coefficients (200 values, row-major 100 × 2) and the similarity part,
    /// with the reference's float32 arithmetic: `sc · cos r`, `sc · −sin r`, `sc · sin r`.
    public init(rbf: [Float], translation: (x: Float, y: Float), scale: Float, rotation: Float) throws(WarpError) {
        guard rbf.count == Self.rbfCount * 2 else { throw .weightCount(got: rbf.count + 6) }
        let c = cos(rotation), s = sin(rotation)
        values = rbf + [translation.x, translation.y, scale * c, scale * -s, scale * s, scale * c]
    }

    /// No RBF displacement, no translation, unit scale, no rotation: the grid equals the pixel grid.
    public static let identity = TPSWeights(unchecked: [Float](repeating: 0, count: 200) + [0, 0, 1, -0, 0, 1])

    public var tensor: Tensor { Tensor(shape: [Self.rowCount, 2], storage: values) }

    /// Row 100, in normalised units.
    public var translation: (x: Float, y: Float) { (values[200], values[201]) }
    /// `sc`, recovered from the linear part (exact for weights built as a similarity).
    public var scale: Float { (values[202] * values[202] + values[204] * values[204]).squareRoot() }
    /// `r` in radians, recovered from the linear part (`atan2(sc·sin r, sc·cos r)`).
    public var rotation: Float { atan2(values[204], values[202]) }
    /// Rows 0–99, row-major 100 × 2.
    public var rbf: ArraySlice<Float> { values[0..<200] }

    /// `random_tps_weights(100, warpsd_all, warpsd_subset, transsd, scalesd, rotsd)` with draws from
    /// `generator` instead of PyTorch's, in the reference's order and float32 arithmetic:
    /// 1. `W[k] = z · σ_all` for the 200 RBF entries, row-major (`z` a standard normal, as float32);
    /// 2. one uniform per entry; `subset = u > 0.5`;
    /// 3. every subset entry, in row-major order, is *replaced* by `z · σ_subset` (σ_subset = 0 sets it
    ///    to exactly 0, the `WarperSingle` quirk);
    /// 4. `rot = ((z · rotsd) · π) / 180` (rotsd in degrees); 5. `sc = 1 + z · scalesd`;
    /// 6. `tx = z · transsd`; 7. `ty = z · transsd`.
    ///
    /// Each amplitude is rounded to float32 before it multiplies, as PyTorch does with a Python float
    /// times a float32 tensor. The values are distributed like the reference's (RBF entry: N(0, σ_all²)
    /// or N(0, σ_subset²) with probability ½ each; rot ~ N(0, (rotsd·π/180)²); sc ~ N(1, scalesd²);
    /// tx, ty ~ N(0, transsd²)) but are not PyTorch's numbers: its mt19937 stream is not replayed.
    public static func random(_ amplitudes: TPSAmplitudes, using generator: inout SeededGenerator) -> TPSWeights {
        let all = Float(amplitudes.warpsdAll), subset = Float(amplitudes.warpsdSubset)
        var rbf = (0..<200).map { _ in Float(generator.nextNormal()) * all }
        let mask = (0..<200).map { _ in Float(generator.nextUniform()) > 0.5 }
        for k in 0..<200 where mask[k] { rbf[k] = Float(generator.nextNormal()) * subset }
        // Float(Double.pi) (round to nearest), not Float.pi (rounded toward zero): PyTorch casts math.pi.
        let rot = ((Float(generator.nextNormal()) * Float(amplitudes.rotsd)) * Float(Double.pi)) / 180
        let sc = 1 + Float(generator.nextNormal()) * Float(amplitudes.scalesd)
        let tx = Float(generator.nextNormal()) * Float(amplitudes.transsd)
        let ty = Float(generator.nextNormal()) * Float(amplitudes.transsd)
        let c = cos(rot), s = sin(rot)
        // Same layout as init(rbf:…), written out so this path cannot throw.
        return TPSWeights(unchecked: rbf + [tx, ty, sc * c, sc * -s, sc * s, sc * c])
    }

    private init(unchecked values: [Float]) { self.values = values }
}

/// The standard deviations of one random TPS warp (`random_tps_weights` arguments).
public struct TPSAmplitudes: Sendable, Equatable, CustomStringConvertible {
    /// σ of every RBF coefficient before the subset is redrawn (normalised units).
    public var warpsdAll: Double
    /// σ of the redrawn subset (about half the coefficients).
    public var warpsdSubset: Double
    /// σ of tx and ty (normalised units: 0.1 ≙ 0.1·(W−1)/2 ≈ 5 px at W = 100).
    public var transsd: Double
    /// σ of the scale around 1.
    public var scalesd: Double
    /// σ of the rotation, in **degrees**.
    public var rotsd: Double

    public init(warpsdAll: Double, warpsdSubset: Double, transsd: Double, scalesd: Double, rotsd: Double) throws(WarpError) {
        for (name, v) in [("warpsd_all", warpsdAll), ("warpsd_subset", warpsdSubset), ("transsd", transsd),
                          ("scalesd", scalesd), ("rotsd", rotsd)] where !(v.isFinite && v >= 0) {
            throw .invalidAmplitude(name: name, value: v)
        }
        self.init(unchecked: warpsdAll, warpsdSubset, transsd, scalesd, rotsd)
    }

    private init(unchecked all: Double, _ subset: Double, _ t: Double, _ s: Double, _ r: Double) {
        warpsdAll = all; warpsdSubset = subset; transsd = t; scalesd = s; rotsd = r
    }

    /// `Warper`'s defaults, used by every training and finetuning config (`"warper": {"args": {}}`):
    /// warpsd_all 0.001, warpsd_subset 0.01, transsd 0.1, scalesd 0.1, rotsd 5°.
    public static let training = TPSAmplitudes(unchecked: 0.001, 0.01, 0.1, 0.1, 5)
    /// `test_matching.py` evaluation: half of every training amplitude — warpsd_all 0.0005,
    /// warpsd_subset 0.005, transsd 0.05, scalesd 0.05, rotsd 2.5° (used with both multipliers 1).
    public static let evaluation = TPSAmplitudes(unchecked: 0.0005, 0.005, 0.05, 0.05, 2.5)
    /// `WarperSingle`'s defaults (limited-annotation configs): warpsd_all 0.0005, warpsd_subset 0
    /// (the subset is zeroed), transsd 0.02, scalesd 0.02, rotsd 2°.
    public static let single = TPSAmplitudes(unchecked: 0.0005, 0, 0.02, 0.02, 2)
    /// `test_matching.py --dense_match`: every amplitude 0, so every draw is the identity warp.
    public static let zero = TPSAmplitudes(unchecked: 0, 0, 0, 0, 0)

    /// The first warp's amplitudes: the RBF σs times `nonRigid` (`im1_multiplier`) and the affine σs
    /// times `affine` (`im1_multiplier_aff`), products in float64 as Python computes them.
    public func scaled(nonRigid a: Double, affine b: Double) -> TPSAmplitudes {
        TPSAmplitudes(unchecked: a * warpsdAll, a * warpsdSubset, b * transsd, b * scalesd, b * rotsd)
    }

    public var description: String {
        "warpsd_all=\(warpsdAll) warpsd_subset=\(warpsdSubset) transsd=\(transsd) scalesd=\(scalesd) rotsd=\(rotsd)°"
    }
}

extension TPSAmplitudes: Codable {
    private enum CodingKeys: String, CodingKey {
        case warpsdAll = "warpsd_all", warpsdSubset = "warpsd_subset", transsd, scalesd, rotsd
    }

    /// Decoding validates like `init(warpsdAll:…)`, so a configuration file cannot smuggle in a
    /// negative or non-finite σ.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try self.init(warpsdAll: c.decode(Double.self, forKey: .warpsdAll),
                      warpsdSubset: c.decode(Double.self, forKey: .warpsdSubset),
                      transsd: c.decode(Double.self, forKey: .transsd), scalesd: c.decode(Double.self, forKey: .scalesd),
                      rotsd: c.decode(Double.self, forKey: .rotsd))
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(warpsdAll, forKey: .warpsdAll)
        try c.encode(warpsdSubset, forKey: .warpsdSubset)
        try c.encode(transsd, forKey: .transsd)
        try c.encode(scalesd, forKey: .scalesd)
        try c.encode(rotsd, forKey: .rotsd)
    }
}
