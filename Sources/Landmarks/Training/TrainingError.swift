import Tensors

/// Why a training run stopped or could not start. Each case names the step, file or field involved.
public enum TrainingError: Error, CustomStringConvertible, Sendable {
    case invalidConfiguration(field: String, value: String, requirement: String)
    case tooFewImages(available: Int, batchPairs: Int)
    case imageShape(index: Int, expected: [Int], got: [Int])
    case imageSource(index: Int, underlying: String)
    /// The loss came out NaN or infinite: the run stops before the optimiser touches the weights.
    case nonFiniteLoss(epoch: Int, iteration: Int, value: Double)
    /// A parameter's gradient holds a NaN or infinity after backward.
    case nonFiniteGradient(epoch: Int, iteration: Int, parameter: String)
    case warp(index: Int, underlying: String)
    /// The photometric augmentation of a warped pair failed (its JPEG round trip).
    case augmentation(index: Int, underlying: String)
    case loss(underlying: String)
    case optimizer(underlying: String)
    /// A checkpoint exists but was written for another configuration or model.
    case checkpointMismatch(source: String, reason: String)
    case checkpointIO(source: String, underlying: String)

    public var description: String {
        switch self {
        case .invalidConfiguration(let field, let value, let requirement):
            "training configuration: \(field) = \(value) \(requirement)"
        case .tooFewImages(let available, let batchPairs):
            "training needs at least \(batchPairs) images for one batch of \(batchPairs) pairs; the source has \(available)"
        case .imageShape(let index, let expected, let got):
            "training image \(index) has shape \(got), expected \(expected)"
        case .imageSource(let index, let underlying):
            "training image \(index) could not be read: \(underlying)"
        case .nonFiniteLoss(let epoch, let iteration, let value):
            "the loss became \(value) at epoch \(epoch), iteration \(iteration); the weights were left as they were before that step"
        case .nonFiniteGradient(let epoch, let iteration, let parameter):
            "the gradient of \(parameter) became NaN or infinite at epoch \(epoch), iteration \(iteration); the weights were left as they were before that step"
        case .warp(let index, let underlying):
            "warping training image \(index) failed: \(underlying)"
        case .augmentation(let index, let underlying):
            "the photometric augmentation of training image \(index) failed: \(underlying)"
        case .loss(let underlying):
            "the training loss could not be computed: \(underlying)"
        case .optimizer(let underlying):
            "the optimiser failed: \(underlying)"
        case .checkpointMismatch(let source, let reason):
            "checkpoint \(source) does not belong to this run: \(reason)"
        case .checkpointIO(let source, let underlying):
            "checkpoint \(source): \(underlying)"
        }
    }
}
