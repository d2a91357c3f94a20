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
    /// Embedding training and fine-tuning: total iterations (spread over as many epochs of the training
    /// split as they need) and pairs per batch; nil keeps the recipe's epochs and batch.
    public var trainingSteps: Int?
    public var trainingBatchPairs: Int?
    public var finetuneSteps: Int?
    /// Keypoint regressor: epochs (schedule milestones scaled to match), batch size.
    public var regressionEpochs: Int?
    public var regressionBatchSize: Int?
    /// The tolerance blessed with this tier's numbers (nil: the manifests' train tolerance).
    public var tolerance: ToleranceSpec?
    /// Iterations at which a trained embedding's matching metrics are evaluated (its learning curve);
    /// empty: none. The final iteration is always a point when the list is not empty.
    public var curvePoints: [Int] = []
    /// Trains every embedding and keypoint regressor from this seed instead of its recipe's (nil): a second or third seed of
    /// the same experiment, whose spread `bless --spread` turns into tolerance. The scale keeps its
    /// name, so a seed run is diffed against the tier's blessed numbers; rows record the override under
    /// `seedOverrideDetail`, and a rerun never reuses a row trained from another seed.
    public var trainingSeed: UInt64?

    /// The row detail that records a training-seed override.
    public static let seedOverrideDetail = "embedding.seed_override"

    public var description: String { name }
    public var isSynthetic: Bool { name != "paper" }

    /// The manifests' recipes and protocols, unchanged.
    public static let paper = RunScale(name: "paper", synthCount: [.celeba: 20_000, .aflwR: 13_113, .aflwM: 13_117, .threeHundredW: 3_837],
                                       synthSeed: 0)

    /// The embedded default of `dvebench reproduce`: all eight SmallNets of the seed tables in about
    /// six minutes on two cores, so that `make reproduce` on a fresh clone (release build included)
    /// stays under ten.
    public static let standard = RunScale(
        name: "default", synthCount: [.celeba: 2_000, .aflwR: 1_200, .aflwM: 1_200, .threeHundredW: 900], synthSeed: 0,
        trainingSteps: 80, trainingBatchPairs: 8, finetuneSteps: 30,
        regressionEpochs: 15, regressionBatchSize: 8, tolerance: synthetic)

    /// The CI tier: fewer images and steps, under three minutes.
    public static let quick = RunScale(
        name: "quick", synthCount: [.celeba: 1_000, .aflwR: 600, .aflwM: 600, .threeHundredW: 450], synthSeed: 0,
        trainingSteps: 60, trainingBatchPairs: 8, finetuneSteps: 20,
        regressionEpochs: 15, regressionBatchSize: 8, tolerance: synthetic)

    /// Measured: the quick tier on one thread instead of two (another summation order, as another
    /// CPU's BLAS kernels give) moved single numbers by up to 10 % after 60 training iterations on 50
    /// pairs. The gate is therefore wide: it catches a broken pipeline (an untrained or diverged
    /// model), not small numerical drift, which the golden checks gate instead.
    public static let synthetic = ToleranceSpec(
        absolute: 0.25, relative: 0.25,
        rule: "synthetic tier: 0.25 + 25 % (summation-order spread of a short training run, up to 10 % measured); README#determinism")

    /// The converged synthetic models (`dvebench reproduce --retrain` trains them, `expected/models/`
    /// ships them): the default tier (data, batch, regressor) trained until the learning curve is flat, with
    /// the curve recorded at every doubling. The schedule's decays keep their fraction of the run.
    public static let converged: RunScale = {
        var scale = standard
        scale.name = "converged"
        scale.trainingSteps = 4_000
        scale.tolerance = convergedTolerance
        scale.curvePoints = [250, 500, 1_000, 2_000, 4_000]
        return scale
    }()

    /// The bound a converged model's metrics must be blessed within: at most 10 % of the expected
    /// value plus 0.1 (px or %IOD), widened to twice the spread measured across kernels and seeds by
    /// `bless --spread` (a spread that needs more means the model has not converged).
    public static let convergedTolerance = ToleranceSpec(
        absolute: 0.1, relative: 0.10,
        rule: "converged synthetic model: 0.1 + 10 %, absolute term raised to twice the spread across BLAS kernels and seeds")

    public static let all: [RunScale] = [.paper, .standard, .quick, .converged]

    public static func named(_ name: String) -> RunScale? { all.first { $0.name == name } }

    public init(name: String, synthCount: [SynthLayout: Int], synthSeed: UInt64, trainingSteps: Int? = nil,
                trainingBatchPairs: Int? = nil, finetuneSteps: Int? = nil, regressionEpochs: Int? = nil,
                regressionBatchSize: Int? = nil, tolerance: ToleranceSpec? = nil) {
        self.tolerance = tolerance
        self.name = name
        self.synthCount = synthCount
        self.synthSeed = synthSeed
        self.trainingSteps = trainingSteps
        self.trainingBatchPairs = trainingBatchPairs
        self.finetuneSteps = finetuneSteps
        self.regressionEpochs = regressionEpochs
        self.regressionBatchSize = regressionBatchSize
    }

    /// Epochs and iterations per epoch that make about `steps` iterations over a split of `images`
    /// images in batches of `batchPairs` (full batches only, as `drop_last`).
    static func epochs(forSteps steps: Int, images: Int, batchPairs: Int) -> (epochs: Int, stepsPerEpoch: Int) {
        let perEpoch = max(1, images / max(1, batchPairs))
        let epochs = max(1, (steps + perEpoch - 1) / perEpoch)
        return (epochs, min(perEpoch, max(1, (steps + epochs - 1) / epochs)))
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
