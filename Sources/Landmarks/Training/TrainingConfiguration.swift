import Tensors

/// Everything that decides a training run, with the fields of the reference configs
/// (`configs/celeba/*.json`; `training.md` §2.1). Two runs with equal configurations, equal image
/// sources and equal thread counts produce bit-identical weights.
public struct TrainingConfiguration: Sendable, Codable, Equatable {
    /// `arch.type`.
    public var architecture: Architecture
    /// `arch.args.num_output_channels`.
    public var outputChannels: Int
    /// `dense_correlation_loss_dve` when true, `dense_correlation_loss` otherwise.
    public var exchangeDescriptors: Bool
    /// `loss_args.normalize_vectors` (false in the SmallNet CelebA configs; the reference default is true).
    public var normalizeVectors: Bool
    public var pow: Float
    /// Pairs per batch (`batch_size`); the network sees twice as many images.
    public var batchPairs: Int
    public var epochs: Int
    /// Caps the iterations of an epoch (CPU-sized runs); nil trains on every full batch, `drop_last`.
    public var stepsPerEpoch: Int?
    public var learningRate: Double
    /// `bias_lr`: the Conv2d biases' learning rate (quirk Q12); nil for a single parameter group.
    public var biasLearningRate: Double?
    public var weightDecay: Double
    public var adam: AdamConfiguration
    /// Stepped with the reference trainer's `step(epoch − 1)` convention (quirk Q11).
    public var schedule: LearningRateSchedule
    /// Pre-crop image side (`imwidth`, 100 for SmallNet) and crop (15): the network sees 70×70.
    public var imageWidth: Int
    public var crop: Int
    public var warpAmplitudes: TPSAmplitudes
    public var linspace: Linspace.Variant
    public var alignCorners: AlignCorners
    /// The train split's `do_augmentations=True` (JPEG noise, colour jitter, PCA lighting on each
    /// warped image of a pair; `PhotometricAugmentation.reference`). On in both CelebA recipes, as in
    /// the reference configs. Configurations encoded before this field existed decode with `false`:
    /// those runs trained without augmentation, so resuming them must not switch it on.
    public var photometricAugmentation: Bool
    /// Seeds the initial weights, the epoch shuffles and every warp.
    public var seed: UInt64
    /// Write a checkpoint every this many iterations (and at the end of every epoch).
    public var checkpointEvery: Int

    /// The SmallNet recipe of `configs/celeba/smallnet-<C>d[-dve].json`.
    public static func smallNetCelebA(outputChannels: Int, dve: Bool, seed: UInt64 = 0) throws -> TrainingConfiguration {
        try TrainingConfiguration(
            architecture: .smallNet, outputChannels: outputChannels, exchangeDescriptors: dve, normalizeVectors: false, pow: 0.5,
            batchPairs: 32, epochs: 100, stepsPerEpoch: nil, learningRate: 1e-3, biasLearningRate: 1e-5,
            weightDecay: 0, adam: AdamConfiguration(),
            schedule: .multiStep(milestones: [70, 90], gamma: 0.1),
            imageWidth: 100, crop: 15, warpAmplitudes: .training, linspace: .torch1_1, alignCorners: .true,
            photometricAugmentation: true, seed: seed, checkpointEvery: 500)
    }

    /// The Hourglass recipe of `configs/celeba/hourglass-64d-dve.json`: no `loss_args`, so the descriptors
    /// are normalised (×20); 16 pairs; one parameter group; StepLR(50, 0.1); imwidth 136, crop 20 (96×96).
    public static func hourglassCelebA(outputChannels: Int = 64, dve: Bool = true, seed: UInt64 = 0) throws -> TrainingConfiguration {
        try TrainingConfiguration(
            architecture: .hourglass, outputChannels: outputChannels, exchangeDescriptors: dve, normalizeVectors: true, pow: 0.5,
            batchPairs: 16, epochs: 100, stepsPerEpoch: nil, learningRate: 1e-3, biasLearningRate: nil,
            weightDecay: 0, adam: AdamConfiguration(),
            schedule: .step(size: 50, gamma: 0.1),
            imageWidth: 136, crop: 20, warpAmplitudes: .training, linspace: .torch1_1, alignCorners: .true,
            photometricAugmentation: true, seed: seed, checkpointEvery: 500)
    }

