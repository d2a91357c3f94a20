import Foundation
import Landmarks
import Tensors
import TorchFormat

/// Where a row's descriptor network comes from: the released checkpoint (`checkpoint` mode) or
/// training per the manifest's recipe (`train` mode).
public enum RunMode: String, Sendable, CaseIterable {
    case checkpoint
    case train
    /// The trained embeddings shipped under `expected/models/` for this scale (`ShippedModel`), the
    /// same weights `train` would produce; a row whose model was not shipped is skipped.
    case shipped
}

/// A descriptor network ready for a protocol, with what produced it.
struct ObtainedEmbedding {
    var network: any DescriptorNetwork
    /// The released keypoint regressor, for `embedding+regressor` checkpoints.
    var regressor: IntermediateKeypointPredictor?
    var details: [String: String]
    var seeds: [UInt64]
    /// The base training's learning curve, when the scale asks for one and a matching evaluation was given.
    var curve: LearningCurve? = nil
}

/// Evaluates a network mid-training for its learning curve (the row's matching protocol).
typealias CurveEvaluator = (any DescriptorNetwork) throws -> [(name: String, value: Double)]

/// Why a row cannot get its network here; the row is reported as skipped with this reason.
struct EmbeddingUnavailable: Error, CustomStringConvertible {
    var reason: String
    var description: String { reason }
}

/// Trains (or loads) embeddings, once per recipe: the matching row and the regression rows of the same
/// model share one training run. Training state lives in `workDirectory` (one HDF5 training
/// checkpoint per recipe), so an interrupted run resumes mid-training and a rerun reuses it.
final class EmbeddingProvider {
    let mode: RunMode
    let resolver: DatasetResolver
    let checkpointsDirectory: String?
    /// `expected/checkpoints.lock`: released checkpoints must match what their first fetch got.
    let checkpointLockFile: String?
    let workDirectory: String
    /// Where shipped models are read (`shipped` mode) and, in `train` mode, where finished base
    /// trainings are shipped to when set (`reproduce --retrain`).
    let shippedDirectory: String?
    let shipTrainedModels: Bool
    /// The command line a shipped model records as having trained it.
    let command: String
    private var trained: [String: StateDict] = [:]
    private var curves: [String: LearningCurve] = [:]
    /// Where each training run of this process spent its time (absent when it was resumed finished).
    private var stageTimes: [String: TrainingStageTimes] = [:]

    /// Train from scratch even when a training checkpoint of the same key exists (`--force`). Such a
    /// checkpoint records what the recipe and data were, not what code trained it: resuming a
    /// finished one after the code changed would evaluate the old code's model as the new one's.
    let discardCheckpoints: Bool
    /// A signal number when the run must stop: the training checkpoints and `RunInterrupted` is thrown.
    let stopRequest: @Sendable () -> Int32?

    init(mode: RunMode, resolver: DatasetResolver, checkpointsDirectory: String?, checkpointLockFile: String? = nil,
         workDirectory: String, shippedDirectory: String? = nil, shipTrainedModels: Bool = false, discardCheckpoints: Bool = false,
         command: String = "", stopRequest: @escaping @Sendable () -> Int32? = { Interruption.requested }) {
        self.stopRequest = stopRequest
        self.discardCheckpoints = discardCheckpoints
        self.command = command
        self.shippedDirectory = shippedDirectory
        self.shipTrainedModels = shipTrainedModels
        self.mode = mode
        self.resolver = resolver
        self.checkpointsDirectory = checkpointsDirectory
        self.checkpointLockFile = checkpointLockFile
        self.workDirectory = workDirectory
    }

    func embedding(for manifest: Manifest, curve evaluator: CurveEvaluator? = nil,
                   progress: @escaping (TrainingProgress) -> Void) throws -> ObtainedEmbedding {
        switch mode {
        case .checkpoint: return try released(manifest)
        case .train: return try trainedEmbedding(manifest, curve: evaluator, progress: progress)
        case .shipped: return try shipped(manifest)
        }
    }

    // MARK: released checkpoints

