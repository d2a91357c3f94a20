import Foundation
import Testing
@testable import Harness
import Landmarks
import TestSupport

/// `--force` reruns from scratch. Training checkpoints and cached descriptors record recipe, data and
/// weights, not the code that made them: resuming a finished checkpoint after a code change (a fix,
/// or a mutant of scripts/mutation-check.sh) would report the old code's model as the new one's.
@Suite(.serialized) struct ForceRerunTests {
    static func options(_ out: URL, force: Bool) -> RunnerOptions {
        let scale = RunScale(name: "test-force", synthCount: [.celeba: 100, .aflwR: 40, .aflwM: 40, .threeHundredW: 40],
                             synthSeed: 3, trainingSteps: 4, trainingBatchPairs: 2, finetuneSteps: 1,
                             regressionEpochs: 2, regressionBatchSize: 8)
        return RunnerOptions(mode: .train, scale: scale, outputDirectory: out.path, repositoryRoot: RunnerManifests.repositoryRoot,
                             threads: 2, force: force)
    }

    @Test func forceTrainsAgainAndExtractsAgainWhereARerunWouldResume() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let rows = try ["S01/celeba-smallnet-16d/matching", "S02/mafl-keypoints-celeba-smallnet-16d/regression"].map(RunnerManifests.row)
        let first = try Runner(options: Self.options(work, force: false)).run(rows)
        #expect(first.rows[0].details["training.timed_iterations"] == "4")
        #expect(first.rows[1].details["extraction.images_per_second"] != nil)

        // Without --force, a lost results file reruns the rows on the finished checkpoint and the cache.
        try FileManager.default.removeItem(atPath: Self.options(work, force: false).resultsPath)
        let resumed = try Runner(options: Self.options(work, force: false)).run(rows)
        #expect(resumed.rows[0].details["training.timed_iterations"] == nil, "resumed a finished training: no iteration ran")
        #expect(resumed.rows[1].details["extraction.images_per_second"] == nil, "descriptors came from the cache")

        let forced = try Runner(options: Self.options(work, force: true)).run(rows)
        #expect(forced.rows[0].details["training.timed_iterations"] == "4", "--force trains from scratch")
        #expect(forced.rows[1].details["extraction.images_per_second"] != nil, "--force extracts again")
        #expect(forced.rows.map(\.metrics) == first.rows.map(\.metrics))
    }
}
