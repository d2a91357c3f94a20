import Foundation
import Tensors

/// The landmark-regression evaluation protocol (reference protocols.md (b), training.md §2.3–2.4):
/// frozen descriptors of the train and test splits, an `IntermediateKeypointPredictor` trained on the
/// train descriptors with `regressionLoss`, and the **last epoch's** mean inter-ocular error on the
/// test split (the reference sets `monitor: off`, so there is no model selection).
///
/// Library functions only: nothing is printed, progress goes to a callback, and every failure is a
/// `RegressionError` naming its split, item, file or step.
public enum KeypointRegression {}

/// What the protocol reports while it runs.
public enum RegressionProgress: Sendable {
    /// `done` of `total` items of `split` have gone through the network.
    case extraction(split: String, done: Int, total: Int)
    /// A split's descriptors are ready (extracted or found in the cache).
    case descriptors(RegressionSplitReport)
    /// A limited-annotation run with `annotations` training images and `seed` starts.
    case limitedAnnotationRun(annotations: Int, seed: UInt64)
    /// An epoch finished (of `total`).
    case epoch(RegressionEpoch, total: Int)
}

/// One epoch of regressor training.
public struct RegressionEpoch: Sendable, Codable, Equatable {
    /// 1-based.
    public var epoch: Int
    /// The lr in force during the epoch (the trainer's convention, quirk Q11).
    public var learningRate: Double
    /// Mean `regression_loss` over the epoch's iterations.
    public var trainLoss: Double
    /// Batch-size-weighted mean of the per-batch inter-ocular errors on the training batches (what the
    /// reference logs as `inter_ocular_error`), percent.
    public var trainInterOcularError: Double
    /// The test split's inter-ocular error after this epoch (`val_inter_ocular_error`), percent; nil
    /// when the epoch was not evaluated (`evaluateEveryEpoch == false`).
    public var testInterOcularError: Double?
    /// Time spent optimising, and evaluating, in this epoch.
    public var trainingSeconds: Double
    public var evaluationSeconds: Double
}

/// A trained regressor and its evaluation.
public struct RegressionTrainingResult: Sendable {
    /// The reported number: the test inter-ocular error after the last epoch, percent.
    public var interOcularError: Double
    /// Every epoch in order (the curve).
    public var epochs: [RegressionEpoch]
    /// The last epoch's test errors, per keypoint and per image.
    public var test: InterOcularError
    /// The last epoch's test predictions (N, nA, 2), normalised coordinates.
    public var testPredictions: Tensor
    /// Entries per epoch (after tiling, before `drop_last`) and full iterations per epoch.
    public var trainingItems: Int
    public var iterationsPerEpoch: Int
    public var seed: UInt64
    /// The trained regressor's state (its keys as the reference names them).
    public var regressor: StateDict
    /// The state it started from (after the seeded initialisation), so a trajectory check can measure
    /// how far each tensor moved.
    public var initialRegressor: StateDict
    /// Every iteration's loss, in order across epochs.
    public var iterationLosses: [Double]
    /// Wall time of all epochs, training and evaluation.
    public var seconds: Double
}

/// The protocol's full result: the trained regressor's numbers and how each split's descriptors were
/// obtained.
public struct RegressionResult: Sendable {
    public var training: RegressionTrainingResult
    public var train: RegressionSplitReport
    public var test: RegressionSplitReport
    public var options: RegressionOptions

    /// The reported number (last-epoch test inter-ocular error, percent).
    public var interOcularError: Double { training.interOcularError }
}

extension KeypointRegression {
    /// The whole protocol: descriptors of both splits (cached, see `descriptors(network:source:…)`),
    /// then `train(train:test:…)`. The test split's eye indices define the error; the train split's
    /// the logged training error. `cache` defaults to a fresh in-memory cache.
    ///
    /// Memory: a split's descriptors take N·C·h·w·4 bytes (1000 SmallNet-64 images: 314 MB; MAFL's
    /// 19 000 training images: 6 GB). Without a cache directory they live on the heap; with one they
    /// are memory-mapped from the cache file, so the page cache holds them.
    public static func run(network: any Layer, train: any KeypointImageSource, test: any KeypointImageSource,
                           options: RegressionOptions = .paper, cache: RegressionDescriptorCache? = nil,
                           progress: ((RegressionProgress) -> Void)? = nil) throws(RegressionError) -> RegressionResult {
        try options.validate()
        try checkCompatible(train: train, test: test)
        let store = cache ?? RegressionDescriptorCache()
        let (trainSet, trainReport) = try descriptors(network: network, source: train, options: options, cache: store, progress: progress)
        let (testSet, testReport) = try descriptors(network: network, source: test, options: options, cache: store, progress: progress)
        let training = try self.train(train: trainSet, test: testSet, eyes: test.eyes, trainEyes: train.eyes,
                                      options: options, progress: progress)
        return RegressionResult(training: training, train: trainReport, test: testReport, options: options)
    }

    static func checkCompatible(train: any KeypointImageSource, test: any KeypointImageSource) throws(RegressionError) {
        guard train.keypointCount == test.keypointCount else {
            throw .splitMismatch(reason: "train has \(train.keypointCount) keypoints, test \(test.keypointCount)")
        }
        guard train.imageHeight == test.imageHeight, train.imageWidth == test.imageWidth else {
            throw .splitMismatch(reason: "train images are \(train.imageHeight)×\(train.imageWidth), test \(test.imageHeight)×\(test.imageWidth)")
        }
    }

    /// The test predictions (N, nA, 2) of `regressor` on every item of `set`, in batches.
    public static func predict(_ regressor: IntermediateKeypointPredictor, on set: RegressionDescriptors,
                               batchSize: Int = 32) -> Tensor {
        var all = Tensor(shape: [set.count, set.keypointCount, 2])
        let stride = set.keypointCount * 2
        for first in Swift.stride(from: 0, to: set.count, by: max(1, batchSize)) {
            let indices = Array(first..<min(set.count, first + max(1, batchSize)))
            let pred = regressor.forward(set.descriptors(at: indices), training: false)
            for i in 0..<(indices.count * stride) { all[flat: first * stride + i] = pred[flat: i] }
        }
        return all
    }
}
