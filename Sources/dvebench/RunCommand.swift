import ArgumentParser
import Foundation
import Harness

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run manifest rows: obtain each row's model, dataset and protocol, and write results.h5.",
        discussion: """
        Selects rows by manifest file or folder, --table and --id; with none, every manifest. Each row's \
        model is its released checkpoint (--mode checkpoint, the default when --checkpoints is given) or \
        trained from its recipe (--mode train). Images come from the real datasets under --data-root \
        (the reference's data/ folder: celeba/, aflw/aflw_release-2/, aflw-mtfl/, 300w/300w/) or, \
        without it, from SynthFaces generated in memory. --scale default|quick shrink training and \
        regression for a CPU; paper (the default with --data-root) follows every recipe.

        Results are written to OUT/results.h5 after every row. A rerun keeps rows that finished with \
        the same manifest bytes and settings unless --force. A row whose dataset, checkpoint or model \
        is missing here is reported as skipped with the reason. Exit code: 0 when no row failed, 1 \
        otherwise; compare against the expected numbers with `dvebench diff OUT/results.h5`.
        """
    )

    @Argument(help: "Manifest files or folders (default: manifests/).")
    var paths: [String] = []

    @Option(name: .customLong("table"), help: "Rows of this table (short id: S01, T06, …). Repeatable.")
    var tables: [String] = []

    @Option(name: .customLong("id"), help: "Rows whose id matches this glob. Repeatable.")
    var ids: [String] = []

    @Option(help: "The reference's data/ folder with the real datasets (default: SynthFaces in memory).")
    var dataRoot: String?

    @Option(help: "Folder holding released checkpoints under their published relative paths.")
    var checkpoints: String?

    @Option(help: "checkpoint, train, or shipped (the converged synthetic models under expected/models/) (default: checkpoint when --checkpoints is given, else train).")
    var mode: String?

    @Option(help: "paper, default, quick or converged (default: paper with --data-root, else default).")
    var scale: String?

    @Option(help: "Worker threads (results are bit-reproducible for a given count).")
    var threads: Int = ProcessInfo.processInfo.activeProcessorCount

    @Option(help: "Run only shard i of n (rows sorted by id, every n-th from the i-th).")
    var shard: String?

    @Option(help: "Output folder for results.h5, training checkpoints and the descriptor cache.")
    var out: String = "out/run"

    @Flag(help: "Rerun rows that already finished, from scratch: training checkpoints and cached descriptors in the output folder are discarded, so a code change cannot hand back an earlier build's model.")
    var force = false

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

    func run() throws {
        let repository = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let rows = try CommandSupport.manifests(paths: paths, tables: tables, ids: ids, repository: repository)
        let runMode: RunMode
        if let mode {
            guard let parsed = RunMode(rawValue: mode) else { throw ValidationError("--mode must be checkpoint, train or shipped") }
            runMode = parsed
        } else {
            runMode = checkpoints == nil ? .train : .checkpoint
        }
        let scaleName = scale ?? (dataRoot == nil ? RunScale.standard.name : RunScale.paper.name)
        guard var runScale = RunScale.named(scaleName) else { throw ValidationError("--scale must be paper, default, quick or converged") }
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
        var options = RunnerOptions(
            mode: runMode, scale: runScale, dataRoot: dataRoot, checkpointsDirectory: checkpoints, outputDirectory: out,
            repositoryRoot: repository, threads: threads, shard: try shard.map { try Shard(parsing: $0) }, force: force,
            command: commandLine)
        options.shippedModelsDirectory = repository.appendingPathComponent(Reproduction.shippedModels).path
        let results = try CommandSupport.run(rows, options: options)
        let failed = results.rows.filter { if case .failed = $0.status { true } else { false } }
        if !failed.isEmpty { throw ExitCode(1) }
    }
}

/// Pieces shared by `run` and `reproduce`.
enum CommandSupport {
    static func manifests(paths: [String], tables: [String], ids: [String], repository: URL) throws -> [LoadedManifest] {
        let loader = ManifestLoader(repositoryRoot: repository)
        do {
            return try ManifestSelection(paths: paths, tables: tables, idPatterns: ids).load(with: loader)
        } catch {
            FileHandle.standardError.write(Data("\(error)\n".utf8))
            throw ExitCode(1)
        }
    }

    static func run(_ rows: [LoadedManifest], options: RunnerOptions) throws -> ResultSet {
        Runtime.configure(threads: options.threads)
        let runner = Runner(options: options)
        let selected = runner.selected(rows)
        say("\(selected.count) rows, mode \(options.mode.rawValue), scale \(options.scale), data \(options.dataRoot ?? "SynthFaces (in memory)"), "
              + "threads \(options.threads) → \(options.resultsPath)")
        let display = ProgressDisplay()
        let start = Date()
        let results = try runner.run(rows) { display.handle($0) }
        say(String(format: "%d rows in %.1f s", selected.count, Date().timeIntervalSince(start)))
        return results
    }
}
