import Landmarks
import Tensors

/// Turns a manifest's declarative recipe into the library's configurations, with the run scale's
/// reductions applied.
enum RecipeTranslation {
    static func architecture(_ name: String) throws(RunnerError) -> Architecture {
        switch name.lowercased() {
        case "smallnet": .smallNet
        case "hourglass": .hourglass
        default: throw .unknownArchitecture(name)
        }
    }

    static func schedule(_ spec: ScheduleSpec, manifest: String) throws(RunnerError) -> LearningRateSchedule {
        do {
            switch spec.kind {
            case "constant": return .constant
            case "multistep": return try .multiStep(milestones: spec.milestones ?? [], gamma: spec.gamma ?? 0.1)
            case "step":
                guard let size = spec.stepSize else { throw RunnerError.invalidRecipe(manifest: manifest, reason: "step schedule without step_size") }
                return try .step(size: size, gamma: spec.gamma ?? 0.1)
            default: throw RunnerError.invalidRecipe(manifest: manifest, reason: "unknown schedule kind '\(spec.kind)'")
            }
        } catch let error as RunnerError {
            throw error
        } catch {
            throw .invalidRecipe(manifest: manifest, reason: "schedule: \(error)")
        }
    }

    /// The trainer configuration of `recipe` for `model` at `scale`, for a training split of `images`
    /// images. `finetuning` selects the fine-tuning reductions of the scale.
    static func training(model: ModelSpec, recipe: RecipeSpec, scale: RunScale, finetuning: Bool, images: Int,
                         manifest: String) throws(RunnerError) -> TrainingConfiguration {
        let batchPairs = scale.trainingBatchPairs ?? recipe.batchPairs
        var epochs = recipe.epochs
        var stepsPerEpoch: Int?
        if let steps = finetuning ? scale.finetuneSteps : scale.trainingSteps {
            (epochs, stepsPerEpoch) = RunScale.epochs(forSteps: steps, images: images, batchPairs: batchPairs)
        }
        do {
            let schedule = try RunScale.rescaled(try self.schedule(recipe.schedule, manifest: manifest),
                                                 from: recipe.epochs, to: epochs)
            var configuration = try TrainingConfiguration.smallNetCelebA(outputChannels: model.embeddingDim, dve: model.dve)
            configuration.architecture = try architecture(model.architecture)
            configuration.normalizeVectors = recipe.normalizeVectors
            configuration.batchPairs = batchPairs
            configuration.epochs = epochs
            configuration.stepsPerEpoch = stepsPerEpoch
            configuration.learningRate = recipe.learningRate
            configuration.biasLearningRate = recipe.biasLearningRate
            configuration.weightDecay = recipe.weightDecay
            configuration.schedule = schedule
            configuration.imageWidth = recipe.imwidth
            configuration.crop = recipe.crop
            configuration.seed = scale.trainingSeed ?? UInt64(max(0, recipe.seed))
            configuration.checkpointEvery = 200
            try configuration.validate()
            return configuration
        } catch let error as RunnerError {
            throw error
        } catch {
            throw .invalidRecipe(manifest: manifest, reason: "\(error)")
        }
    }

    static func regression(_ spec: ProtocolSpec, base: RegressionOptions, scale: RunScale,
                           manifest: String) throws(RunnerError) -> RegressionOptions {
        var options = base
        if let epochs = spec.epochs { options.epochs = epochs }
        if let batch = spec.batchSize { options.batchSize = batch }
        if let lr = spec.learningRate { options.learningRate = lr }
        if let wd = spec.weightDecay { options.weightDecay = wd }
        if let schedule = spec.schedule { options.schedule = try self.schedule(schedule, manifest: manifest) }
        let recipeEpochs = options.epochs
        if let epochs = scale.regressionEpochs {
            options.epochs = epochs
            do { options.schedule = try RunScale.rescaled(options.schedule, from: recipeEpochs, to: epochs) } catch {
                throw .invalidRecipe(manifest: manifest, reason: "regression schedule: \(error)")
            }
        }
        if let batch = scale.regressionBatchSize { options.batchSize = batch }
        // A seed run reseeds the whole experiment: the regressor's initialisation and shuffles too.
        if let seed = scale.trainingSeed { options.seed = seed }
        // Every epoch's test error is only logged; the protocol reports the last one.
        options.evaluateEveryEpoch = false
        do { try options.validate() } catch { throw .invalidRecipe(manifest: manifest, reason: "\(error)") }
        return options
    }
}
