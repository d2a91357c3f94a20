import Foundation
import Landmarks
import Tensors

/// What a protocol produced for one row, before it becomes a `RowResult`.
struct ProtocolOutcome {
    var metrics: [MetricValue]
    var details: [String: String] = [:]
    var seeds: [UInt64] = []
    var figures: RowFigures?
    var keypoints: MatchingKeypoints?
}

/// Progress of one row, forwarded to the caller of `Runner.run`.
public enum RowProgress: Sendable {
    case training(TrainingProgress)
    case matching(MatchingProgress)
    case regression(RegressionProgress)
}

/// Runs a manifest's protocol on a network.
struct RowExecution {
    let resolver: DatasetResolver
    let repositoryRoot: URL
    let descriptorCache: RegressionDescriptorCache
    var figures: Bool

    /// The row's matching protocol as a learning-curve probe (no figures, no progress), for matching
    /// rows; nil for the others. The test split is opened at the first evaluation and kept, so later
    /// points reuse its decoded images.
    func curveEvaluator(for manifest: Manifest) -> CurveEvaluator? {
        guard manifest.protocol.kind == "matching" else { return nil }
        var quiet = self
        quiet.figures = false
        final class OpenedSplit { var dataset: (any LandmarkDataset)? }
        let opened = OpenedSplit()
        return { network in
            let test = try opened.dataset ?? quiet.evaluationSplit(manifest, .test)
            opened.dataset = test
            let outcome = try quiet.matching(manifest, network: network, test: test, progress: { _ in })
            return outcome.metrics.map { (name: $0.name, value: $0.value) }
        }
    }

    /// A split of the row's evaluation dataset with its evaluation preprocessing.
    private func evaluationSplit(_ manifest: Manifest, _ split: SynthSplit) throws -> any LandmarkDataset {
        let evaluation = manifest.evaluation
        let preprocessing = try DatasetPreprocessing(imageWidth: evaluation.imwidth, crop: evaluation.crop)
        return try resolver.dataset(evaluation.dataset, split: split, preprocessing: preprocessing)
    }

    func run(_ manifest: Manifest, embedding: ObtainedEmbedding,
             progress: @escaping (RowProgress) -> Void) throws -> ProtocolOutcome {
        func keypoints(_ split: SynthSplit) throws -> any KeypointImageSource {
            try evaluationSplit(manifest, split).regressionSource()
        }
        switch manifest.protocol.kind {
        case "matching":
            return try matching(manifest, network: embedding.network, test: try evaluationSplit(manifest, .test), progress: progress)
        case "regression":
            let test = try keypoints(.test)
            if let regressor = embedding.regressor {
                return try releasedRegressor(regressor, network: embedding.network, test: test, progress: progress)
            }
            let train = try keypoints(.train)
            let options = try RecipeTranslation.regression(manifest.protocol, base: .paper, scale: resolver.scale, manifest: manifest.id)
            let result = try KeypointRegression.run(network: embedding.network, train: train, test: test, options: options,
                                                    cache: descriptorCache, progress: { progress(.regression($0)) })
            var details = ["regressor": "trained (\(options.epochs) epochs, batch \(options.batchSize))",
                           "train.items": String(train.count), "test.items": String(test.count),
                           "regressor.seconds_per_epoch": String(format: "%.2f", result.training.seconds / Double(max(1, options.epochs)))]
            // Throughput only where the network ran: a cache hit says nothing about extraction speed.
            let extracted = [result.train, result.test].filter { $0.origin == .extracted }
            let extractionSeconds = extracted.map(\.seconds).reduce(0, +)
            if extractionSeconds > 0 {
                details["extraction.images_per_second"] = String(format: "%.1f", Double(extracted.map(\.items).reduce(0, +)) / extractionSeconds)
            }
            return ProtocolOutcome(metrics: [MetricValue(name: "iod_error", value: result.interOcularError)], details: details,
                                   seeds: [options.seed])
        case "limited-annotations":
            let train = try keypoints(.train), test = try keypoints(.test)
            guard let annotations = manifest.protocol.annotations, annotations > 0 else {
                throw RunnerError.invalidRecipe(manifest: manifest.id, reason: "limited-annotations needs a positive `annotations`")
            }
            var options = LimitedAnnotationOptions()
            options.annotationCounts = [annotations]
            options.seeds = (manifest.protocol.seeds ?? [0, 1, 2]).map { UInt64(max(0, $0)) }
            options.selection = .custom(ReferencePicks.pick)
            options.regression = try RecipeTranslation.regression(manifest.protocol, base: .limitedAnnotations,
                                                                  scale: resolver.scale, manifest: manifest.id)
            let result = try KeypointRegression.limitedAnnotations(network: embedding.network, train: train, test: test,
                                                                   options: options, cache: descriptorCache,
                                                                   progress: { progress(.regression($0)) })
            guard let entry = result.entries.first else {
                throw RunnerError.invalidRecipe(manifest: manifest.id, reason: "the limited-annotation study returned no entry")
            }
            return ProtocolOutcome(
                metrics: [MetricValue(name: "iod_error", value: entry.mean, standardDeviation: entry.standardDeviation,
                                      runs: entry.errors.count)],
                details: ["runs": entry.errors.map { String(format: "%.4f", $0) }.joined(separator: " "),
                          "picks": entry.picks.map { $0.map(String.init).joined(separator: ",") }.joined(separator: " | ")],
                seeds: options.seeds)
        default:
            throw RunnerError.unknownProtocol(manifest: manifest.id, kind: manifest.protocol.kind)
        }
    }

