import Tensors

/// The pair generator of every DVE dataset (`utils/tps.py Warper`): two random TPS warps applied in
/// sequence to one image, with keypoints carried along.
///
/// For an image `im` (C, H, W) in [0, 255] (`to_tensor(pil) · 255`), weights `W1`, `W2`, crop `c`:
/// ```
/// g1 = F·W1                 B  = grid_sample(im, g1)            kpB = lookup(kp, unnormalize(g1))
/// g2 = F·W2                 A  = grid_sample(grid_sample(im2 ?? im, g1), g2)
///                                                              kpA = lookup(kpB, unnormalize(g2))
/// crop A, B to [c : H−c, c : W−c];  kpA −= c;  kpB −= c
/// flow = (unnormalize(g2) − pixel grid)[c : H−c, c : W−c]                  (unused by any loss)
/// grid = normalize(unnormalize(g2)[c : H−c, c : W−c] − c, Hc, Wc)  if c ≠ 0, else g2 unchanged
/// return (A, B, flow, grid, kpA, kpB)
/// ```
/// `A(p) = im(g1(g2(p)))`. Keypoints use the inverse nearest-neighbour lookup of `NearestGridLookup`, and
/// `kpA` starts from the already-quantised `kpB`. `grid` tells, for each pixel of A, where in B it comes
/// from, in B's cropped normalised frame; values outside [−1, 1] (from outside the crop) are kept.
///
/// **Return order (quirk Q2).** The reference returns `(im2, im1, flow, grid, kp2, kp1)` in its own
/// naming — the doubly-warped image first — and the dataset unpacks that as `im1, im2, flow, grid, kp1,
/// kp2`. `WarpedPair` uses the dataset's names, i.e. what the network sees: **`im1` is the doubly-warped
/// A**, `im2` the singly-warped B, `kp1 = kpA`, `kp2 = kpB`.
///
/// **Colour variant.** The reference's optional second input `im2` ("a copy of im1 with different
/// colour jitter") is `colourVariant` here: A is built from it, B from `image`. Every DVE dataset passes
/// none, and jitters the two outputs independently afterwards.
public struct Warper: Sendable {
    /// Amplitudes of the second warp; the first uses `firstWarpAmplitudes`.
    public let amplitudes: TPSAmplitudes
    /// `im1_multiplier`: scales the first warp's RBF σs (0.5 in training: a milder non-rigid part).
    public let firstWarpMultiplier: Double
    /// `im1_multiplier_aff`: scales the first warp's affine σs (1 in training and evaluation).
    public let firstWarpAffineMultiplier: Double
    public let alignCorners: AlignCorners
    public let basis: TPSBasis

    public var height: Int { basis.height }
    public var width: Int { basis.width }

    /// `Warper(H, W, warpsd_all, warpsd_subset, transsd, scalesd, rotsd, im1_multiplier, im1_multiplier_aff)`.
    /// `height`, `width` are the **pre-crop** size (`imwidth`: 100 for SmallNet, 136 for the Hourglass).
    /// The defaults are the reference's, used by every training config.
    /// `linspace`: `.torch1_13` reproduces the golden files; `.torch1_1` the paper's 2019 runs.
    public init(height: Int, width: Int, amplitudes: TPSAmplitudes = .training, firstWarpMultiplier: Double = 0.5,
                firstWarpAffineMultiplier: Double = 1, linspace: Linspace.Variant = .torch1_13,
                alignCorners: AlignCorners = .true) throws(WarpError) {
        for (name, v) in [("im1_multiplier", firstWarpMultiplier), ("im1_multiplier_aff", firstWarpAffineMultiplier)]
        where !(v.isFinite && v >= 0) {
            throw .invalidAmplitude(name: name, value: v)
        }
        self.amplitudes = try TPSAmplitudes(warpsdAll: amplitudes.warpsdAll, warpsdSubset: amplitudes.warpsdSubset,
                                            transsd: amplitudes.transsd, scalesd: amplitudes.scalesd, rotsd: amplitudes.rotsd)
        self.firstWarpMultiplier = firstWarpMultiplier
        self.firstWarpAffineMultiplier = firstWarpAffineMultiplier
        self.alignCorners = alignCorners
        basis = try TPSBasis.shared(height: height, width: width, linspace: linspace)
    }