    /// Every value a run could not start with, named.
    public func validate() throws(TrainingError) {
        func require(_ ok: Bool, _ field: String, _ value: Any, _ rule: String) throws(TrainingError) {
            if !ok { throw .invalidConfiguration(field: field, value: "\(value)", requirement: rule) }
        }
        try require(outputChannels > 0, "outputChannels", outputChannels, "must be positive")
        try require(batchPairs > 0, "batchPairs", batchPairs, "must be positive")
        try require(epochs > 0, "epochs", epochs, "must be positive")
        try require(stepsPerEpoch.map { $0 > 0 } ?? true, "stepsPerEpoch", stepsPerEpoch as Any, "must be positive")
        try require(learningRate.isFinite && learningRate > 0, "learningRate", learningRate, "must be finite and positive")
        try require(biasLearningRate.map { $0.isFinite && $0 > 0 } ?? true, "biasLearningRate", biasLearningRate as Any,
                    "must be finite and positive")
        try require(weightDecay.isFinite && weightDecay >= 0, "weightDecay", weightDecay, "must be finite and ≥ 0")
        try require(pow.isFinite && pow > 0, "pow", pow, "must be finite and positive")
        try require(crop >= 0 && imageWidth - 2 * crop >= 4, "crop", crop, "must leave at least 4 pixels of \(imageWidth)")
        if architecture == .hourglass {
            // Four 2× poolings inside the hourglass after the stride-2 stem and the stride-2 pool.
            let side = imageWidth - 2 * crop, multiple = HourglassWidths.reference(outputChannels: outputChannels).inputSideMultiple
            try require(side % multiple == 0, "crop", crop,
                        "must leave a side divisible by \(multiple) for the hourglass (imwidth \(imageWidth) leaves \(side))")
        }
        try require(checkpointEvery > 0, "checkpointEvery", checkpointEvery, "must be positive")
    }
}

extension TrainingConfiguration {
    /// The synthesised decoding, except that a missing `photometricAugmentation` means false (see
    /// the field). Written out because synthesised `Decodable` requires every key.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            architecture: try c.decode(Architecture.self, forKey: .architecture),
            outputChannels: try c.decode(Int.self, forKey: .outputChannels),
            exchangeDescriptors: try c.decode(Bool.self, forKey: .exchangeDescriptors),
            normalizeVectors: try c.decode(Bool.self, forKey: .normalizeVectors),
            pow: try c.decode(Float.self, forKey: .pow),
            batchPairs: try c.decode(Int.self, forKey: .batchPairs),
            epochs: try c.decode(Int.self, forKey: .epochs),
            stepsPerEpoch: try c.decodeIfPresent(Int.self, forKey: .stepsPerEpoch),
            learningRate: try c.decode(Double.self, forKey: .learningRate),
            biasLearningRate: try c.decodeIfPresent(Double.self, forKey: .biasLearningRate),
            weightDecay: try c.decode(Double.self, forKey: .weightDecay),
            adam: try c.decode(AdamConfiguration.self, forKey: .adam),
            schedule: try c.decode(LearningRateSchedule.self, forKey: .schedule),
            imageWidth: try c.decode(Int.self, forKey: .imageWidth),
            crop: try c.decode(Int.self, forKey: .crop),
            warpAmplitudes: try c.decode(TPSAmplitudes.self, forKey: .warpAmplitudes),
            linspace: try c.decode(Linspace.Variant.self, forKey: .linspace),
            alignCorners: try c.decode(AlignCorners.self, forKey: .alignCorners),
            photometricAugmentation: try c.decodeIfPresent(Bool.self, forKey: .photometricAugmentation) ?? false,
            seed: try c.decode(UInt64.self, forKey: .seed),
            checkpointEvery: try c.decode(Int.self, forKey: .checkpointEvery))
    }
}
