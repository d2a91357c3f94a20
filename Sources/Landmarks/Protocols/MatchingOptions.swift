import Tensors

/// How `MatchingProtocol.run` evaluates (the reference's `evaluation()` settings, plus batching).
public struct MatchingOptions: Sendable {
    /// `dataset.args.imwidth`: side of the item images before warping (100 SmallNet, 136 Hourglass).
    public var imageWidth: Int
    /// `dataset.args.crop` (fallback `warper.args.crop`): pixels cut from each side after warping.
    public var crop: Int
    /// The recorded reference warps (`eval-warps/<set>.h5`). `nil` selects the seeded fallback, and the
    /// result then says `.seeded(fallbackSeed)`.
    public var warps: EvaluationWarps?
    public var fallbackSeed: UInt64
    /// `grid_sample` convention of the warper. `.true` is PyTorch 1.1's behaviour, which produced the
    /// paper's numbers (golden README Q1).
    public var alignCorners: AlignCorners
    /// Which PyTorch's `linspace` noise the pixel grids (and hence the warped keypoints) carry.
    ///
    /// **Default `.torch1_1`**, the paper's version: the keypoints are pixel-grid coordinates with float32
    /// noise, and with crop 15 (SmallNet) `x / stride` sits on `n + 0.5` ties that the noise decides
    /// under round-half-even (Q7, Q9). The recorded warps are believed identical to the 1.1 draws, and
    /// `alignCorners = .true` is 1.1's sampling, so `.torch1_1` keeps the whole pipeline on one
    /// version. Use `.torch1_13` to match the unmodified reference run on PyTorch 1.13 (with
    /// `alignCorners = .false`). The golden `matching.h5` stores keypoints directly, so it does not
    /// decide this.
    public var linspace: Linspace.Variant
    /// Pairs per network forward (3 images each: `A_2k`, `B_2k`, `B_2k+1`). Bounds memory; results do
    /// not depend on it (the network runs in eval mode, so each image's descriptors are its own).
    public var pairsPerForward: Int
    /// Evaluate only the first `pairLimit` pairs (`mini_eval`-style smoke runs); `nil` = all.
    public var pairLimit: Int?

    public init(imageWidth: Int, crop: Int, warps: EvaluationWarps? = nil, fallbackSeed: UInt64 = 0,
                alignCorners: AlignCorners = .true, linspace: Linspace.Variant = .torch1_1,
                pairsPerForward: Int = 4, pairLimit: Int? = nil) {
        self.imageWidth = imageWidth
        self.crop = crop
        self.warps = warps
        self.fallbackSeed = fallbackSeed
        self.alignCorners = alignCorners
        self.linspace = linspace
        self.pairsPerForward = pairsPerForward
        self.pairLimit = pairLimit
    }

    /// SmallNet configs: imwidth 100, crop 15 (70×70 network input, 35×35 descriptors).
    public static func smallNet(warps: EvaluationWarps?) -> MatchingOptions {
        MatchingOptions(imageWidth: 100, crop: 15, warps: warps)
    }

    /// Hourglass config: imwidth 136, crop 20 (96×96 input, 48×48 descriptors).
    public static func hourglass(warps: EvaluationWarps?) -> MatchingOptions {
        MatchingOptions(imageWidth: 136, crop: 20, warps: warps)
    }

    /// Side of the network input: `imwidth − 2·crop`.
    public var croppedWidth: Int { imageWidth - 2 * crop }

    public var warpSource: MatchingWarpSource { warps.map { .file($0.name) } ?? .seeded(fallbackSeed) }

    func validate() throws(MatchingError) {
        guard imageWidth >= 2, imageWidth <= 4096 else {
            throw .invalidOption(field: "imageWidth", value: "\(imageWidth)", requirement: "must be in 2…4096")
        }
        guard crop >= 0, imageWidth - 2 * crop >= 2 else {
            throw .invalidOption(field: "crop", value: "\(crop)", requirement: "must satisfy 0 ≤ crop and 2·crop ≤ imageWidth − 2 = \(imageWidth - 2)")
        }
        guard pairsPerForward >= 1 else {
            throw .invalidOption(field: "pairsPerForward", value: "\(pairsPerForward)", requirement: "must be ≥ 1")
        }
        if let pairLimit, pairLimit < 1 {
            throw .invalidOption(field: "pairLimit", value: "\(pairLimit)", requirement: "must be ≥ 1 when given")
        }
    }
}
