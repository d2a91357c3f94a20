import Foundation
import Tensors

/// What the trainer reports after every iteration.
public struct TrainingProgress: Sendable {
    /// The iteration that just finished.
    public var epoch: Int
    public var iteration: Int
    public var iterationsPerEpoch: Int
    public var completedIterations: Int
    public var totalIterations: Int
    public var loss: Double
    public var learningRate: Double
    public var imagesPerSecond: Double
    public var secondsRemaining: Double
}

/// Wall time spent in each stage of the iterations run by this process (not across resumes): where a
/// training iteration's time goes, recorded with a row's throughput.
public struct TrainingStageTimes: Sendable, Equatable {
    /// Sampling the pairs: decoding, resizing, warping and augmenting the images.
    public var batch: Double = 0
    public var forward: Double = 0
    public var loss: Double = 0
    public var backward: Double = 0
    /// The finiteness check of the gradients and the Adam step.
    public var optimizer: Double = 0
    public var iterations: Int = 0

    public init() {}

    public var total: Double { batch + forward + loss + backward + optimizer }

    /// The time spent since `earlier`, a reading of the same trainer's `stageTimes`.
    public func since(_ earlier: TrainingStageTimes) -> TrainingStageTimes {
        var delta = TrainingStageTimes()
        delta.batch = batch - earlier.batch
        delta.forward = forward - earlier.forward
        delta.loss = loss - earlier.loss
        delta.backward = backward - earlier.backward
        delta.optimizer = optimizer - earlier.optimizer
        delta.iterations = iterations - earlier.iterations
        return delta
    }

    /// `(stage, seconds per iteration)` in pipeline order.
    public var perIteration: [(stage: String, seconds: Double)] {
        let n = Double(max(1, iterations))
        return [("batch", batch / n), ("forward", forward / n), ("loss", loss / n), ("backward", backward / n),
                ("optimizer", optimizer / n)]
    }
}

/// How a `run` ended.
public enum TrainingOutcome: Sendable, Equatable {
    /// Every epoch of the configuration ran.
    case finished
    /// `shouldStop` asked for a stop (an interrupt); a checkpoint was written first when a store is set.
    case interrupted(at: TrainingPosition)
}

/// Trains a descriptor network (SmallNet, Hourglass) from scratch on warped image pairs with the correlation loss
/// (plain or DVE), Adam and the reference trainer's epoch schedule (`train.py`, `trainer/trainer.py`).
///
/// Every random choice is a function of the configuration's seed and where it happens: the initial
/// weights, each epoch's shuffle (seed, epoch) and each item's warps and photometric augmentation
/// (seed, epoch, position in the epoch). Together with checkpoints holding the weights, BatchNorm buffers and optimiser state, this
/// makes a resumed run end with exactly the weights of an uninterrupted one on the same thread count.
public final class Trainer {
    public let configuration: TrainingConfiguration
    public let model: any DescriptorNetwork
    public let optimizer: Adam
    public let builder: PairBatchBuilder
    public let store: (any TrainingCheckpointStore)?
    /// The completed iterations of the last checkpoint in `store` (written or resumed from): the
    /// state a run can go back to when a step goes wrong.
    public private(set) var lastCheckpointIterations: Int?
    /// The next iteration to run.
    public private(set) var position: TrainingPosition
    /// One value per iteration run so far, across resumes.
    public private(set) var losses: [Double]
    /// Where this process's iterations spent their time.
    public private(set) var stageTimes = TrainingStageTimes()