    private func released(_ manifest: Manifest) throws -> ObtainedEmbedding {
        guard let checkpoint = manifest.model.checkpoint else {
            throw EmbeddingUnavailable(reason: "the paper publishes no checkpoint for this row (use --mode train)")
        }
        guard let directory = checkpointsDirectory else {
            throw EmbeddingUnavailable(reason: "checkpoint mode needs --checkpoints DIR holding \(checkpoint.file) (\(checkpoint.url))")
        }
        let path = (directory as NSString).appendingPathComponent(checkpoint.file)
        guard FileManager.default.fileExists(atPath: path) else {
            throw EmbeddingUnavailable(reason: "checkpoint \(path) not found; `dvebench fetch --checkpoints \(directory)` with the same "
                                       + "row selection downloads it (from \(checkpoint.url))")
        }
        let locked = try checkpointLockFile.flatMap { try CheckpointLockFile(path: $0)[checkpoint.file] }
        // The paper's numbers came from PyTorch 1.1, whose linspace the regressor's coordinate grid follows.
        let loaded: LoadedCheckpoint
        do { loaded = try CheckpointModels.load(path: path, linspace: .torch1_1) } catch {
            // A file that differs from its first download is reported as that, not as whatever breaks in it.
            if let locked, let lockFile = checkpointLockFile { try CheckpointLockFile.verify(path, against: locked, lockFile: lockFile) }
            throw error
        }
        if let locked, let lockFile = checkpointLockFile, loaded.sha256 != locked.sha256 {
            throw FetchError.mismatch(path: path, lockFile: lockFile, expected: locked, actualSHA256: loaded.sha256,
                                      actualSize: CheckpointFetcher.fileSize(path) ?? -1)
        }
        let problems = CheckpointModels.mismatches(loaded, architecture: manifest.model.architecture,
                                                   embeddingDim: manifest.model.embeddingDim, dve: manifest.model.dve)
        guard problems.isEmpty else {
            throw RunnerError.invalidRecipe(manifest: manifest.id, reason: "checkpoint \(path) does not match the manifest: "
                                            + problems.joined(separator: "; "))
        }
        var details = ["checkpoint": checkpoint.file, "checkpoint.sha256": loaded.sha256]
        if let epoch = loaded.summary.epoch { details["checkpoint.epoch"] = String(epoch) }
        return ObtainedEmbedding(network: loaded.network, regressor: loaded.regressor, details: details, seeds: [])
    }

    // MARK: shipped models

    /// A row's base training at this scale: its images, configuration and key (what a shipped model
    /// must match, and what names its training checkpoint).
    private func baseTraining(_ manifest: Manifest) throws -> (source: any LandmarkDataset, configuration: TrainingConfiguration,
                                                               key: String) {
        let model = manifest.model
        let source = try trainingSource(model.recipe.dataset, recipe: model.recipe)
        let configuration = try RecipeTranslation.training(model: model, recipe: model.recipe, scale: resolver.scale, finetuning: false,
                                                           images: source.count, manifest: manifest.id)
        return (source, configuration, key(configuration, dataset: model.recipe.dataset, parent: nil))
    }

    /// Whether `shipped` mode has a model for this row.
    func hasShippedModel(for manifest: Manifest) -> Bool {
        guard manifest.finetune == nil, let directory = shippedDirectory,
              let key = try? baseTraining(manifest).key else { return false }
        return ShippedModel.path(forKey: key, in: directory) != nil
    }

    private func shipped(_ manifest: Manifest) throws -> ObtainedEmbedding {
        guard manifest.finetune == nil else {
            throw EmbeddingUnavailable(reason: "no fine-tuned model is shipped (use --mode train)")
        }
        guard let directory = shippedDirectory else { throw EmbeddingUnavailable(reason: "no shipped-models folder given") }
        let model = manifest.model
        let (_, configuration, key) = try baseTraining(manifest)
        guard let path = ShippedModel.path(forKey: key, in: directory) else {
            throw EmbeddingUnavailable(reason: "no model shipped under \(directory) for this recipe and scale (key \(key.prefix(16))); "
                                       + "dvebench reproduce --retrain trains and ships it")
        }
        let shipped = try ShippedModel.load(path)
        var generator = SeededGenerator(seed: 0)
        let network = try DescriptorNetworks.make(configuration.architecture, outputChannels: configuration.outputChannels,
                                                  using: &generator)
        try network.load(shipped.weights, source: path)
        let details = ["embedding.recipe": model.recipe.config, "embedding.key": String(key.prefix(16)),
                       "embedding.iterations": String(shipped.iterations), "embedding.shipped": (path as NSString).lastPathComponent,
                       "embedding.trained_with": "BLAS \(shipped.provenance["blas_core"] ?? "?") on \(shipped.provenance["cpu"] ?? "?")"]
        return ObtainedEmbedding(network: network, regressor: nil, details: details, seeds: [configuration.seed], curve: shipped.curve)
    }

