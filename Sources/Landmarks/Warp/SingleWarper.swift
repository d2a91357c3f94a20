import Tensors

/// `utils/tps.py WarperSingle`: one random TPS warp as augmentation of a single image (used only by the
/// limited-annotation keypoint configs). `g = F·W`, image `grid_sample(im, g)` cropped, keypoints
/// `lookup(kp, unnormalize(g)) − crop` (see `NearestGridLookup`). Multiplier 1. With the default
/// `TPSAmplitudes.single`, warpsd_subset = 0 sets the randomly chosen ~half of the RBF coefficients to
/// exactly 0 rather than leaving their warpsd_all draw.
public struct SingleWarper: Sendable {
    public let amplitudes: TPSAmplitudes
    public let alignCorners: AlignCorners
    public let basis: TPSBasis

    public init(height: Int, width: Int, amplitudes: TPSAmplitudes = .single, linspace: Linspace.Variant = .torch1_13,
                alignCorners: AlignCorners = .true) throws(WarpError) {
        self.amplitudes = amplitudes
        self.alignCorners = alignCorners
        basis = try TPSBasis.shared(height: height, width: width, linspace: linspace)
    }

    public func callAsFunction(_ image: Tensor, keypoints: Tensor? = nil, crop: Int = 0,
                               using generator: inout SeededGenerator) throws(WarpError) -> (image: Tensor, keypoints: Tensor?) {
        try warp(image, keypoints: keypoints, crop: crop, weights: .random(amplitudes, using: &generator))
    }

    /// The warp with injected weights; returns the cropped image and the keypoints in the cropped frame.
    public func warp(_ image: Tensor, keypoints: Tensor? = nil, crop: Int = 0,
                     weights: TPSWeights) throws(WarpError) -> (image: Tensor, keypoints: Tensor?) {
        let (h, w) = (basis.height, basis.width)
        guard image.rank == 3, image.shape[1] == h, image.shape[2] == w else {
            throw .shapeMismatch(what: "WarperSingle image", expected: "[C, \(h), \(w)]", got: image.shape)
        }
        guard crop >= 0, h - 2 * crop >= 2, w - 2 * crop >= 2 else {
            throw .invalidCrop(crop: crop, height: h, width: w)
        }
        let grid = basis.grid(weights)
        let pixels = try WarpCoordinates.gridUnnormalize(grid, height: h, width: w)
        let kp = try keypoints.map { k throws(WarpError) in
            let moved = try basis.warpKeypoints(k, unnormalizedGrid: pixels)
            return Tensor(shape: moved.shape, storage: moved.storage.map { $0 - Float(crop) })
        }
        let warped = try GridSample.bilinear(image, grid: grid, alignCorners: alignCorners)
        return (Warper.cropImage(warped, crop: crop), kp)
    }
}
