import Landmarks
import Tensors

/// How big a run is. `paper` follows every manifest's recipe and reads full datasets; the synthetic
/// tiers shrink training and regression so a table fits on a laptop CPU while keeping every step of
/// the pipeline (warps, losses, protocols) exactly as at paper scale.
///
/// A tier changes only counts (images, steps, epochs, batch size); learning rates, losses, image
/// sizes, crops and protocols stay the manifest's. Milestones of a shortened schedule keep their
/// fraction of the run, so the learning rate still decays where the recipe has it decay.
public struct RunScale: Sendable, Equatable, CustomStringConvertible {
    public var name: String
    /// SynthFaces images per layout when no data root is given (split as the real layouts split).
    public var synthCount: [SynthLayout: Int]
    /// Seed of the SynthFaces identities and images.
    public var synthSeed: UInt64
    /// Embedding training (and fine-tuning): nil keeps the recipe's value.
    public var trainingEpochs: Int?
    public var trainingStepsPerEpoch: Int?
    public var trainingBatchPairs: Int?
    public var finetuneEpochs: Int?
    public var finetuneStepsPerEpoch: Int?
    /// Keypoint regressor: epochs (schedule milestones scaled to match), batch size.
    public var regressionEpochs: Int?
    public var regressionBatchSize: Int?

    public var description: String { name }
    public var isSynthetic: Bool { name != "paper" }

    /// The manifests' recipes and protocols, unchanged.
    public static let paper = RunScale(name: "paper", synthCount: [.celeba: 20_000, .aflwR: 13_113, .aflwM: 13_117, .threeHundredW: 3_837],
                                       synthSeed: 0)

    /// The embedded default of `dvebench reproduce`: all eight SmallNets of the seed tables in under
    /// ten minutes on two cores.
    public static let standard = RunScale(
        name: "default", synthCount: [.celeba: 2_000, .aflwR: 1_200, .aflwM: 1_200, .threeHundredW: 900], synthSeed: 0,
        trainingEpochs: 1, trainingStepsPerEpoch: 100, trainingBatchPairs: 8,
        finetuneEpochs: 1, finetuneStepsPerEpoch: 40,
        regressionEpochs: 20, regressionBatchSize: 32)

    /// The CI tier: fewer images and steps, under three minutes.
    public static let quick = RunScale(
        name: "quick", synthCount: [.celeba: 1_000, .aflwR: 600, .aflwM: 600, .threeHundredW: 450], synthSeed: 0,
        trainingEpochs: 1, trainingStepsPerEpoch: 50, trainingBatchPairs: 8,
        finetuneEpochs: 1, finetuneStepsPerEpoch: 20,
        regressionEpochs: 10, regressionBatchSize: 32)

    public static let all: [RunScale] = [.paper, .standard, .quick]

    public static func named(_ name: String) -> RunScale? { all.first { $0.name == name } }

    public init(name: String, synthCount: [SynthLayout: Int], synthSeed: UInt64, trainingEpochs: Int? = nil,
                trainingStepsPerEpoch: Int? = nil, trainingBatchPairs: Int? = nil, finetuneEpochs: Int? = nil,
                finetuneStepsPerEpoch: Int? = nil, regressionEpochs: Int? = nil, regressionBatchSize: Int? = nil) {
        self.name = name
        self.synthCount = synthCount
        self.synthSeed = synthSeed
        self.trainingEpochs = trainingEpochs
        self.trainingStepsPerEpoch = trainingStepsPerEpoch
        self.trainingBatchPairs = trainingBatchPairs
        self.finetuneEpochs = finetuneEpochs
        self.finetuneStepsPerEpoch = finetuneStepsPerEpoch
        self.regressionEpochs = regressionEpochs
        self.regressionBatchSize = regressionBatchSize
    }

    /// `schedule` for a run of `epochs` instead of `recipeEpochs`: milestones and step sizes keep their
    /// fraction of the run (rounded, at least epoch 1).
    static func rescaled(_ schedule: LearningRateSchedule, from recipeEpochs: Int, to epochs: Int) throws -> LearningRateSchedule {
        guard epochs != recipeEpochs, recipeEpochs > 0 else { return schedule }
        func scale(_ epoch: Int) -> Int { max(1, Int((Double(epoch) * Double(epochs) / Double(recipeEpochs)).rounded())) }
        switch schedule.kind {
        case .constant: return .constant
        case .multiStep(let milestones, let gamma): return try .multiStep(milestones: milestones.map(scale), gamma: gamma)
        case .step(let size, let gamma): return try .step(size: scale(size), gamma: gamma)
        }
    }
}
