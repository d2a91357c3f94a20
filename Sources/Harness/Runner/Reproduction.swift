import Foundation

/// The embedded default (`dvebench reproduce`, `make reproduce`): the synthetic counterparts of the
/// seed tables — matching (S01) and MAFL-style regression (S02) for SmallNet 3/16/32/64 with and
/// without DVE — trained from scratch and evaluated on SynthFaces, with no dataset or checkpoint on
/// the machine. The quick tier (CI) keeps the 16- and 64-dimensional models, where DVE matters most
/// in the paper.
public enum Reproduction {
    public static let tables: Set<String> = ["S01", "S02"]
    public static let quickDimensions: Set<Int> = [16, 64]

    public static func scale(quick: Bool) -> RunScale { quick ? .quick : .standard }

    /// The rows of the tier, sorted by id: the eight SmallNets, and with `hourglass` the seed tables'
    /// ninth model too (only shipped models afford it; training it takes hours).
    public static func rows(from all: [LoadedManifest], quick: Bool, hourglass: Bool = false) -> [LoadedManifest] {
        all.filter { row in
            let m = row.manifest
            let architecture = m.model.architecture == "smallnet" || (hourglass && m.model.architecture == "hourglass")
            return tables.contains(m.table.short) && architecture
                && (!quick || quickDimensions.contains(m.model.embeddingDim))
        }.sorted { $0.manifest.id < $1.manifest.id }
    }

    /// Where converged synthetic models are shipped, under the repository.
    public static let shippedModels = "expected/models"

    /// What `reproduce` runs: the shipped converged models when every row of the tier has one
    /// (evaluation only), `--retrain` to train and ship them, else the short training tier.
    public enum Plan: Sendable, Equatable {
        case shipped
        case retrain
        case shortTraining(missing: [String])
    }

    /// Threads are fixed (2) unless asked otherwise: results are bit-reproducible for a given thread
    /// count, and `expected/synthetic.h5` was blessed with two.
    public static let defaultThreads = 2

    /// The blessed training trajectories under `expected/`, the fast layer of the gate.
    public static let trajectoriesFile = "trajectories.h5"

    /// The worse of the two gates: a trajectory failure is a regression (2) whatever the tables say.
    public static func exitCode(trajectories: Int32, diff: Int32) -> Int32 {
        if trajectories != 0 || diff == 2 { return 2 }
        return diff
    }

    public static func options(quick: Bool, trainingSeed: UInt64? = nil, outputDirectory: String, repositoryRoot: URL, threads: Int,
                               force: Bool, command: String) -> RunnerOptions {
        var scale = scale(quick: quick)
        scale.trainingSeed = trainingSeed
        return RunnerOptions(mode: .train, scale: scale, outputDirectory: outputDirectory,
                      repositoryRoot: repositoryRoot, threads: threads, force: force, command: command)
    }

    /// Chooses the plan and its runner options. `retrain` trains the converged tier (curves on) and
    /// ships each model to `expected/models/`; otherwise the converged models are evaluated when every
    /// row has one shipped, and the short training tier runs when any is missing. `trainingSeed`
    /// selects another seed of the converged models (to train and ship, or to evaluate).
    public static func plan(rows all: [LoadedManifest], quick: Bool, retrain: Bool, trainingSeed: UInt64? = nil,
                            outputDirectory: String, repositoryRoot: URL, threads: Int, force: Bool,
                            command: String) -> (plan: Plan, rows: [LoadedManifest], options: RunnerOptions) {
        let shipped = repositoryRoot.appendingPathComponent(shippedModels).path
        var scale = RunScale.converged
        scale.trainingSeed = trainingSeed
        var converged = RunnerOptions(mode: retrain ? .train : .shipped, scale: scale, outputDirectory: outputDirectory,
                                      repositoryRoot: repositoryRoot, threads: threads, force: force, command: command)
        converged.shippedModelsDirectory = shipped
        converged.shipTrainedModels = retrain
        let convergedRows = rows(from: all, quick: quick, hourglass: true)
        if retrain { return (.retrain, convergedRows, converged) }
        let missing = Runner(options: converged).rowsWithoutShippedModels(convergedRows)
        if missing.isEmpty { return (.shipped, convergedRows, converged) }
        return (.shortTraining(missing: missing), rows(from: all, quick: quick),
                options(quick: quick, trainingSeed: trainingSeed, outputDirectory: outputDirectory, repositoryRoot: repositoryRoot, threads: threads,
                        force: force, command: command))
    }
}