    /// - Parameter initialWeights: start from these weights instead of a fresh initialisation
    ///   (unsupervised fine-tuning starts from the CelebA embedding, `finetune_from`). A stored
    ///   checkpoint in `store` still wins, so an interrupted fine-tuning resumes where it stopped.
    public init(configuration: TrainingConfiguration, source: any TrainingImageSource,
                store: (any TrainingCheckpointStore)? = nil, initialWeights: StateDict? = nil) throws(TrainingError) {
        try configuration.validate()
        guard source.count >= configuration.batchPairs else {
            throw .tooFewImages(available: source.count, batchPairs: configuration.batchPairs)
        }
        self.configuration = configuration
        self.store = store
        var generator = SeededGenerator(seed: SeededGenerator.derive(configuration.seed, 0))
        do {
            model = try DescriptorNetworks.make(configuration.architecture, outputChannels: configuration.outputChannels,
                                                using: &generator)
        } catch {
            throw .invalidConfiguration(field: "architecture", value: configuration.architecture.rawValue,
                                        requirement: "\(error)")
        }
        if let initialWeights {
            do { try model.load(initialWeights, source: "initial weights") } catch {
                throw .invalidConfiguration(field: "initialWeights", value: "\(initialWeights.count) tensors",
                                            requirement: "must load into \(configuration.architecture): \(error)")
            }
        }
        // Nothing reads the gradient with respect to the images.
        convolutions(in: model).first?.computesInputGradient = false
        do {
            optimizer = try Adam(groups: ParameterGrouping.groups(
                for: model, learningRate: configuration.learningRate,
                biasLearningRate: configuration.biasLearningRate, weightDecay: configuration.weightDecay),
                configuration: configuration.adam)
            let warper = try Warper(height: configuration.imageWidth, width: configuration.imageWidth,
                                    amplitudes: configuration.warpAmplitudes, linspace: configuration.linspace,
                                    alignCorners: configuration.alignCorners)
            builder = PairBatchBuilder(source: source, warper: warper, crop: configuration.crop,
                                       augmentation: configuration.photometricAugmentation ? .reference : nil)
        } catch let error as OptimizerError {
            throw .optimizer(underlying: "\(error)")
        } catch {
            throw .invalidConfiguration(field: "warper", value: "\(configuration.warpAmplitudes)", requirement: "\(error)")
        }
        position = TrainingPosition(epoch: 1, iteration: 0)
        losses = []
        if let store { try resume(from: store) }
    }

    /// Full batches per epoch (`drop_last`), capped by `stepsPerEpoch`.
    public var iterationsPerEpoch: Int {
        min(builder.source.count / configuration.batchPairs, configuration.stepsPerEpoch ?? .max)
    }

    public var totalIterations: Int { iterationsPerEpoch * configuration.epochs }

    public var isFinished: Bool { position.epoch > configuration.epochs }

    /// Iterations run so far, across resumes.
    public var completedIterations: Int { (position.epoch - 1) * iterationsPerEpoch + position.iteration }

    /// Trains until the last epoch ends or `shouldStop` returns true (checked before every iteration).
    /// `progress` hears about every iteration.
    @discardableResult
    public func run(progress: ((TrainingProgress) -> Void)? = nil,
                    shouldStop: (() -> Bool)? = nil) throws(TrainingError) -> TrainingOutcome {
        let start = Date()
        let completedAtStart = completedIterations
        while !isFinished {
            optimizer.setLearningRates(forEpoch: position.epoch, schedule: configuration.schedule)
            let order = epochOrder(position.epoch)
            while position.iteration < iterationsPerEpoch {
                if shouldStop?() == true {
                    try saveCheckpoint()
                    return .interrupted(at: position)
                }
                let loss = try step(order: order)
                losses.append(loss)
                position.iteration += 1
                if let progress {
                    let done = completedIterations - completedAtStart
                    let elapsed = Date().timeIntervalSince(start)
                    let rate = elapsed > 0 ? Double(done) / elapsed : 0
                    progress(TrainingProgress(
                        epoch: position.epoch, iteration: position.iteration - 1, iterationsPerEpoch: iterationsPerEpoch,
                        completedIterations: completedIterations, totalIterations: totalIterations, loss: loss,
                        learningRate: optimizer.learningRates.first ?? 0,
                        imagesPerSecond: rate * Double(2 * configuration.batchPairs),
                        secondsRemaining: rate > 0 ? Double(totalIterations - completedIterations) / rate : .infinity))
                }
                if completedIterations % configuration.checkpointEvery == 0 { try saveCheckpoint() }
            }
            position = TrainingPosition(epoch: position.epoch + 1, iteration: 0)
            try saveCheckpoint()
        }
        return .finished
    }

    /// The epoch's shuffled image order (`shuffle=True`), a function of (seed, epoch) only.
    func epochOrder(_ epoch: Int) -> [Int] {
        var generator = SeededGenerator(seed: SeededGenerator.derive(configuration.seed, 1, UInt64(epoch)))
        return generator.permutation(builder.source.count)
    }

