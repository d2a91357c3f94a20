import ArgumentParser
import Foundation
import Harness

/// What `run` and `submit` share: which rows, where their models and data come from, and how big a
/// run is. `submit` writes these same settings back out as `dvebench run` arguments for each array
/// task (`arguments`), so the two commands cannot drift apart.
struct RunSettings: ParsableArguments {
    @OptionGroup var rows: RowSelectionOptions

    @Option(help: "The reference's data/ folder with the real datasets (default: SynthFaces in memory).")
    var dataRoot: String?

    @Option(help: "Folder holding released checkpoints under their published relative paths.")
    var checkpoints: String?

    @Option(help: "Where each row's model comes from: its released checkpoint, trained from its recipe, or the converged synthetic models shipped under expected/models/ (default: checkpoint when --checkpoints is given, else train).")
    var mode: RunMode?

    @Option(help: "How big a run is: every recipe as published, or shrunk for a CPU (default: paper with --data-root, else default).")
    var scale: ScaleTier?

    @Option(help: "Override the scale's embedding training iterations (spread over epochs of the training split).")
    var trainingSteps: Int?

    @Option(help: "Override the scale's pairs per training batch.")
    var batchPairs: Int?

    @Option(help: "Override the scale's regressor epochs.")
    var regressionEpochs: Int?

    @Option(help: "Override the scale's regressor batch size.")
    var regressionBatch: Int?

    @Option(help: "Train every embedding and keypoint regressor from this seed instead of the recipe's: another seed of the same experiment (diffed against the same blessed numbers; `bless --spread` turns the seeds' spread into tolerance).")
    var trainingSeed: UInt64?

    @Option(help: ArgumentHelp("Evaluate each trained embedding's matching metrics at these iterations (comma-separated; the last iteration is always one): its learning curve, stored in results.h5.", valueName: "iterations"))
    var curve: String?

    @Option(help: ArgumentHelp("Refuse to start when a row's estimated peak memory exceeds this (e.g. 8G, 512M; default: what the machine has available).", valueName: "size"))
    var maxMemory: String?

    func validate() throws {
        _ = try runScale()
        _ = try memoryBudget()
    }

    func memoryBudget() throws -> Int? {
        guard let maxMemory else { return nil }
        guard let bytes = MemorySize.parse(maxMemory) else {
            throw ValidationError("--max-memory \(maxMemory): expected a size such as 8G, 512M or 1.5GiB")
        }
        return bytes
    }

    func runMode() -> RunMode {
        mode ?? (checkpoints == nil ? .train : .checkpoint)
    }

    func runScale() throws -> RunScale {
        var runScale = (scale ?? (dataRoot == nil ? .standard : .paper)).runScale
        if trainingSteps != nil || batchPairs != nil || regressionEpochs != nil || regressionBatch != nil {
            // A changed tier is a different experiment: its results must not pass for the named tier's.
            runScale.name += "+custom"
            if let trainingSteps { runScale.trainingSteps = trainingSteps }
            if let batchPairs { runScale.trainingBatchPairs = batchPairs }
            if let regressionEpochs { runScale.regressionEpochs = regressionEpochs }
            if let regressionBatch { runScale.regressionBatchSize = regressionBatch }
        }
        runScale.trainingSeed = trainingSeed
        if let curve {
            let points = curve.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
            guard !points.isEmpty, points.allSatisfy({ ($0 ?? 0) > 0 }) else {
                throw ValidationError("--curve takes positive iteration counts separated by commas, e.g. 250,500,1000")
            }
            runScale.curvePoints = points.compactMap { $0 }
        }
        return runScale
    }

    func selectedRows(repository: URL) throws -> [LoadedManifest] {
        try CommandSupport.manifests(rows.selection, repository: repository)
    }

    func runnerOptions(out: String, threads: Int, shard: Shard?, force: Bool, repository: URL) throws -> RunnerOptions {
        var options = RunnerOptions(
            mode: runMode(), scale: try runScale(), dataRoot: dataRoot, checkpointsDirectory: checkpoints,
            outputDirectory: out, repositoryRoot: repository, threads: threads, shard: shard, force: force,
            command: commandLine)
        options.shippedModelsDirectory = repository.appendingPathComponent(Reproduction.shippedModels).path
        options.maxMemory = try memoryBudget()
        return options
    }

    /// These settings as `dvebench run` arguments, paths made absolute against `directory` so the
    /// command means the same from any folder.
    func arguments(absoluteAgainst directory: URL) -> [String] {
        func absolute(_ path: String) -> String {
            path.hasPrefix("/") ? path : directory.appendingPathComponent(path).standardizedFileURL.path
        }
        var arguments = rows.paths.map(absolute)
        for table in rows.tables { arguments += ["--table", table] }
        for id in rows.ids { arguments += ["--id", id] }
        if let dataRoot { arguments += ["--data-root", absolute(dataRoot)] }
        if let checkpoints { arguments += ["--checkpoints", absolute(checkpoints)] }
        if let mode { arguments += ["--mode", mode.rawValue] }
        if let scale { arguments += ["--scale", scale.rawValue] }
        if let trainingSteps { arguments += ["--training-steps", String(trainingSteps)] }
        if let batchPairs { arguments += ["--batch-pairs", String(batchPairs)] }
        if let regressionEpochs { arguments += ["--regression-epochs", String(regressionEpochs)] }
        if let regressionBatch { arguments += ["--regression-batch", String(regressionBatch)] }
        if let trainingSeed { arguments += ["--training-seed", String(trainingSeed)] }
        if let curve { arguments += ["--curve", curve] }
        if let maxMemory { arguments += ["--max-memory", maxMemory] }
        return arguments
    }
}
