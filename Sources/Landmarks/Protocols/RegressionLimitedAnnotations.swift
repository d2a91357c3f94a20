import Foundation
import Tensors

/// The limited-annotation study (`configs/aflw-mtfl-limit-annos-ft-keypoints`, protocols.md (b),
/// training.md §2.4): for each annotation count K and each seed, a regressor trained on K training
/// images only, evaluated on the full test split; reported as mean ± **population** std (numpy's
/// `np.std`, ddof 0) of the last-epoch errors over the seeds.
public struct LimitedAnnotationOptions: Sendable {
    /// Which K training images a (seed, K) run uses.
    public enum Selection: Sendable {
        /// Items 0..<K of the train split, for every seed (the seeds then differ only in the
        /// regressor's initialisation and the shuffles).
        case first
        /// `pick(seed, K, trainCount)` gives the K indices, e.g. the reference's numpy
        /// `choice(N, K, replace=False)` picks listed in datasets.md §2.
        case custom(@Sendable (_ seed: UInt64, _ count: Int, _ available: Int) -> [Int])
    }

    public var annotationCounts: [Int] = [1, 5, 10, 20]
    public var seeds: [UInt64] = [0, 1, 2]
    public var selection: Selection = .first
    /// `restrict_annos` tiles the K picks to ⌊N/K⌋·K entries (N = the full train split), which fixes
    /// the iterations per epoch (316 for AFLW_M at batch 32) whatever K is. When false the run trains
    /// on the K entries alone (needs K ≥ batch size with `dropLast`).
    public var tileToTrainingSetSize: Bool = true
    /// Per-run options; each run's `seed` is replaced by the run's seed. Defaults to the
    /// limited-annotation configs (lr 0.01, constant schedule, 50 epochs).
    public var regression: RegressionOptions = .limitedAnnotations

    public init() {}
}

/// The outcome of a limited-annotation study.
public struct LimitedAnnotationResult: Sendable {
    /// One annotation count K over every seed.
    public struct Entry: Sendable {
        public var annotations: Int
        public var seeds: [UInt64]
        /// Last-epoch test inter-ocular error of each seed, in seed order, percent.
        public var errors: [Double]
        public var mean: Double
        /// Population standard deviation (ddof 0) of `errors`.
        public var standardDeviation: Double
        /// The training indices each seed used (before tiling).
        public var picks: [[Int]]
        public var runs: [RegressionTrainingResult]
    }

    public var entries: [Entry]
    public var train: RegressionSplitReport
    public var test: RegressionSplitReport
}

extension KeypointRegression {
    /// Runs the study. Descriptors of both splits are obtained once (through `cache`) and every run
    /// selects its training entries from the cached train descriptors. This equals rebuilding the cache
    /// per seed as the reference does whenever the train items do not depend on the seed; the
    /// reference's per-entry `WarperSingle` augmentation does, and belongs in the source: pass a
    /// source of warped tiled copies to `run` instead.
    public static func limitedAnnotations(network: any Layer, train: any KeypointImageSource, test: any KeypointImageSource,
                                          options: LimitedAnnotationOptions = LimitedAnnotationOptions(),
                                          cache: RegressionDescriptorCache? = nil,
                                          progress: ((RegressionProgress) -> Void)? = nil) throws(RegressionError) -> LimitedAnnotationResult {
        try options.regression.validate()
        guard !options.seeds.isEmpty else { throw .invalidOption(field: "seeds", value: "[]", requirement: "must name at least one seed") }
        guard !options.annotationCounts.isEmpty else {
            throw .invalidOption(field: "annotationCounts", value: "[]", requirement: "must name at least one count")
        }
        try checkCompatible(train: train, test: test)
        let store = cache ?? RegressionDescriptorCache()
        let (trainSet, trainReport) = try descriptors(network: network, source: train, options: options.regression, cache: store, progress: progress)
        let (testSet, testReport) = try descriptors(network: network, source: test, options: options.regression, cache: store, progress: progress)
        let n = trainSet.count
        var entries: [LimitedAnnotationResult.Entry] = []
        for k in options.annotationCounts {
            guard k > 0, k <= n else {
                throw .invalidOption(field: "annotationCounts", value: "\(k)", requirement: "must lie in 1…\(n) (the train split's size)")
            }
            var errors: [Double] = [], picks: [[Int]] = [], runs: [RegressionTrainingResult] = []
            for seed in options.seeds {
                progress?(.limitedAnnotationRun(annotations: k, seed: seed))
                let pick: [Int]
                switch options.selection {
                case .first: pick = Array(0..<k)
                case .custom(let choose): pick = choose(seed, k, n)
                }
                guard pick.count == k, Set(pick).count == k, pick.allSatisfy({ (0..<n).contains($0) }) else {
                    throw .invalidOption(field: "selection", value: "\(pick) for seed \(seed)",
                                         requirement: "must give \(k) distinct indices in 0..<\(n)")
                }
                let entriesForRun = options.tileToTrainingSetSize
                    ? Array((0..<(n / k)).map { _ in pick }.joined())
                    : pick
                var runOptions = options.regression
                runOptions.seed = seed
                let run = try self.train(train: trainSet, test: testSet, eyes: test.eyes, trainEyes: train.eyes,
                                         trainIndices: entriesForRun, options: runOptions, progress: progress)
                errors.append(run.interOcularError)
                picks.append(pick)
                runs.append(run)
            }
            let (mean, std) = populationMeanAndStandardDeviation(errors)
            entries.append(.init(annotations: k, seeds: options.seeds, errors: errors, mean: mean,
                                 standardDeviation: std, picks: picks, runs: runs))
        }
        return LimitedAnnotationResult(entries: entries, train: trainReport, test: testReport)
    }

    /// `(np.mean(x), np.std(x))`: the mean and the population standard deviation √(Σ(x−mean)²/n).
    public static func populationMeanAndStandardDeviation(_ values: [Double]) -> (mean: Double, standardDeviation: Double) {
        guard !values.isEmpty else { return (.nan, .nan) }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        return (mean, variance.squareRoot())
    }
}