    /// `test_matching.py`'s warper: `TPSAmplitudes.evaluation` with both multipliers 1, so the first
    /// warp is as strong as the second.
    public static func evaluation(imageSize: Int, linspace: Linspace.Variant = .torch1_13,
                                  alignCorners: AlignCorners = .true) throws(WarpError) -> Warper {
        try Warper(height: imageSize, width: imageSize, amplitudes: .evaluation, firstWarpMultiplier: 1,
                   firstWarpAffineMultiplier: 1, linspace: linspace, alignCorners: alignCorners)
    }

    /// `(a·warpsd_all, a·warpsd_subset, b·transsd, b·scalesd, b·rotsd)` with `a = im1_multiplier`,
    /// `b = im1_multiplier_aff`: (0.0005, 0.005, 0.1, 0.1, 5°) with the training defaults.
    public var firstWarpAmplitudes: TPSAmplitudes {
        amplitudes.scaled(nonRigid: firstWarpMultiplier, affine: firstWarpAffineMultiplier)
    }

    /// The two weight draws of one call, first warp first (the reference's draw order).
    public func randomWeights(using generator: inout SeededGenerator) -> (first: TPSWeights, second: TPSWeights) {
        let first = TPSWeights.random(firstWarpAmplitudes, using: &generator)
        let second = TPSWeights.random(amplitudes, using: &generator)
        return (first, second)
    }

    /// `warper(im, keypts=keypoints, crop=crop)` with weights drawn from `generator`.
    public func callAsFunction(_ image: Tensor, colourVariant: Tensor? = nil, keypoints: Tensor? = nil, crop: Int = 0,
                               using generator: inout SeededGenerator) throws(WarpError) -> WarpedPair {
        try warp(image, colourVariant: colourVariant, keypoints: keypoints, crop: crop,
                 weights: randomWeights(using: &generator))
    }

    /// The same with injected weights (golden files, `eval-warps/*.h5`). `image` is (C, H, W);
    /// `keypoints` (n, 2) pixel (x, y) in the uncropped H×W frame.
    public func warp(_ image: Tensor, colourVariant: Tensor? = nil, keypoints: Tensor? = nil, crop: Int = 0,
                     weights: (first: TPSWeights, second: TPSWeights)) throws(WarpError) -> WarpedPair {
        let (h, w) = (height, width)
        guard image.rank == 3, image.shape[1] == h, image.shape[2] == w else {
            throw .shapeMismatch(what: "Warper image", expected: "[C, \(h), \(w)]", got: image.shape)
        }
        if let colourVariant, colourVariant.shape != image.shape {
            throw .shapeMismatch(what: "Warper colour variant", expected: "\(image.shape)", got: colourVariant.shape)
        }
        if let keypoints, keypoints.rank != 2 || keypoints.shape[1] != 2 {
            throw .shapeMismatch(what: "Warper keypoints", expected: "[n, 2]", got: keypoints.shape)
        }
        guard crop >= 0, h - 2 * crop >= 2, w - 2 * crop >= 2 else {
            throw .invalidCrop(crop: crop, height: h, width: w)
        }
        let (hc, wc) = (h - 2 * crop, w - 2 * crop)

        let grid1 = basis.grid(weights.first)
        let grid1Pixels = try WarpCoordinates.gridUnnormalize(grid1, height: h, width: w)
        let kpB = try keypoints.map { k throws(WarpError) in try basis.warpKeypoints(k, unnormalizedGrid: grid1Pixels) }
        let singly = try GridSample.bilinear(image, grid: grid1, alignCorners: alignCorners)
        let variant = try colourVariant.map { v throws(WarpError) in
            try GridSample.bilinear(v, grid: grid1, alignCorners: alignCorners)
        } ?? singly
        let grid2 = basis.grid(weights.second)
        let doubly = try GridSample.bilinear(variant, grid: grid2, alignCorners: alignCorners)

        let grid2Pixels = try WarpCoordinates.gridUnnormalize(grid2, height: h, width: w)
        let kpA = try kpB.map { k throws(WarpError) in try basis.warpKeypoints(k, unnormalizedGrid: grid2Pixels) }
        var flow = grid2Pixels
        for i in 0..<flow.count { flow.storage[i] -= basis.pixelsUnnormalized[i] }

        var grid = grid2
        if crop != 0 {
            var shifted = Self.cropGrid(grid2Pixels, crop: crop)
            for i in 0..<shifted.count { shifted.storage[i] -= Float(crop) }
            grid = try WarpCoordinates.gridNormalize(shifted, height: hc, width: wc)
        }
        func shift(_ k: Tensor?) -> Tensor? {
            k.map { t in Tensor(shape: t.shape, storage: t.storage.map { $0 - Float(crop) }) }
        }
        return WarpedPair(im1: Self.cropImage(doubly, crop: crop), im2: Self.cropImage(singly, crop: crop),
                          flow: Self.cropGrid(flow, crop: crop), grid: grid, kp1: shift(kpA), kp2: shift(kpB),
                          kp2Uncropped: kpB, grid1: grid1, grid2: grid2, crop: crop)
    }

