import Foundation
import Testing
@testable import Harness
import TestSupport

/// `--max-memory`: a row's peak memory is estimated before anything runs, and a run that would not
/// fit fails at once with the estimate.
struct MemoryBudgetTests {
    @Test func sizesParseAsUsersWriteThem() {
        #expect(MemorySize.parse("8G") == 8 << 30)
        #expect(MemorySize.parse("512m") == 512 << 20)
        #expect(MemorySize.parse("1.5GiB") == 3 << 29)
        #expect(MemorySize.parse("2048") == 2048)
        #expect(MemorySize.parse("64KB") == 64 << 10)
        for bad in ["", "G", "-1G", "0", "eight", "1e400", "nanG"] { #expect(MemorySize.parse(bad) == nil, "\(bad)") }
        #expect(MemorySize.describe(3 << 29) == "1.5 GiB")
        #expect(MemorySize.describe(300 << 20) == "300 MiB")
    }

    @Test func theMachinesAvailableMemoryIsRead() throws {
        let available = try #require(MemorySize.available())
        #expect(available.bytes > 0)
    }

    /// Regression rows hold every descriptor of both splits: at paper scale on SynthFaces that is
    /// the 64-d SmallNet's 35×35 maps for each item of MAFL's train and test splits.
    @Test func aRegressionRowsEstimateCountsItsDescriptors() throws {
        let row = try RunnerManifests.row("S02/mafl-keypoints-celeba-smallnet-64d-dve/regression")
        let planner = MemoryPlanner(resolver: DatasetResolver(dataRoot: nil, scale: .quick), mode: .train)
        let estimate = planner.estimate(row.manifest)
        let descriptors = estimate.evaluation.filter { $0.what.contains("descriptors") }
        #expect(descriptors.count == 2)
        for part in descriptors {
            let items = try #require(Int(part.what.split(separator: "(")[1].split(separator: "×")[0]))
            #expect(part.bytes == items * 64 * 35 * 35 * 4)
        }
        // Training: 2·8 images of 70×70 at the quick tier's 8 pairs.
        let activations = try #require(estimate.training.first { $0.what.contains("activations") })
        #expect(activations.bytes == 16 * 70 * 70 * MemoryEstimate.activationBytesPerPixel(architecture: "smallnet"))
        #expect(estimate.description.hasPrefix("S02/mafl-keypoints-celeba-smallnet-64d-dve/regression: about "))
    }

    @Test func aRunThatWouldNotFitFailsBeforeItsFirstRowWithTheEstimate() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let row = try RunnerManifests.row("S01/celeba-smallnet-64d-dve/matching")
        var options = ClusterTests.options(work)
        options.maxMemory = 100 << 20
        #expect {
            try Runner(options: options).run([row])
        } throws: { error in
            guard case .memoryBudget(let rows, let budget, let source) = error as? RunnerError else { return false }
            return rows.count == 1 && rows[0].hasPrefix("S01/celeba-smallnet-64d-dve/matching: about ")
                && budget == 100 << 20 && source == "--max-memory"
        }
        #expect(!FileManager.default.fileExists(atPath: options.resultsPath))
        // The same row under a budget it fits runs.
        options.maxMemory = 8 << 30
        options.scale.trainingSteps = 1
        let results = try Runner(options: options).run([row])
        #expect(results.rows.first?.status == .finished)
        let recorded = try #require(results.rows.first?.details[MemoryEstimate.estimateDetail].flatMap { Int($0) })
        #expect(recorded > 100 << 20)
    }
}
