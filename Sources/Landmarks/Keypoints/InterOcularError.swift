import Tensors

/// The two keypoints whose distance normalises the regression error (`eye_kp_idxs`).
public struct EyeIndices: Sendable, Codable, Equatable, Hashable, CustomStringConvertible {
    public var left: Int
    public var right: Int

    public init(_ left: Int, _ right: Int) {
        self.left = left
        self.right = right
    }

    /// Eye centres of the 5-point sets (CelebA/MAFL, AFLW, AFLW_MTFL): (0, 1).
    public static let fivePoint = EyeIndices(0, 1)
    /// Outer eye corners of the 0-based iBUG 68-point scheme (300-W): (36, 45).
    public static let sixtyEightPoint = EyeIndices(36, 45)

    /// The reference's indices for a keypoint count: (0, 1) for 5, (36, 45) for 68, nil otherwise.
    public static func standard(forKeypointCount count: Int) -> EyeIndices? {
        switch count {
        case 5: .fivePoint
        case 68: .sixtyEightPoint
        default: nil
        }
    }

    /// Both indices lie in `0..<keypointCount` and differ.
    public func validate(keypointCount: Int) throws(KeypointError) {
        guard (0..<keypointCount).contains(left), (0..<keypointCount).contains(right), left != right else {
            throw .eyeIndices(left: left, right: right, keypointCount: keypointCount)
        }
    }

    public var description: String { "(\(left), \(right))" }
}

/// `inter_ocular_error` of `model/metric.py` (reference losses.md §5) with its per-keypoint terms.
public struct InterOcularError: Sendable {
    /// `100 · mean_{b,k} ‖pred[b,k] − gt[b,k]‖ / ‖gt[b,e0] − gt[b,e1]‖`, percent.
    public var value: Double
    /// The terms of that mean, ×100, row-major (B, nA).
    public var perKeypoint: [Double]
    public var images: Int
    public var keypoints: Int

    /// Each image's mean over its keypoints (percent): what a per-image report shows.
    public var perImage: [Double] {
        (0..<images).map { b in perKeypoint[(b * keypoints)..<((b + 1) * keypoints)].reduce(0, +) / Double(keypoints) }
    }
}

/// The inter-ocular error, in the **normalised** coordinates of `keypts_normalized` (the ratio equals
/// the pixel ratio when H = W):
/// ```
/// iod[b]   = ‖gt[b, e0] − gt[b, e1]‖₂
/// err[b,k] = ‖pred[b, k] − gt[b, k]‖₂
/// value    = 100 · mean_{b,k} err[b,k] / iod[b]          (all keypoints of all images count equally)
/// ```
/// Computed in Double from the float32 inputs (PyTorch works in float32; the two agree to ~1e-7).
/// The trainer's batch-size-weighted mean of per-batch values equals this mean over the whole split,
/// because every image has the same number of keypoints. A zero iod gives an infinite or NaN term, as
/// in the reference; it is not an error.
public func interOcularError(predictions: Tensor, targets: Tensor, eyes: EyeIndices) throws(KeypointError) -> InterOcularError {
    guard targets.rank == 3, targets.shape[2] == 2 else {
        throw .shape(argument: "targets", expected: "(B, nA, 2)", got: targets.shape)
    }
    guard predictions.shape == targets.shape else {
        throw .shape(argument: "predictions", expected: "\(targets.shape) like the targets", got: predictions.shape)
    }
    let (b, k) = (targets.shape[0], targets.shape[1])
    try eyes.validate(keypointCount: k)
    var terms = [Double](repeating: 0, count: b * k)
    func point(_ t: Tensor, _ image: Int, _ index: Int) -> (Double, Double) {
        (Double(t[flat: (image * k + index) * 2]), Double(t[flat: (image * k + index) * 2 + 1]))
    }
    for image in 0..<b {
        let (lx, ly) = point(targets, image, eyes.left), (rx, ry) = point(targets, image, eyes.right)
        let iod = ((lx - rx) * (lx - rx) + (ly - ry) * (ly - ry)).squareRoot()
        for index in 0..<k {
            let (px, py) = point(predictions, image, index), (gx, gy) = point(targets, image, index)
            terms[image * k + index] = 100 * ((px - gx) * (px - gx) + (py - gy) * (py - gy)).squareRoot() / iod
        }
    }
    let value = terms.isEmpty ? Double.nan : terms.reduce(0, +) / Double(terms.count)
    return InterOcularError(value: value, perKeypoint: terms, images: b, keypoints: k)
}
