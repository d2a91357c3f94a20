import Foundation
import Landmarks
import Tensors

/// `--shard i/n`: rows sorted by id, every n-th starting at the i-th (1-based).
public struct Shard: Sendable, Equatable, CustomStringConvertible {
    public var index: Int
    public var count: Int

    public init(index: Int, count: Int) {
        precondition(count >= 1 && (1...count).contains(index), "shard \(index)/\(count)")
        self.index = index
        self.count = count
    }

    public init(parsing text: String) throws(RunnerError) {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, (1...n).contains(i) else {
            throw .invalidShard(text)
        }
        index = i
        count = n
    }

    public var description: String { "\(index)/\(count)" }

    public func selects(position: Int) -> Bool { position % count == index - 1 }
}

public struct RunnerOptions: Sendable {
    public var mode: RunMode
    public var scale: RunScale
    /// The reference's `data/` folder; nil runs on SynthFaces.
    public var dataRoot: String?
    public var checkpointsDirectory: String?
    /// Holds `results.h5`, the training checkpoints (`models/`) and the descriptor cache.
    public var outputDirectory: String
    /// Where `expected/` (evaluation warps) is found.
    public var repositoryRoot: URL
    public var threads: Int
    public var shard: Shard?
    /// Rerun rows that already finished, from scratch: their trainings' checkpoints and the cached
    /// descriptors are discarded too (they record the recipe, data and weights, not the code that
    /// made them, so after a code change they would hand back the old code's numbers).
    public var force: Bool
    public var command: String
    /// Trained embeddings shipped with the repository (`shipped` mode reads them; with
    /// `shipTrainedModels`, `train` mode writes every finished base training there).
    public var shippedModelsDirectory: String?
    public var shipTrainedModels = false
    /// Asked before each row and each training iteration: a signal number when the run must stop
    /// (checkpointing a training first), nil to go on. The process's SIGTERM/SIGINT by default.
    public var stopRequest: @Sendable () -> Int32? = { Interruption.requested }
    /// `--max-memory`: the most a row may need (`MemoryEstimate`); nil: what the machine has
    /// available when the run starts.
    public var maxMemory: Int?

    public init(mode: RunMode, scale: RunScale, dataRoot: String? = nil, checkpointsDirectory: String? = nil,
                outputDirectory: String, repositoryRoot: URL, threads: Int, shard: Shard? = nil, force: Bool = false,
                command: String = "dvebench run") {
        self.mode = mode
        self.scale = scale
        self.dataRoot = dataRoot
        self.checkpointsDirectory = checkpointsDirectory
        self.outputDirectory = outputDirectory
        self.repositoryRoot = repositoryRoot
        self.threads = threads
        self.shard = shard
        self.force = force
        self.command = command
    }

    public var resultsPath: String { (outputDirectory as NSString).appendingPathComponent(Runner.resultsFileName) }
}

/// What the runner reports while it works; the CLI turns these into progress bars.
public enum RunnerEvent: Sendable {
    case rowStarted(id: String, position: Int, total: Int)
    case rowProgress(id: String, RowProgress)
    /// A finished row from an earlier run with the same manifest bytes and settings, kept as it was.
    case rowReused(RowResult)
    case rowFinished(RowResult)
}

/// Runs manifest rows and writes every row's result to `results.h5` as soon as it is known, so an
/// interrupted run loses at most the row in progress (and that row's training resumes from its last
/// training checkpoint).
public final class Runner {
    public static let resultsFileName = "results.h5"
    static let descriptorCacheFolder = "descriptor-cache"
    public let options: RunnerOptions
    private let resolver: DatasetResolver
    private let embeddings: EmbeddingProvider
    private let execution: RowExecution

    public init(options: RunnerOptions) {
        self.options = options
        resolver = DatasetResolver(dataRoot: options.dataRoot, scale: options.scale)
        let work = options.outputDirectory as NSString
        embeddings = EmbeddingProvider(mode: options.mode, resolver: resolver, checkpointsDirectory: options.checkpointsDirectory,
                                       checkpointLockFile: CheckpointLockFile.path(repositoryRoot: options.repositoryRoot),
                                       workDirectory: work.appendingPathComponent("models"),
                                       shippedDirectory: options.shippedModelsDirectory, shipTrainedModels: options.shipTrainedModels,
                                       discardCheckpoints: options.force, command: options.command,
                                       stopRequest: options.stopRequest)
        execution = RowExecution(resolver: resolver, repositoryRoot: options.repositoryRoot,
                                 descriptorCache: RegressionDescriptorCache(
                                    directory: URL(fileURLWithPath: work.appendingPathComponent(Self.descriptorCacheFolder))),
                                 figures: true)
    }

