import Tensors

/// The value and gradient of `regressionLoss`.
public struct RegressionLossResult: Sendable {
    /// The mean smooth-L1 loss.
    public var value: Double
    /// dL/dpred, the shape of the predictions.
    public var gradient: Tensor
}

/// `regression_loss` of `model/loss.py` (reference losses.md §4), in float32 like the reference:
/// ```
/// d[i] = fl(alpha·pred[i]) − fl(alpha·target[i])                  (two float32 products, then the difference)
/// L    = (1/N) Σ_i smoothL1(d[i]),   smoothL1(d) = 0.5·d² if |d| < 1 else |d| − 0.5   (beta = 1)
/// dL/dpred[i] = alpha · clamp(d[i], −1, 1) / N
/// ```
/// with N = B·nA·2 (every coordinate of every keypoint of every image), `alpha = 10` in every config,
/// `pred` the regressor's (B, nA, 2) output and `target` the *normalised* keypoints
/// (`normalizedKeypoints`). The sum is taken in Double. A non-finite element gives a non-finite value,
/// which the caller reports; nothing here traps.
public func regressionLoss(predictions: Tensor, targets: Tensor, alpha: Float = 10) throws(KeypointError) -> RegressionLossResult {
    guard predictions.rank == 3, predictions.shape[2] == 2 else {
        throw .shape(argument: "predictions", expected: "(B, nA, 2)", got: predictions.shape)
    }
    guard targets.shape == predictions.shape else {
        throw .shape(argument: "targets", expected: "\(predictions.shape) like the predictions", got: targets.shape)
    }
    guard alpha.isFinite else { throw .invalidSize(field: "alpha", value: "\(alpha)", requirement: "must be finite") }
    let n = predictions.count
    var gradient = Tensor(shape: predictions.shape)
    guard n > 0 else { return RegressionLossResult(value: .nan, gradient: gradient) }
    var sum = 0.0
    let scale = alpha / Float(n)
    for i in 0..<n {
        let d = alpha * predictions[flat: i] - alpha * targets[flat: i]
        let magnitude = abs(d)
        sum += magnitude < 1 ? 0.5 * Double(d) * Double(d) : Double(magnitude) - 0.5
        gradient[flat: i] = scale * min(max(d, -1), 1)
    }
    return RegressionLossResult(value: sum / Double(n), gradient: gradient)
}

/// `kp_normalize(H, W, kp)` of `data_loader/data_loaders.py`: pixel keypoints (…, 2) as (x, y) → the
/// [−1, 1] frame where ±1 are the centres of the first and last **input pixel**, in float32 exactly as
/// the reference rounds it: `x' = fl(fl(fl(2·x) / (W − 1)) − 1)`, `y' = fl(fl(fl(2·y) / (H − 1)) − 1)`.
/// H and W are the cropped image's size (70 for SmallNet's 100 − 2·15).
public func normalizedKeypoints(_ pixels: Tensor, height: Int, width: Int) throws(KeypointError) -> Tensor {
    guard pixels.rank >= 1, pixels.shape.last == 2 else {
        throw .shape(argument: "keypoints", expected: "(…, 2)", got: pixels.shape)
    }
    guard height > 1, width > 1 else {
        throw .invalidSize(field: "image size", value: "\(height)×\(width)", requirement: "must be at least 2×2")
    }
    var out = pixels
    let wm1 = Float(width - 1), hm1 = Float(height - 1)
    for k in 0..<(pixels.count / 2) {
        out[flat: 2 * k] = 2 * pixels[flat: 2 * k] / wm1 - 1
        out[flat: 2 * k + 1] = 2 * pixels[flat: 2 * k + 1] / hm1 - 1
    }
    return out
}