    // MARK: training from scratch

    private func trainedEmbedding(_ manifest: Manifest, curve evaluator: CurveEvaluator?,
                                  progress: @escaping (TrainingProgress) -> Void) throws -> ObtainedEmbedding {
        let model = manifest.model
        let (baseSource, base, baseKey) = try baseTraining(manifest)
        var details = ["embedding.recipe": model.recipe.config, "embedding.key": String(baseKey.prefix(16)),
                       "embedding.iterations": String(base.epochs * min(baseSource.count / base.batchPairs, base.stepsPerEpoch ?? .max))]
        var weights = try train(base, source: baseSource, key: baseKey, initial: nil, curve: evaluator, progress: progress)
        if let times = stageTimes[baseKey] { details.merge(Self.throughputDetails(times, pairs: base.batchPairs)) { $1 } }
        var seeds = [base.seed]
        var configuration = base
        if let finetune = manifest.finetune {
            let source = try trainingSource(finetune.dataset, recipe: finetune.recipe)
            let tuned = try RecipeTranslation.training(model: model, recipe: finetune.recipe, scale: resolver.scale,
                                                       finetuning: true, images: source.count, manifest: manifest.id)
            let tunedKey = key(tuned, dataset: finetune.dataset, parent: baseKey)
            weights = try train(tuned, source: source, key: tunedKey, initial: weights, curve: nil, progress: progress)
            details["finetune.recipe"] = finetune.recipe.config
            details["finetune.key"] = String(tunedKey.prefix(16))
            seeds.append(tuned.seed)
            configuration = tuned
        }
        var generator = SeededGenerator(seed: 0)
        let network = try DescriptorNetworks.make(configuration.architecture, outputChannels: configuration.outputChannels,
                                                  using: &generator)
        try network.load(weights, source: "trained embedding \(baseKey.prefix(16))")
        return ObtainedEmbedding(network: network, regressor: nil, details: details, seeds: seeds, curve: curves[baseKey])
    }

    private func trainingSource(_ dataset: String, recipe: RecipeSpec) throws -> any LandmarkDataset {
        let preprocessing = try DatasetPreprocessing(imageWidth: recipe.imwidth, crop: recipe.crop)
        return try resolver.dataset(dataset, split: .embeddingTraining, preprocessing: preprocessing)
    }

