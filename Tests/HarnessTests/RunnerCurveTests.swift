import Foundation
import Testing
@testable import Harness
import Landmarks
import TestSupport

/// Learning curves: pausing training to evaluate must not change the trained model, the curve must
/// reach every row that shares the embedding, and a resumed run keeps the points already evaluated.
@Suite(.serialized) struct RunnerCurveTests {
    static func scale(curve: [Int]) -> RunScale {
        var scale = RunScale(name: "test-curve", synthCount: [.celeba: 100, .aflwR: 40, .aflwM: 40, .threeHundredW: 40],
                             synthSeed: 3, trainingSteps: 4, trainingBatchPairs: 2, finetuneSteps: 1,
                             regressionEpochs: 2, regressionBatchSize: 8)
        scale.curvePoints = curve
        return scale
    }

    static func options(_ out: URL, curve: [Int]) -> RunnerOptions {
        RunnerOptions(mode: .train, scale: scale(curve: curve), outputDirectory: out.path,
                      repositoryRoot: RunnerManifests.repositoryRoot, threads: 2)
    }

    @Test func pausingToEvaluateChangesNothingAndEveryRowOfTheEmbeddingCarriesTheCurve() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let rows = try ["S01/celeba-smallnet-16d/matching", "S02/mafl-keypoints-celeba-smallnet-16d/regression"].map(RunnerManifests.row)
        let plain = try Runner(options: Self.options(work.appendingPathComponent("plain"), curve: [])).run(rows)
        let curved = try Runner(options: Self.options(work.appendingPathComponent("curved"), curve: [1, 2])).run(rows)
        for (a, b) in zip(plain.rows, curved.rows) {
            #expect(a.metrics.map(\.value.bitPattern) == b.metrics.map(\.value.bitPattern), "\(a.id)")
            #expect(a.curve == nil)
        }
        let curve = try #require(curved.rows.first?.curve)
        #expect(curve.iterations == [1, 2, 4])
        #expect(curve.names == ["same_identity", "different_identity"])
        // The last point is the finished model: the matching row's own numbers.
        #expect(curve.values.map { $0.last } == curved.rows.first?.metrics.map(\.value))
        #expect(curved.rows.last?.curve == curve)
        #expect(curved.rows.first?.keypoints?.pairs ?? 0 > 0)
        #expect(curved.rows.last?.keypoints == nil)
        // Speed is a result too: the training row times its stages, the regression row its extraction.
        let trainedRow = try #require(plain.rows.first)
        #expect(Double(trainedRow.details["training.images_per_second"] ?? "") ?? 0 > 0)
        #expect(trainedRow.details["training.timed_iterations"] == "4")
        for stage in ["batch", "forward", "loss", "backward", "optimizer"] {
            #expect(Double(trainedRow.details["training.ms_per_iteration.\(stage)"] ?? "") ?? -1 >= 0, "\(stage)")
        }
        #expect(Double(trainedRow.details["pairs_per_second"] ?? "") ?? 0 > 0)
        #expect(Double(plain.rows.last?.details["extraction.images_per_second"] ?? "") ?? 0 > 0)
    }
}