    private func matching(_ manifest: Manifest, network: any DescriptorNetwork, test: any LandmarkDataset,
                          progress: @escaping (RowProgress) -> Void) throws -> ProtocolOutcome {
        let evaluation = manifest.evaluation
        var options = MatchingOptions(imageWidth: evaluation.imwidth, crop: evaluation.crop)
        var details: [String: String] = [:]
        // The recorded warps are one stream whose first items every set shares (eval-warps README), so
        // any set no longer than the file uses them; a longer one falls back to seeded warps, and the
        // result says so.
        if let file = manifest.protocol.warps {
            let path = EvalWarpsFile.directory(repositoryRoot: repositoryRoot).appendingPathComponent(file).path
            let warps = try EvalWarpsFile.load(path: path)
            if warps.count >= 2 * (test.count / 2) {
                options.warps = warps
            } else {
                details["warps.note"] = "\(file) holds \(warps.count) items, the set \(test.count): seeded warps"
            }
        }
        let result = try MatchingProtocol.run(network: network, source: test, options: options,
                                              progress: { progress(.matching($0)) })
        details["warps"] = result.warpSource.description
        details["pairs"] = String(result.pairCount)
        details["keypoints"] = String(result.keypointCount)
        details["pairs_per_second"] = String(format: "%.1f", result.timings.pairsPerSecond)
        var outcome = ProtocolOutcome(
            metrics: [MetricValue(name: "same_identity", value: result.sameIdentityError),
                      MetricValue(name: "different_identity", value: result.differentIdentityError)],
            details: details, seeds: options.warps == nil ? [options.fallbackSeed] : [], keypoints: MatchingKeypoints(result))
        if figures {
            // Pictures are a courtesy of the report: a row's numbers never depend on them.
            do {
                var rowFigures = try embeddingFigure(network: network, source: test, options: options)
                rowFigures.matches = try MatchFigures.make(result: result, source: test)
                outcome.figures = rowFigures
            } catch {
                outcome.details["figures"] = "not drawn: \(error)"
            }
        }
        return outcome
    }

    /// The first evaluation image as the network saw it (singly warped, cropped) and the first three
    /// principal components of its descriptors as RGB.
    private func embeddingFigure(network: any DescriptorNetwork, source: any EvaluationImageSource,
                                 options: MatchingOptions) throws -> RowFigures {
        let item = try MatchingProtocol.warpedItem(index: 0, source: source, options: options)
        let input = try WarpedImageConversion.normalized(item.singly, shape: [1, 3, item.side, item.side])
        let descriptors = network.forward(input, training: false)
        return RowFigures(embeddingInput: try RGBPicture(normalizedImage: input),
                          embeddingPCA: try EmbeddingPCA.picture(descriptors: descriptors))
    }

    /// A keypoint checkpoint carries the regressor its run trained: its test error is the published
    /// number, so it is evaluated as released rather than retrained.
    private func releasedRegressor(_ regressor: IntermediateKeypointPredictor, network: any DescriptorNetwork,
                                   test: any KeypointImageSource,
                                   progress: @escaping (RowProgress) -> Void) throws -> ProtocolOutcome {
        let (set, _) = try KeypointRegression.descriptors(network: network, source: test, cache: descriptorCache,
                                                          progress: { progress(.regression($0)) })
        let predictions = KeypointRegression.predict(regressor, on: set)
        let error = try interOcularError(predictions: predictions, targets: set.targets, eyes: test.eyes)
        return ProtocolOutcome(metrics: [MetricValue(name: "iod_error", value: error.value)],
                               details: ["regressor": "released", "test.items": String(test.count)])
    }
}

/// The training images a limited-annotation run uses: the reference's numpy picks for AFLW_M's 10 122
/// training rows (datasets.md, `restrict_annos`), and for any other set size a seeded draw without
/// replacement, so synthetic sets are deterministic too.
enum ReferencePicks {
    static let aflwMTrainCount = 10_122
    static let aflwM: [UInt64: [Int]] = [
        0: [3304, 3435, 6597, 3580, 7520, 8268, 5506, 3779, 1060, 1645, 2443, 565, 7216, 2767, 6042, 5608, 982, 3007, 6829, 9352],
        1: [8697, 6435, 7686, 6281, 1777, 2820, 2168, 2812, 6189, 6529, 1851, 911, 6729, 4625, 921, 1308, 8018, 6291, 7364, 3737],
        2: [5444, 6282, 6163, 2748, 4358, 9604, 8143, 5871, 359, 9083, 5149, 4593, 9312, 32, 2786, 3134, 6198, 4820, 2339, 2874],
    ]

    @Sendable static func pick(seed: UInt64, count: Int, available: Int) -> [Int] {
        if available == aflwMTrainCount, let picks = aflwM[seed], count <= picks.count { return Array(picks.prefix(count)) }
        var generator = SeededGenerator(seed: SeededGenerator.derive(seed, 0x11_4E_0A))
        return Array(generator.permutation(available).prefix(min(count, available)))
    }
}