    /// Ids of the rows with no shipped model for this runner's scale (`shipped` mode would skip them).
    public func rowsWithoutShippedModels(_ rows: [LoadedManifest]) -> [String] {
        rows.filter { !embeddings.hasShippedModel(for: $0.manifest) }.map(\.manifest.id)
    }

    /// The rows this runner (and shard) will run, sorted by id.
    public func selected(_ rows: [LoadedManifest]) -> [LoadedManifest] {
        let sorted = rows.sorted { $0.manifest.id < $1.manifest.id }
        guard let shard = options.shard else { return sorted }
        return sorted.enumerated().filter { shard.selects(position: $0.offset) }.map(\.element)
    }

    /// Runs with `options.threads` workers in a scope of its own (`ComputeThreads.withCount`), never
    /// by changing the process-wide count: a library call must not re-chunk the kernels of other
    /// work in the process, whose reductions would then sum in another order. A command line that
    /// owns its process sets the process-wide count too (`Runtime.configure`), for work that runs
    /// on threads outside this scope.
    public func run(_ rows: [LoadedManifest], events: @escaping (RunnerEvent) -> Void = { _ in }) throws -> ResultSet {
        try ComputeThreads.withCount(options.threads) { try runScoped(rows, events: events) }
    }

    private func runScoped(_ rows: [LoadedManifest], events: @escaping (RunnerEvent) -> Void) throws -> ResultSet {
        let lock = try OutputLock(directory: options.outputDirectory, command: options.command)
        defer { withExtendedLifetime(lock) {} }
        if options.force {
            // Cached descriptors are keyed by weights and split, not by the code that computed them.
            let cache = (options.outputDirectory as NSString).appendingPathComponent(Self.descriptorCacheFolder)
            if FileManager.default.fileExists(atPath: cache) { try FileManager.default.removeItem(atPath: cache) }
        }
        let provenance = Provenance.current(command: options.command, threads: options.threads, repository: options.repositoryRoot)
        var results = try ResultsFile.load(options.resultsPath) ?? ResultSet(provenance: provenance)
        results.provenance = provenance
        let todo = selected(rows)
        // Hours into a run is too late to find a missing file or a row that cannot fit in memory:
        // check the data's files and counts, and each row's memory estimate, first.
        let pending = todo.filter { row in options.force || !results.rows.contains { $0.id == row.manifest.id && reusable($0, for: row) } }
        let dataProblems = DataPrecheck.problems(rows: pending.map(\.manifest), mode: options.mode, dataRoot: options.dataRoot)
        if !dataProblems.isEmpty {
            throw RunnerError.brokenData(problems: dataProblems.prefix(20).map(\.description), total: dataProblems.count)
        }
        let estimates = try checkMemory(pending)
        results.request(todo.map(\.manifest.id))
        let status = RunStatusRecorder(directory: options.outputDirectory, rowIDs: todo.map(\.manifest.id), shard: options.shard)
        defer { status.end() }
        for (position, row) in todo.enumerated() {
            let id = row.manifest.id
            if !options.force, let earlier = results.rows.first(where: { $0.id == id }), reusable(earlier, for: row) {
                status.set(id, .done, detail: "reused from an earlier run")
                events(.rowReused(earlier))
                continue
            }
            if let signal = options.stopRequest() { throw RunInterrupted(signal: signal, row: nil) }
            events(.rowStarted(id: id, position: position + 1, total: todo.count))
            status.set(id, .running)
            let result: RowResult
            do {
                MemoryPeak.reset()
                result = try runRow(row, estimate: estimates[id]) { progress in
                    status.progress(id, progress.summary)
                    events(.rowProgress(id: id, progress))
                }
            } catch let interrupted as RunInterrupted {
                status.set(id, .interrupted, detail: interrupted.description)
                throw interrupted
            }
            results.upsert(result)
            try ResultsFile.save(results, to: options.resultsPath)
            switch result.status {
            case .finished: status.set(id, .done)
            case .skipped(let reason): status.set(id, .skipped, detail: reason)
            case .failed(let message): status.set(id, .failed, detail: message)
            }
            events(.rowFinished(result))
        }
        return results
    }

