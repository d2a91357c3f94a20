import Foundation
import Tensors

extension KeypointRegression {
    /// Trains a fresh regressor on `train` descriptors and evaluates it on `test`, as the reference
    /// trainer does with cached descriptors (trainer.py with `cache_descriptors: true`):
    ///
    /// - Regressor: `IntermediateKeypointPredictor(C, nA, options.intermediatePoints,
    ///   options.softargmaxMultiplier)`, initialised from `SeededGenerator(derive(seed, 0))`.
    /// - Optimiser: Adam over `optimizerParameters` (`inner_conv.weight`, `reg_conv.weight`,
    ///   `linear.*`) with `options.adam`, lr and weight decay; every step skips `linear.*` (no gradient,
    ///   quirk Q13), and `descriptors` follows `inner_conv.weight` because it is the same object.
    /// - Epoch e (1-based): lr = `options.schedule.learningRate(forEpoch: e, base: lr)`; the training
    ///   entries (`trainIndices`, default every item; repeats allowed, for tiling) are shuffled with
    ///   `SeededGenerator(derive(seed, 1, e)).permutation`, cut into batches of `batchSize` (a last
    ///   partial batch is dropped when `dropLast`), and each batch takes one step on
    ///   `regressionLoss(pred, targets, alpha)`.
    /// - After the epoch (every epoch, or only the last one): the test split's inter-ocular error with
    ///   `eyes`. The result's `interOcularError` is the **last** epoch's.
    ///
    /// A non-finite loss or gradient stops the run before the step that would use it.
    public static func train(train: RegressionDescriptors, test: RegressionDescriptors, eyes: EyeIndices,
                             trainEyes: EyeIndices? = nil, trainIndices: [Int]? = nil,
                             options: RegressionOptions = .paper,
                             progress: ((RegressionProgress) -> Void)? = nil) throws(RegressionError) -> RegressionTrainingResult {
        try options.validate()
        guard (train.channels, train.height, train.width, train.keypointCount)
                == (test.channels, test.height, test.width, test.keypointCount) else {
            throw .splitMismatch(reason: "train descriptors are \(train.channels)×\(train.height)×\(train.width) with \(train.keypointCount) keypoints, test \(test.channels)×\(test.height)×\(test.width) with \(test.keypointCount)")
        }
        let trainEyes = trainEyes ?? eyes
        for (name, pair) in [("test", eyes), ("train", trainEyes)] {
            do { try pair.validate(keypointCount: test.keypointCount) } catch { throw .invalidSplit(split: name, reason: "\(error)") }
        }
        let entries = trainIndices ?? Array(0..<train.count)
        if let bad = entries.first(where: { !(0..<train.count).contains($0) }) {
            throw .invalidOption(field: "trainIndices", value: "\(bad)", requirement: "must lie in 0..<\(train.count)")
        }
        let batch = options.batchSize
        let iterations = options.dropLast ? entries.count / batch : (entries.count + batch - 1) / batch
        guard iterations > 0 else { throw .tooFewTrainingItems(available: entries.count, batchSize: batch) }

        let regressor: IntermediateKeypointPredictor
        let optimizer: Adam
        do {
            regressor = try IntermediateKeypointPredictor(
                descriptorDimension: train.channels, annotatedPoints: train.keypointCount,
                intermediatePoints: options.intermediatePoints, softargmaxMultiplier: options.softargmaxMultiplier,
                linspace: options.linspace)
        } catch {
            throw .keypoint(error)
        }
        var generator = SeededGenerator(seed: SeededGenerator.derive(options.seed, 0))
        regressor.initialize(using: &generator)
        let initialRegressor = regressor.stateDict()
        do {
            optimizer = try Adam(parameters: regressor.optimizerParameters, learningRate: options.learningRate,
                                 weightDecay: options.weightDecay, configuration: options.adam)
        } catch {
            throw .optimizer("\(error)")
        }
        let skipped = regressor.skippedByOptimizer
        let stepped = regressor.optimizerParameters.filter { !skipped.contains($0.key) }

        let start = Date()
        var epochs: [RegressionEpoch] = []
        var lastTest: (InterOcularError, Tensor)?
        var iterationLosses: [Double] = []
        iterationLosses.reserveCapacity(options.epochs * iterations)
        for epoch in 1...options.epochs {
            let epochStart = Date()
            optimizer.setLearningRates(forEpoch: epoch, schedule: options.schedule)
            var shuffle = SeededGenerator(seed: SeededGenerator.derive(options.seed, 1, UInt64(epoch)))
            let order = shuffle.permutation(entries.count)
            var lossSum = 0.0, errorSum = 0.0, seen = 0
            for iteration in 0..<iterations {
                let indices = order[(iteration * batch)..<min(entries.count, (iteration + 1) * batch)].map { entries[$0] }
                let targets = train.targets(at: indices)
                let pred = regressor.forward(train.descriptors(at: indices), training: true)
                let loss: RegressionLossResult
                let error: InterOcularError
                do {
                    loss = try regressionLoss(predictions: pred, targets: targets, alpha: options.alpha)
                    error = try interOcularError(predictions: pred, targets: targets, eyes: trainEyes)
                } catch {
                    throw .keypoint(error)
                }
                guard loss.value.isFinite else { throw .nonFiniteLoss(epoch: epoch, iteration: iteration, value: loss.value) }
                regressor.zeroGrad()
                _ = regressor.backward(loss.gradient)
                for (key, parameter) in stepped where !parameter.grad.storage.allSatisfy(\.isFinite) {
                    throw .nonFiniteGradient(epoch: epoch, iteration: iteration, parameter: key)
                }
                do { try optimizer.step(skipping: skipped) } catch { throw .optimizer("\(error)") }
                lossSum += loss.value
                iterationLosses.append(loss.value)
                errorSum += error.value * Double(indices.count)
                seen += indices.count
            }
            let trainingSeconds = Date().timeIntervalSince(epochStart)
            var testError: Double?
            if options.evaluateEveryEpoch || epoch == options.epochs {
                let predictions = predict(regressor, on: test, batchSize: options.evaluationBatchSize)
                do {
                    let result = try interOcularError(predictions: predictions, targets: test.targets, eyes: eyes)
                    lastTest = (result, predictions)
                    testError = result.value
                } catch {
                    throw .keypoint(error)
                }
            }
            let record = RegressionEpoch(epoch: epoch, learningRate: optimizer.learningRates.first ?? 0,
                                         trainLoss: lossSum / Double(iterations), trainInterOcularError: errorSum / Double(seen),
                                         testInterOcularError: testError, trainingSeconds: trainingSeconds,
                                         evaluationSeconds: Date().timeIntervalSince(epochStart) - trainingSeconds)
            epochs.append(record)
            progress?(.epoch(record, total: options.epochs))
        }
        guard let (test, predictions) = lastTest else { throw .invalidOption(field: "epochs", value: "\(options.epochs)", requirement: "must be positive") }
        return RegressionTrainingResult(interOcularError: test.value, epochs: epochs, test: test, testPredictions: predictions,
                                        trainingItems: entries.count, iterationsPerEpoch: iterations, seed: options.seed,
                                        regressor: regressor.stateDict(), initialRegressor: initialRegressor,
                                        iterationLosses: iterationLosses, seconds: Date().timeIntervalSince(start))
    }
}
