import Tensors

/// Everything that decides a regression run (`configs/*-keypoints/*.json`, training.md §2.3). The
/// defaults are the released configs: regressor nI = 50, softmax multiplier 100, `regression_loss`
/// with alpha 10, Adam amsgrad (PyTorch 1.1 formula) at lr 1e-3 with weight decay 5e-4,
/// `MultiStepLR([100, 250], 0.1)` in the reference trainer's epoch convention (decays take effect at
/// epochs 102 and 252, quirk Q11), 300 epochs, batch 32, shuffled, `drop_last`.
public struct RegressionOptions: Sendable, Codable, Equatable {
    public var intermediatePoints: Int = 50
    public var softargmaxMultiplier: Float = 100
    public var alpha: Float = 10
    public var epochs: Int = 300
    public var batchSize: Int = 32
    /// The train loader's `drop_last=True`: a final partial batch is skipped.
    public var dropLast: Bool = true
    public var learningRate: Double = 1e-3
    public var weightDecay: Double = 5e-4
    public var adam = AdamConfiguration()
    /// Applied with `Adam.setLearningRates(forEpoch:schedule:)` before every 1-based epoch.
    public var schedule: LearningRateSchedule = (try? .multiStep(milestones: [100, 250], gamma: 0.1)) ?? .constant
    /// Seeds the regressor's initialisation (`derive(seed, 0)`) and each epoch's shuffle
    /// (`derive(seed, 1, epoch)`).
    public var seed: UInt64 = 0
    /// The rounding of the soft-argmax axes: PyTorch 1.1's (the paper's runs) by default.
    public var linspace: Linspace.Variant = .torch1_1
    /// Images per descriptor-network forward during extraction (the reference uses 100).
    public var extractionBatchSize: Int = 32
    /// Images per regressor forward during evaluation; does not change the result.
    public var evaluationBatchSize: Int = 32
    /// Evaluate the test split after every epoch (the reference does, and logs it); when false only
    /// after the last epoch, which is all the reported number needs.
    public var evaluateEveryEpoch: Bool = true

    public init() {}

    /// The released keypoint-regression configs (the defaults).
    public static let paper = RegressionOptions()

    /// The limited-annotation configs (training.md §2.4): as `paper` but lr 0.01, `MultiStepLR([])`
    /// (constant) and 50 epochs.
    public static var limitedAnnotations: RegressionOptions {
        var options = RegressionOptions()
        options.learningRate = 0.01
        options.schedule = .constant
        options.epochs = 50
        return options
    }

    /// Every value a run could not start with, named.
    public func validate() throws(RegressionError) {
        func require(_ ok: Bool, _ field: String, _ value: Any, _ rule: String) throws(RegressionError) {
            if !ok { throw .invalidOption(field: field, value: "\(value)", requirement: rule) }
        }
        try require(intermediatePoints > 0, "intermediatePoints", intermediatePoints, "must be positive")
        try require(softargmaxMultiplier.isFinite, "softargmaxMultiplier", softargmaxMultiplier, "must be finite")
        try require(alpha.isFinite && alpha > 0, "alpha", alpha, "must be finite and positive")
        try require(epochs > 0, "epochs", epochs, "must be positive")
        try require(batchSize > 0, "batchSize", batchSize, "must be positive")
        try require(learningRate.isFinite && learningRate >= 0, "learningRate", learningRate, "must be finite and ≥ 0")
        try require(weightDecay.isFinite && weightDecay >= 0, "weightDecay", weightDecay, "must be finite and ≥ 0")
        try require(extractionBatchSize > 0, "extractionBatchSize", extractionBatchSize, "must be positive")
        try require(evaluationBatchSize > 0, "evaluationBatchSize", evaluationBatchSize, "must be positive")
        do { try adam.validate() } catch { throw .invalidOption(field: "adam", value: "\(adam)", requirement: "\(error)") }
    }
}