    /// A digest of everything that decides the trained weights.
    private func key(_ configuration: TrainingConfiguration, dataset: String, parent: String?) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json = (try? encoder.encode(configuration)).map { String(decoding: $0, as: UTF8.self) } ?? "\(configuration)"
        return SHA256.hexDigest(Array("\(json)|\(dataset)|\(resolver.description)|\(parent ?? "-")".utf8))
    }

    private func train(_ configuration: TrainingConfiguration, source: any LandmarkDataset, key: String, initial: StateDict?,
                       curve evaluator: CurveEvaluator?, progress: @escaping (TrainingProgress) -> Void) throws -> StateDict {
        if let weights = trained[key] { return weights }
        try FileManager.default.createDirectory(atPath: workDirectory, withIntermediateDirectories: true)
        let stem = (workDirectory as NSString).appendingPathComponent(String(key.prefix(24)))
        if discardCheckpoints {
            // `trained[key]` above keeps this to once per process: rows sharing an embedding train it once.
            for path in [stem + ".h5", stem + ".curve.json"] where FileManager.default.fileExists(atPath: path) {
                try FileManager.default.removeItem(atPath: path)
            }
        }
        let store = HDF5CheckpointStore(path: stem + ".h5")
        let trainer = try Trainer(configuration: configuration, source: source, store: store, initialWeights: initial)
        let points = curvePoints(total: trainer.totalIterations)
        do {
            if let evaluator, !points.isEmpty {
                curves[key] = try trainWithCurve(trainer, points: points, evaluator: evaluator, sidecar: stem + ".curve.json",
                                                 progress: progress)
            } else {
                try runUntilFinishedOrInterrupted(trainer, progress: progress)
            }
        } catch let error as TrainingError {
            switch error {
            case .nonFiniteLoss, .nonFiniteGradient:
                throw TrainingDiverged(cause: error, checkpoint: store.location, checkpointIterations: trainer.lastCheckpointIterations)
            default: throw error
            }
        }
        let weights = trainer.model.stateDict()
        trained[key] = weights
        if trainer.stageTimes.iterations > 0 { stageTimes[key] = trainer.stageTimes }
        if shipTrainedModels, initial == nil, let directory = shippedDirectory {
            try ship(configuration, key: key, weights: weights, iterations: trainer.totalIterations, to: directory)
        }
        return weights
    }

    private func ship(_ configuration: TrainingConfiguration, key: String, weights: StateDict, iterations: Int,
                      to directory: String) throws {
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let provenance = Provenance.current(command: command, threads: ComputeThreads.count)
        let model = ShippedModel(key: key, configuration: configuration, dataSource: resolver.description, iterations: iterations,
                                 weights: weights, curve: curves[key], provenance: provenance.stringAttributes(prefix: ""))
        try model.write(to: (directory as NSString).appendingPathComponent(ShippedModel.fileName(configuration: configuration, key: key)))
    }

    /// The training throughput as a row records it: images per second over the stages, and the
    /// milliseconds per iteration of each stage (the time spent evaluating learning-curve points excluded).
    static func throughputDetails(_ times: TrainingStageTimes, pairs: Int) -> [String: String] {
        var details = ["training.images_per_second": String(format: "%.1f", Double(2 * pairs * times.iterations) / max(times.total, 1e-9)),
                       "training.timed_iterations": String(times.iterations)]
        for (stage, seconds) in times.perIteration {
            details["training.ms_per_iteration.\(stage)"] = String(format: "%.1f", seconds * 1000)
        }
        return details
    }

    /// The scale's curve points that fall inside this run, and always its last iteration.
    private func curvePoints(total: Int) -> [Int] {
        let asked = resolver.scale.curvePoints
        guard !asked.isEmpty else { return [] }
        return Array(Set(asked.filter { $0 > 0 && $0 < total } + [total])).sorted()
    }

    /// Trains in stretches that end at each curve point and evaluates the model there. Stopping and
    /// continuing does not change the trained weights (the trainer's state is all in the checkpoint),
    /// and an evaluation forward in eval mode touches no training state. Points already evaluated
    /// before an interruption are kept in `sidecar` (written atomically), so a resumed run does not
    /// repeat them and loses none.
    private func trainWithCurve(_ trainer: Trainer, points: [Int], evaluator: CurveEvaluator, sidecar: String,
                                progress: @escaping (TrainingProgress) -> Void) throws -> LearningCurve {
        var curve = (try? Data(contentsOf: URL(fileURLWithPath: sidecar))).flatMap { try? JSONDecoder().decode(LearningCurve.self, from: $0) }
            ?? LearningCurve()
        for point in points {
            if curve.iterations.contains(point) { continue }
            if trainer.completedIterations < point {
                try runUntilFinishedOrInterrupted(trainer, progress: progress, stopAt: point)
            }
            // A checkpoint past this point without its evaluation (a run that kept no sidecar) cannot
            // go back; the curve then simply lacks the point.
            guard trainer.completedIterations == point else { continue }
            curve.append(iteration: point, metrics: try evaluator(trainer.model))
            try JSONEncoder().encode(curve).write(to: URL(fileURLWithPath: sidecar), options: .atomic)
        }
        if !trainer.isFinished { try runUntilFinishedOrInterrupted(trainer, progress: progress) }
        return curve
    }

    /// Trains to the end (or to iteration `stopAt`), unless the process is asked to stop: then the
    /// trainer has written its checkpoint and `RunInterrupted` says so.
    private func runUntilFinishedOrInterrupted(_ trainer: Trainer, progress: @escaping (TrainingProgress) -> Void,
                                               stopAt: Int? = nil) throws {
        let stopRequest = self.stopRequest
        let outcome = try trainer.run(progress: progress, shouldStop: {
            stopRequest() != nil || stopAt.map { trainer.completedIterations >= $0 } == true
        })
        if case .interrupted = outcome, let signal = stopRequest() { throw RunInterrupted(signal: signal, row: nil) }
    }
}

/// A training step produced a NaN or infinite loss or gradient. The row stops with the iteration,
/// the parameter (for a gradient) and the last good checkpoint, which the weights never moved past.
public struct TrainingDiverged: Error, CustomStringConvertible, Sendable {
    public var cause: TrainingError
    public var checkpoint: String
    public var checkpointIterations: Int?

    public var description: String {
        let last = checkpointIterations.map { "the last good checkpoint is \(checkpoint) (after \($0) iterations)" }
            ?? "no checkpoint had been written yet (\(checkpoint) would hold it)"
        return "\(cause); \(last). Training is deterministic, so resuming repeats the step: "
            + "change the recipe, or rerun with --force to start over"
    }
}
