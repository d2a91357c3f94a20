/// Why the regression protocol could not run. Every case names the split, file, field or step involved.
public enum RegressionError: Error, CustomStringConvertible, Sendable {
    case invalidOption(field: String, value: String, requirement: String)
    /// A split whose size facts (keypoint count, image size, eye indices) cannot be used.
    case invalidSplit(split: String, reason: String)
    /// The train and test splits (or their descriptors) disagree.
    case splitMismatch(reason: String)
    case item(split: String, index: Int, underlying: String)
    case itemShape(split: String, index: Int, field: String, expected: [Int], got: [Int])
    /// The descriptor network returned something that is not (B, C, h, w) with one size for all batches.
    case descriptorShape(split: String, expected: String, got: [Int])
    case tooFewTrainingItems(available: Int, batchSize: Int)
    /// The disk cache could not be read or written; `path` is the file.
    case cache(path: String, reason: String)
    case keypoint(KeypointError)
    case nonFiniteLoss(epoch: Int, iteration: Int, value: Double)
    case nonFiniteGradient(epoch: Int, iteration: Int, parameter: String)
    case optimizer(String)

    public var description: String {
        switch self {
        case .invalidOption(let field, let value, let requirement):
            "regression options: \(field) = \(value) \(requirement)"
        case .invalidSplit(let split, let reason):
            "regression split \(split): \(reason)"
        case .splitMismatch(let reason):
            "regression train and test splits disagree: \(reason)"
        case .item(let split, let index, let underlying):
            "regression split \(split), item \(index) could not be read: \(underlying)"
        case .itemShape(let split, let index, let field, let expected, let got):
            "regression split \(split), item \(index): \(field) has shape \(got), expected \(expected)"
        case .descriptorShape(let split, let expected, let got):
            "descriptors of split \(split) have shape \(got), expected \(expected)"
        case .tooFewTrainingItems(let available, let batchSize):
            "the regression training set has \(available) items, fewer than one batch of \(batchSize) (drop_last)"
        case .cache(let path, let reason):
            "descriptor cache \(path): \(reason)"
        case .keypoint(let error):
            "\(error)"
        case .nonFiniteLoss(let epoch, let iteration, let value):
            "the regression loss became \(value) at epoch \(epoch), iteration \(iteration); the regressor was left as it was before that step"
        case .nonFiniteGradient(let epoch, let iteration, let parameter):
            "the gradient of \(parameter) became NaN or infinite at epoch \(epoch), iteration \(iteration); the regressor was left as it was before that step"
        case .optimizer(let underlying):
            "the regression optimiser failed: \(underlying)"
        }
    }
}
