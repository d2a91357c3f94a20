import Foundation
import Testing
@testable import Harness
import Landmarks
import TestSupport

/// `--training-seed`: another seed of the same experiment. It must reach the embedding and the
/// regressor, be recorded on the row, keep a rerun from reusing a row of another seed, and be named
/// by `bless --spread`.
@Suite(.serialized) struct TrainingSeedTests {
    static func options(_ out: URL, seed: UInt64?) -> RunnerOptions {
        var scale = RunScale(name: "test-seed", synthCount: [.celeba: 100, .aflwR: 40, .aflwM: 40, .threeHundredW: 40],
                             synthSeed: 3, trainingSteps: 4, trainingBatchPairs: 2, finetuneSteps: 1,
                             regressionEpochs: 2, regressionBatchSize: 8)
        scale.trainingSeed = seed
        return RunnerOptions(mode: .train, scale: scale, outputDirectory: out.path, repositoryRoot: RunnerManifests.repositoryRoot,
                             threads: 2)
    }

    @Test func theSeedReachesTheEmbeddingAndTheRegressor() throws {
        let manifest = try RunnerManifests.row("S02/mafl-keypoints-celeba-smallnet-16d/regression").manifest
        var scale = RunScale.quick
        let recipe = try RecipeTranslation.training(model: manifest.model, recipe: manifest.model.recipe, scale: scale,
                                                    finetuning: false, images: 500, manifest: manifest.id)
        let recipeRegression = try RecipeTranslation.regression(manifest.protocol, base: .paper, scale: scale, manifest: manifest.id)
        scale.trainingSeed = 7
        let seeded = try RecipeTranslation.training(model: manifest.model, recipe: manifest.model.recipe, scale: scale,
                                                    finetuning: false, images: 500, manifest: manifest.id)
        let seededRegression = try RecipeTranslation.regression(manifest.protocol, base: .paper, scale: scale, manifest: manifest.id)
        #expect(seeded.seed == 7 && recipe.seed != 7)
        #expect(seededRegression.seed == 7 && recipeRegression.seed != 7)
        var unseeded = seeded
        unseeded.seed = recipe.seed
        #expect(unseeded == recipe, "the seed is the only thing the override changes")
    }

    @Test func anotherSeedTrainsAnotherModelAndIsNeverReusedForTheRecipeSeed() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let rows = [try RunnerManifests.row("S01/celeba-smallnet-16d/matching")]
        let out = work.appendingPathComponent("run")
        let recipeSeed = try Runner(options: Self.options(out, seed: nil)).run(rows)
        #expect(recipeSeed.rows[0].details[RunScale.seedOverrideDetail] == nil)

        var reused: [String] = []
        let seeded = try Runner(options: Self.options(out, seed: 5)).run(rows) { event in
            if case .rowReused(let row) = event { reused.append(row.id) }
        }
        #expect(reused.isEmpty, "a row trained from the recipe's seed must not stand in for seed 5")
        #expect(seeded.rows[0].details[RunScale.seedOverrideDetail] == "5")
        #expect(seeded.rows[0].seeds.first == 5)
        #expect(seeded.rows[0].metrics.map(\.value) != recipeSeed.rows[0].metrics.map(\.value))

        let again = try Runner(options: Self.options(out, seed: 5)).run(rows) { event in
            if case .rowReused(let row) = event { reused.append(row.id) }
        }
        #expect(reused == [rows[0].manifest.id], "the same seed reuses its own finished row")
        #expect(again.rows[0].metrics == seeded.rows[0].metrics)

        // bless --spread names the seeds its spread runs were trained from.
        let plan = try BlessPlan.plan(results: recipeSeed, resultsPath: "recipe.h5", existing: ExpectedSet(), spread: [seeded],
                                      expectedPath: "synthetic.h5", manifests: [rows[0].manifest.id: rows[0].manifest])
        #expect(plan.updated.attributes["spread.0.training_seed"] == "5")
    }
}