    /// Fails the run before its first row when a row would need more memory than `--max-memory`
    /// or the machine has: better at once, with the estimate, than swapping or being killed later.
    /// Returns the estimates by row id.
    private func checkMemory(_ rows: [LoadedManifest]) throws -> [String: MemoryEstimate] {
        let planner = MemoryPlanner(resolver: resolver, mode: options.mode)
        let estimates = rows.map { planner.estimate($0.manifest) }
        let budget: (bytes: Int, source: String)? = options.maxMemory.map { ($0, "--max-memory") } ?? MemorySize.available()
        if let budget {
            let over = estimates.filter { $0.total > budget.bytes }
            if !over.isEmpty {
                throw RunnerError.memoryBudget(rows: over.map(\.description), budget: budget.bytes, source: budget.source)
            }
        }
        return Dictionary(estimates.map { ($0.row, $0) }) { first, _ in first }
    }

    private func reusable(_ earlier: RowResult, for row: LoadedManifest) -> Bool {
        earlier.status == .finished && earlier.manifestSHA256 == row.sha256 && earlier.mode == options.mode.rawValue
            && earlier.scale == options.scale.name && earlier.dataSource == resolver.description
            && earlier.details[RunScale.seedOverrideDetail] == options.scale.trainingSeed.map { String($0) }
    }

    /// Runs one row; an interruption (`RunInterrupted`) is the only error that leaves it, so that an
    /// interrupted row is never recorded as failed.
    private func runRow(_ row: LoadedManifest, estimate: MemoryEstimate?,
                        progress: @escaping (RowProgress) -> Void) throws -> RowResult {
        let start = Date()
        let manifest = row.manifest
        var curve: LearningCurve?
        func result(_ status: RowResult.Status, _ outcome: ProtocolOutcome? = nil, details: [String: String] = [:],
                    seeds: [UInt64] = []) -> RowResult {
            var details = details
            if let seed = options.scale.trainingSeed { details[RunScale.seedOverrideDetail] = String(seed) }
            // What the row was expected to need, and what it took: the evidence behind MemoryEstimate.
            if let estimate { details[MemoryEstimate.estimateDetail] = String(estimate.total) }
            if let peak = MemoryPeak.current() { details[MemoryEstimate.peakDetail] = String(peak) }
            return RowResult(id: manifest.id, manifestSHA256: row.sha256, status: status, metrics: outcome?.metrics ?? [],
                      mode: options.mode.rawValue, scale: options.scale.name, dataSource: resolver.description,
                      seeds: seeds + (outcome?.seeds ?? []), wallSeconds: Date().timeIntervalSince(start),
                      details: details.merging(outcome?.details ?? [:]) { a, _ in a }, figures: outcome?.figures,
                      keypoints: outcome?.keypoints, curve: curve)
        }
        let embedding: ObtainedEmbedding
        do {
            let evaluator = options.scale.curvePoints.isEmpty ? nil : execution.curveEvaluator(for: manifest)
            embedding = try embeddings.embedding(for: manifest, curve: evaluator) { progress(.training($0)) }
        } catch let interrupted as RunInterrupted {
            throw RunInterrupted(signal: interrupted.signal, row: manifest.id)
        } catch {
            return result(Self.classify(error, stage: "model"))
        }
        curve = embedding.curve
        do {
            let outcome = try execution.run(manifest, embedding: embedding, progress: progress)
            if let bad = outcome.metrics.first(where: { !$0.isFinite }) {
                // A NaN is never a result: it would compare as a number in some tools and not others.
                return result(.failed(message: "\(manifest.protocol.kind): metric \(bad.name) is \(bad.value) (std \(bad.standardDeviation.map { "\($0)" } ?? "none")); the row is not recorded as finished"),
                              details: embedding.details, seeds: embedding.seeds)
            }
            return result(.finished, outcome, details: embedding.details, seeds: embedding.seeds)
        } catch {
            return result(Self.classify(error, stage: manifest.protocol.kind), details: embedding.details, seeds: embedding.seeds)
        }
    }

    /// Absent inputs make a row skipped (it cannot run here); anything else that goes wrong fails it.
    static func classify(_ error: any Error, stage: String) -> RowResult.Status {
        if let unavailable = error as? EmbeddingUnavailable { return .skipped(reason: unavailable.reason) }
        if let dataset = error as? DatasetError, case .missingFiles = dataset { return .skipped(reason: "\(dataset)") }
        return .failed(message: "\(stage): \(error)")
    }
}
