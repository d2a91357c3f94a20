import Foundation
import Testing
@testable import Harness
import Landmarks
import TestSupport
import Tensors

/// Every reduction sums in fixed chunks that depend on the batch alone, so the worker count must not
/// change a single bit of training, matching or regression.
@Suite(.serialized) struct ThreadInvarianceTests {
    /// Batches of 4 pairs (8 images: eight reduction chunks, which 1, 2 and 4 workers split
    /// differently) and regressor batches of 8.
    static let scale = RunScale(name: "test-threads", synthCount: [.celeba: 60, .aflwR: 40, .aflwM: 40, .threeHundredW: 40],
                                synthSeed: 5, trainingSteps: 2, trainingBatchPairs: 4, finetuneSteps: 1,
                                regressionEpochs: 1, regressionBatchSize: 8)

    /// One and four workers split the eight reduction chunks most differently (the trainer test below
    /// covers two as well).
    @Test func trainingMatchingAndRegressionAreBitIdenticalOnOneAndFourThreads() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let rows = try ["S01/celeba-smallnet-16d-dve/matching", "S02/mafl-keypoints-celeba-smallnet-16d-dve/regression"]
            .map(RunnerManifests.row)
        var runs: [Int: ResultSet] = [:]
        for threads in [1, 4] {
            let options = RunnerOptions(mode: .train, scale: Self.scale, outputDirectory: work.appendingPathComponent("t\(threads)").path,
                                        repositoryRoot: RunnerManifests.repositoryRoot, threads: threads)
            runs[threads] = try Runner(options: options).run(rows)
        }
        let one = try #require(runs[1])
        #expect(one.rows.count == 2 && one.rows.allSatisfy { $0.status == .finished }, "\(one.rows.map(\.status))")
        for threads in [4] {
            let other = try #require(runs[threads])
            for row in one.rows {
                let twin = try #require(other.rows.first { $0.id == row.id })
                let bits = row.metrics.map { $0.value.bitPattern }, twinBits = twin.metrics.map { $0.value.bitPattern }
                #expect(bits == twinBits, "\(row.id) on \(threads) threads: \(twin.metrics) vs \(row.metrics) on 1")
            }
        }
    }

    @Test func aTrainingStepLeavesTheSameWeightsOnOneTwoAndFourThreads() throws {
        var configuration = try TrainingConfiguration.smallNetCelebA(outputChannels: 16, dve: true)
        configuration.batchPairs = 4
        configuration.epochs = 1
        configuration.stepsPerEpoch = 1
        let tree = try SynthTree(layout: .celeba, count: 40, seed: 9)
        let source = try tree.dataset(.embeddingTraining, preprocessing: DatasetPreprocessing(imageWidth: 100, crop: 15))
        var weights: [Int: StateDict] = [:]
        for threads in [1, 2, 4] {
            try ComputeThreads.withCount(threads) {
                let trainer = try Trainer(configuration: configuration, source: source)
                try trainer.run()
                weights[threads] = trainer.model.stateDict()
            }
        }
        let reference = try #require(weights[1])
        for threads in [2, 4] {
            let other = try #require(weights[threads])
            #expect(other.keys == reference.keys)
            for key in reference.keys {
                #expect(other[key] == reference[key], "\(key) differs on \(threads) threads")
            }
        }
    }
}