    /// `im[:, c:-c, c:-c]` of a (C, H, W) tensor (the whole image when c = 0).
    static func cropImage(_ t: Tensor, crop c: Int) -> Tensor {
        guard c > 0 else { return t }
        let (ch, h, w) = (t.shape[0], t.shape[1], t.shape[2])
        let (hc, wc) = (h - 2 * c, w - 2 * c)
        var out = Tensor(shape: [ch, hc, wc])
        for k in 0..<ch {
            for y in 0..<hc {
                for x in 0..<wc { out.storage[(k * hc + y) * wc + x] = t.storage[(k * h + y + c) * w + x + c] }
            }
        }
        return out
    }

    /// `g[:, c:-c, c:-c, :]` of a (1, H, W, 2) tensor (the whole grid when c = 0).
    static func cropGrid(_ t: Tensor, crop c: Int) -> Tensor {
        guard c > 0 else { return t }
        let (h, w) = (t.shape[1], t.shape[2])
        let (hc, wc) = (h - 2 * c, w - 2 * c)
        var out = Tensor(shape: [1, hc, wc, 2])
        for y in 0..<hc {
            for x in 0..<wc {
                for a in 0..<2 { out.storage[(y * wc + x) * 2 + a] = t.storage[((y + c) * w + x + c) * 2 + a] }
            }
        }
        return out
    }
}

/// One `Warper` call, under the names the **dataset** gives the reference's reversed return values
/// (quirk Q2). Images are float, 0–255 scale, (C, Hc, Wc); keypoints (n, 2) pixel (x, y) in the
/// cropped frame, always pixel-grid positions with linspace noise.
public struct WarpedPair: Sendable {
    /// The **doubly** warped image A (reference return value 0): `im(g1(g2(p)))`, cropped.
    public var im1: Tensor
    /// The singly warped image B (reference return value 1): `im(g1(p))`, cropped.
    public var im2: Tensor
    /// `(unnormalize(g2) − pixel grid)` cropped, (1, Hc, Wc, 2), pixels.
    public var flow: Tensor
    /// For each pixel of `im1`, its source position in `im2`, normalised to the cropped frame,
    /// (1, Hc, Wc, 2). Uncropped `grid2` itself when crop = 0.
    public var grid: Tensor
    /// Keypoints of `im1`: through both warps, minus crop. Nil when no keypoints were given.
    public var kp1: Tensor?
    /// Keypoints of `im2`: through the first warp, minus crop.
    public var kp2: Tensor?
    /// `kp2` before the crop shift, in the H×W frame (the input to the second lookup).
    public var kp2Uncropped: Tensor?
    /// The two sampling grids, (1, H, W, 2), normalised, uncropped.
    public var grid1: Tensor
    public var grid2: Tensor
    public var crop: Int
}
