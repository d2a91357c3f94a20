import Foundation
import Testing
@testable import Harness
import Landmarks
import TestSupport

/// Shipped models: `train` mode ships every finished base training when asked, and `shipped` mode
/// evaluates exactly those weights, so a shipped table is the table training would give.
@Suite(.serialized) struct ShippedModelTests {
    static func options(_ out: URL, mode: RunMode, shipped: URL, ship: Bool = false) -> RunnerOptions {
        var scale = RunnerCurveTests.scale(curve: [2])
        scale.name = "test-shipped"
        var options = RunnerOptions(mode: mode, scale: scale, outputDirectory: out.path,
                                    repositoryRoot: RunnerManifests.repositoryRoot, threads: 2)
        options.shippedModelsDirectory = shipped.path
        options.shipTrainedModels = ship
        return options
    }

    @Test func aShippedModelGivesTheNumbersItsTrainingGave() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let shipped = work.appendingPathComponent("models")
        let rows = try ["S01/celeba-smallnet-3d/matching", "S02/mafl-keypoints-celeba-smallnet-3d/regression"].map(RunnerManifests.row)

        let missing = Runner(options: Self.options(work.appendingPathComponent("none"), mode: .shipped, shipped: shipped))
        #expect(missing.rowsWithoutShippedModels(rows) == rows.map(\.id))
        let skipped = try missing.run(Array(rows.prefix(1)))
        guard case .skipped(let reason)? = skipped.rows.first?.status else { Issue.record("not skipped"); return }
        #expect(reason.contains("--retrain"))

        let trained = try Runner(options: Self.options(work.appendingPathComponent("train"), mode: .train, shipped: shipped, ship: true)).run(rows)
        let files = try FileManager.default.contentsOfDirectory(atPath: shipped.path)
        #expect(files.count == 1 && files[0].hasPrefix("smallnet-3d-seed0-"), "\(files)")
        let model = try ShippedModel.load(shipped.appendingPathComponent(files[0]).path)
        #expect(model.iterations == 4 && model.curve?.iterations == [2, 4])
        #expect(model.provenance["blas_core"] != nil && model.dataSource.hasPrefix("synthfaces"))

        let runner = Runner(options: Self.options(work.appendingPathComponent("shipped"), mode: .shipped, shipped: shipped))
        #expect(runner.rowsWithoutShippedModels(rows).isEmpty)
        let evaluated = try runner.run(rows)
        for (a, b) in zip(trained.rows, evaluated.rows) {
            #expect(b.status == .finished, "\(b.status)")
            #expect(a.metrics.map(\.value.bitPattern) == b.metrics.map(\.value.bitPattern), "\(a.id)")
            #expect(b.details["embedding.shipped"] == files[0])
            #expect(b.curve == model.curve)
        }
    }

    @Test func aModelShippedForAnotherRecipeIsNotUsed() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let shipped = work.appendingPathComponent("models")
        let row = try RunnerManifests.row("S01/celeba-smallnet-3d/matching")
        _ = try Runner(options: Self.options(work.appendingPathComponent("train"), mode: .train, shipped: shipped, ship: true)).run([row])
        var other = Self.options(work.appendingPathComponent("other"), mode: .shipped, shipped: shipped)
        other.scale.trainingSteps = 5
        #expect(Runner(options: other).rowsWithoutShippedModels([row]) == [row.id])
    }
}
