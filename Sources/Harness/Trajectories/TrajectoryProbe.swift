import Foundation
import Landmarks
import Tensors

/// The first few iterations of one training recipe, from a fixed initialisation on fixed SynthFaces
/// data: the fast layer of the CI gate.
///
/// Why a trajectory and not a trained model's metrics: after thousands of iterations a 1-ulp change
/// anywhere (another BLAS kernel, another CPU) has grown into a different model, but during the first
/// few iterations it has not yet. Adam's first steps move every weight by about ±lr whatever the size
/// of its gradient, so a near-zero gradient whose sign flips is amplified at once; the relative
/// difference between kernels grows by about ×10 every two steps (measured: 4e-6 at step 1, 3e-3 at
/// step 8). A handful of steps therefore stays reproducible to ~1e-4 on any machine while a defect in
/// the loss, the network or the optimiser moves the same numbers by 1e-2 or more.
public struct TrajectoryProbe: Sendable {
    public enum Kind: Sendable {
        /// The embedding trainer (`Trainer`) on warped SynthFaces pairs.
        case embedding(TrainingConfiguration)
        /// The keypoint regressor (`KeypointRegression.train`) on the descriptors of a freshly
        /// initialised SmallNet.
        case regressor(descriptorChannels: Int, options: RegressionOptions, trainItems: Int)
    }

    public var name: String
    public var kind: Kind
    /// What the probe runs, for reports and the expected file.
    public var summary: String

    /// SynthFaces faces of the probes' fixed data (celeba layout).
    static let synthCount = 200
    static let synthSeed: UInt64 = 11

    /// SmallNet 16 with and without DVE and 64 with DVE (the quick tier's models), the Hourglass with
    /// DVE, and the keypoint regressor, each with its recipe's loss, optimiser, image size and
    /// augmentation; only the batch and the number of iterations are small.
    public static func standard() throws -> [TrajectoryProbe] {
        func smallNet(_ channels: Int, dve: Bool) throws -> TrajectoryProbe {
            var configuration = try TrainingConfiguration.smallNetCelebA(outputChannels: channels, dve: dve, seed: 0)
            configuration.batchPairs = 4
            configuration.epochs = 1
            configuration.stepsPerEpoch = 6
            return TrajectoryProbe(name: "smallnet-\(channels)d\(dve ? "-dve" : "")", kind: .embedding(configuration),
                                   summary: "SmallNet-\(channels) \(dve ? "DVE" : "plain") loss, recipe lr/Adam/augmentation, 4 pairs × 6 iterations")
        }
        var hourglass = try TrainingConfiguration.hourglassCelebA(outputChannels: 64, dve: true, seed: 0)
        hourglass.batchPairs = 1
        hourglass.epochs = 1
        hourglass.stepsPerEpoch = 3
        var regression = RegressionOptions.paper
        regression.epochs = 2
        regression.batchSize = 8
        regression.evaluateEveryEpoch = false
        return [
            try smallNet(16, dve: false), try smallNet(16, dve: true), try smallNet(64, dve: true),
            TrajectoryProbe(name: "hourglass-64d-dve", kind: .embedding(hourglass),
                            summary: "Hourglass-64 normalised DVE loss, recipe lr/Adam/augmentation, 1 pair × 3 iterations"),
            TrajectoryProbe(name: "regressor", kind: .regressor(descriptorChannels: 16, options: regression, trainItems: 40),
                            summary: "keypoint regressor (nI 50, amsgrad, wd 5e-4) on SmallNet-16 descriptors, 40 images, batch 8 × 2 epochs"),
        ]
    }

    /// Runs the probe. Everything it draws is seeded, so one machine repeats it bit for bit whatever
    /// the thread count.
    public func run() throws -> Trajectory {
        let tree = try SynthTree(layout: .celeba, count: Self.synthCount, seed: Self.synthSeed)
        switch kind {
        case .embedding(let configuration):
            let preprocessing = try DatasetPreprocessing(imageWidth: configuration.imageWidth, crop: configuration.crop)
            let source = try tree.dataset(.embeddingTraining, preprocessing: preprocessing)
            let trainer = try Trainer(configuration: configuration, source: source)
            let initial = trainer.model.stateDict()
            try trainer.run()
            // Biases that BatchNorm cancels move by rounding noise alone (see the function): recording
            // them would gate on how a kernel rounds, not on what the code computes.
            let noise = DescriptorNetworks.biasesCancelledByBatchNorm(in: trainer.model)
            return Trajectory(name: name, losses: trainer.losses,
                              displacement: Self.displacement(from: initial, to: trainer.model.stateDict()).filter { !noise.contains($0.key) })
        case .regressor(let channels, let options, let trainItems):
            let preprocessing = try DatasetPreprocessing(imageWidth: 100, crop: 15)
            var generator = SeededGenerator(seed: SeededGenerator.derive(options.seed, 7))
            let network = try DescriptorNetworks.make(.smallNet, outputChannels: channels, using: &generator)
            let cache = RegressionDescriptorCache()
            let trainSource = try tree.dataset(.train, preprocessing: preprocessing).regressionSource()
            let testSource = try tree.dataset(.test, preprocessing: preprocessing).regressionSource()
            let (train, _) = try KeypointRegression.descriptors(network: network, source: trainSource, options: options, cache: cache)
            let (test, _) = try KeypointRegression.descriptors(network: network, source: testSource, options: options, cache: cache)
            let result = try KeypointRegression.train(train: train, test: test, eyes: testSource.eyes, trainEyes: trainSource.eyes,
                                                      trainIndices: Array(0..<min(trainItems, train.count)), options: options)
            return Trajectory(name: name, losses: result.iterationLosses,
                              displacement: Self.displacement(from: result.initialRegressor, to: result.regressor))
        }
    }

    /// ‖after − before‖₂ for every floating-point tensor of the state (parameters and BatchNorm
    /// buffers), in the state's key order. A learning rate or update rule that is off shows here
    /// even when the loss barely moves.
    static func displacement(from before: StateDict, to after: StateDict) -> [(key: String, norm: Double)] {
        before.keys.compactMap { key in
            guard case .float(let a)? = before[key], case .float(let b)? = after[key], a.count == b.count else { return nil }
            var sum = 0.0
            for i in 0..<a.count {
                let d = Double(b[flat: i]) - Double(a[flat: i])
                sum += d * d
            }
            return (key, sum.squareRoot())
        }
    }
}

/// What a probe recorded: one loss per iteration and how far each state tensor moved.
public struct Trajectory: Sendable {
    public var name: String
    public var losses: [Double]
    public var displacement: [(key: String, norm: Double)]

    public init(name: String, losses: [Double], displacement: [(key: String, norm: Double)]) {
        self.name = name
        self.losses = losses
        self.displacement = displacement
    }
}
