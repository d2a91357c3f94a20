import Foundation
import Landmarks
import SmallNetWorkloads
import Tensors

/// The whole-pipeline workloads that `torch/pipeline_bench.py` twins, on a CelebA-layout tree that
/// `dvebench synth --layout celeba` wrote (the reference's `data/celeba`).
enum PipelineWorkloadKind: String, CaseIterable {
    /// One training iteration of SmallNet-64 DVE, 32 pairs (`configs/celeba/smallnet-64d-dve.json`):
    /// pair sampling from JPEG, TPS warps, photometric augmentation, forward on 64 images, the DVE
    /// loss, backward and the Adam step.
    case trainSmallNet = "train-smallnet"
    /// The same for the Hourglass-64 DVE recipe, 16 pairs.
    case trainHourglass = "train-hourglass"
    /// The matching protocol over the MAFL test split, from JPEG decode to the two mean errors.
    case matching
    /// The regression protocol's descriptor extraction over the MAFL training split.
    case regressionExtract = "regression-extract"
    /// One epoch of the keypoint regressor on the cached MAFL training descriptors.
    case regressionEpoch = "regression-epoch"

    var isTraining: Bool { self == .trainSmallNet || self == .trainHourglass }
}

/// One timed workload: its samples (ms), the items each sample processed, and per-stage times.
struct PipelineMeasurement {
    var samples: [Double] = []
    var foreignCores: [Double] = []
    var items = 0
    var unit = "images"
    var stages: [String: Double] = [:]
    var checksum = 0.0
}

struct PipelineWorkload {
    let kind: PipelineWorkloadKind
    let celebaRoot: String
    /// Timed iterations of the training workloads.
    let iterations: Int
    /// Timed passes of the matching and regression workloads.
    let passes: Int
    /// Untimed iterations or passes first.
    let warmup: Int
    let matchingLimit: Int?

    private static let clock = ContinuousClock()

    private static func milliseconds(_ d: Duration) -> Double {
        Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
    }

    /// Times `body` once, with the load other processes put on the machine meanwhile.
    private static func timed(_ measurement: inout PipelineMeasurement, _ body: () throws -> Double) rethrows {
        let probe = ForeignLoadProbe()
        let start = clock.now
        measurement.checksum += try body()
        measurement.samples.append(milliseconds(clock.now - start))
        measurement.foreignCores.append(probe.foreignCores() ?? 0)
    }

    func run() throws -> PipelineMeasurement {
        switch kind {
        case .trainSmallNet:
            return try training(try .smallNetCelebA(outputChannels: 64, dve: true), preprocessing: .smallNet)
        case .trainHourglass:
            return try training(try .hourglassCelebA(outputChannels: 64, dve: true), preprocessing: .hourglass)
        case .matching: return try matching()
        case .regressionExtract: return try regressionExtract()
        case .regressionEpoch: return try regressionEpoch()
        }
    }

    private func training(_ configuration: TrainingConfiguration, preprocessing: DatasetPreprocessing) throws -> PipelineMeasurement {
        let source = try CelebADataset(root: celebaRoot, split: .prunedTrain, preprocessing: preprocessing)
        let trainer = try Trainer(configuration: configuration, source: source)
        var measurement = PipelineMeasurement(items: 2 * configuration.batchPairs, unit: "images")
        func step() throws -> Double {
            let target = trainer.completedIterations + 1
            try trainer.run(shouldStop: { trainer.completedIterations >= target })
            return trainer.losses.last ?? .nan
        }
        for _ in 0..<warmup { _ = try step() }
        let before = trainer.stageTimes
        for _ in 0..<iterations { try Self.timed(&measurement, step) }
        // The twin calls the batch stage "data".
        for (stage, seconds) in trainer.stageTimes.since(before).perIteration {
            measurement.stages[stage == "batch" ? "data" : stage] = seconds * 1000
        }
        return measurement
    }

    /// A SmallNet-64 from a fixed seed: the cost of evaluation does not depend on the weights.
    private func network() throws -> any DescriptorNetwork {
        var generator = SeededGenerator(seed: 7)
        return try DescriptorNetworks.make(.smallNet, outputChannels: 64, using: &generator)
    }

    private func matching() throws -> PipelineMeasurement {
        let net = try network()
        var options = MatchingOptions.smallNet(warps: nil)
        options.pairLimit = matchingLimit
        var measurement = PipelineMeasurement(unit: "pairs")
        var pairs = 0
        // Opening the split (annotation files) is part of a pass; decoding happens inside the protocol.
        func pass() throws -> Double {
            let test = try CelebADataset(root: celebaRoot, split: .maflTest, preprocessing: .smallNet)
            let result = try MatchingProtocol.run(network: net, source: test, options: options, progress: { _ in })
            pairs = result.pairCount
            return result.sameIdentityError + result.differentIdentityError
        }
        for _ in 0..<warmup { _ = try pass() }
        for _ in 0..<passes { try Self.timed(&measurement, pass) }
        measurement.items = pairs
        return measurement
    }

    private func regressionExtract() throws -> PipelineMeasurement {
        let net = try network()
        var measurement = PipelineMeasurement(unit: "images")
        var images = 0
        func pass() throws -> Double {
            let train = try CelebADataset(root: celebaRoot, split: .maflTrain, preprocessing: .smallNet).regression()
            // A fresh in-memory cache each pass: extraction, not a cache hit, is what is timed.
            let (descriptors, _) = try KeypointRegression.descriptors(network: net, source: train, cache: RegressionDescriptorCache())
            images = descriptors.count
            return Double(descriptors.count)
        }
        for _ in 0..<warmup { _ = try pass() }
        for _ in 0..<passes { try Self.timed(&measurement, pass) }
        measurement.items = images
        return measurement
    }

    private func regressionEpoch() throws -> PipelineMeasurement {
        let net = try network()
        let cache = RegressionDescriptorCache()
        let train = try CelebADataset(root: celebaRoot, split: .maflTrain, preprocessing: .smallNet).regression()
        let test = try CelebADataset(root: celebaRoot, split: .maflTest, preprocessing: .smallNet).regression()
        let (trainSet, _) = try KeypointRegression.descriptors(network: net, source: train, cache: cache)
        let (testSet, _) = try KeypointRegression.descriptors(network: net, source: test, cache: cache)
        var options = RegressionOptions.paper
        options.epochs = 1
        var measurement = PipelineMeasurement(unit: "images")
        measurement.items = (trainSet.count / options.batchSize) * options.batchSize
        // One epoch as the reference trainer runs it: training steps, then the epoch's test evaluation.
        func epoch() throws -> Double {
            try KeypointRegression.train(train: trainSet, test: testSet, eyes: test.eyes, trainEyes: train.eyes,
                                         options: options).interOcularError
        }
        for _ in 0..<warmup { _ = try epoch() }
        for _ in 0..<passes { try Self.timed(&measurement, epoch) }
        return measurement
    }
}