    /// The batch the run trains on at `position` (the same images and warps every time).
    public func batch(at position: TrainingPosition) throws(TrainingError) -> PairBatch {
        try batch(at: position, order: epochOrder(position.epoch))
    }

    private func batch(at position: TrainingPosition, order: [Int]) throws(TrainingError) -> PairBatch {
        let b = configuration.batchPairs
        let first = position.iteration * b
        let seeds = (0..<b).map {
            SeededGenerator.derive(configuration.seed, 2, UInt64(position.epoch), UInt64(first + $0))
        }
        return try builder.batch(indices: Array(order[first..<(first + b)]), seeds: seeds)
    }

    private var lossOptions: CorrelationLossOptions {
        CorrelationLossOptions(exchangeDescriptors: configuration.exchangeDescriptors,
                               normalizeVectors: configuration.normalizeVectors, pow: configuration.pow)
    }

    /// The training loss of the current weights on `batch`, without a step: a training-mode forward
    /// (batch statistics, as training computes it) whose BatchNorm buffer updates are undone.
    public func loss(on batch: PairBatch) throws(TrainingError) -> Double {
        let saved = model.stateDict()
        defer { try? model.load(saved, source: "the trainer's own state") }
        do {
            return try denseCorrelationLossValue(features: model.forward(batch.images, training: true),
                                                 grid: batch.grid, options: lossOptions)
        } catch {
            throw .loss(underlying: "\(error)")
        }
    }

    /// One optimisation step on the batch at `position`; returns its loss. The parameters are not
    /// touched when the loss or a gradient is not finite.
    private func step(order: [Int]) throws(TrainingError) -> Double {
        var clock = StageClock()
        let batch = try batch(at: position, order: order)
        stageTimes.batch += clock.lap()
        let features = model.forward(batch.images, training: true)
        stageTimes.forward += clock.lap()
        let result: LossResult
        do {
            result = try denseCorrelationLoss(features: features, grid: batch.grid, options: lossOptions)
        } catch {
            throw .loss(underlying: "\(error)")
        }
        stageTimes.loss += clock.lap()
        guard result.value.isFinite else {
            throw .nonFiniteLoss(epoch: position.epoch, iteration: position.iteration, value: result.value)
        }
        model.zeroGrad()
        _ = model.backward(result.gradient)
        stageTimes.backward += clock.lap()
        for (key, parameter) in model.namedParameters where !parameter.grad.storage.allSatisfy(\.isFinite) {
            throw .nonFiniteGradient(epoch: position.epoch, iteration: position.iteration, parameter: key)
        }
        do { try optimizer.step() } catch { throw .optimizer(underlying: "\(error)") }
        stageTimes.optimizer += clock.lap()
        stageTimes.iterations += 1
        return result.value
    }

    /// The run's full state at `position`.
    public func checkpoint() -> TrainingCheckpoint {
        TrainingCheckpoint(configuration: configuration, position: position, model: model.stateDict(),
                           optimizer: optimizer.saveState(), losses: losses)
    }

    private func saveCheckpoint() throws(TrainingError) {
        guard let store else { return }
        do { try store.save(checkpoint()) } catch {
            throw .checkpointIO(source: store.location, underlying: "\(error)")
        }
        lastCheckpointIterations = completedIterations
    }

    private func resume(from store: any TrainingCheckpointStore) throws(TrainingError) {
        let saved: TrainingCheckpoint?
        do { saved = try store.load() } catch {
            throw .checkpointIO(source: store.location, underlying: "\(error)")
        }
        guard let saved else { return }
        guard saved.configuration == configuration else {
            throw .checkpointMismatch(source: store.location, reason: "it was written with another training configuration")
        }
        do {
            try model.load(saved.model, source: store.location)
            try optimizer.loadState(saved.optimizer)
        } catch {
            throw .checkpointMismatch(source: store.location, reason: "\(error)")
        }
        position = saved.position
        losses = saved.losses
        lastCheckpointIterations = completedIterations
    }
}

/// Seconds between successive laps, on the monotonic clock.
private struct StageClock {
    private var last = DispatchTime.now().uptimeNanoseconds

    mutating func lap() -> Double {
        let now = DispatchTime.now().uptimeNanoseconds
        defer { last = now }
        return Double(now - last) / 1e9
    }
}
