import ArgumentParser
import Foundation
import Testing
import Harness
@testable import dvebench

/// `submit` hands its selection to every array task as `dvebench run` arguments; they must mean
/// exactly what the user gave, from any folder.
struct RunSettingsTests {
    static let given = ["manifests/S01-seed-matching-mafl", "--table", "S01", "--id", "*16d*", "--id", "S02/*",
                        "--data-root", "data", "--checkpoints", "/abs/ck", "--mode", "train", "--scale", "quick",
                        "--training-steps", "7", "--batch-pairs", "2", "--regression-epochs", "3", "--regression-batch", "4",
                        "--training-seed", "5", "--curve", "2,4", "--max-memory", "6G"]

    /// Every stored property of `RunSettings`, so an option added later without a place in
    /// `arguments` (and in this test) fails here.
    static let coveredProperties = ["_rows", "_dataRoot", "_checkpoints", "_mode", "_scale", "_trainingSteps",
                                    "_batchPairs", "_regressionEpochs", "_regressionBatch", "_trainingSeed", "_curve", "_maxMemory"]

    @Test func argumentsParseBackToTheSameSettingsWithPathsMadeAbsolute() throws {
        let settings = try RunSettings.parse(Self.given)
        let again = try RunSettings.parse(settings.arguments(absoluteAgainst: URL(fileURLWithPath: "/home/me/dvebench")))
        #expect(again.rows.paths == ["/home/me/dvebench/manifests/S01-seed-matching-mafl"])
        #expect(again.dataRoot == "/home/me/dvebench/data")
        #expect(again.checkpoints == "/abs/ck")
        #expect(again.rows.tables == settings.rows.tables && again.rows.ids == settings.rows.ids && again.mode == settings.mode)
        #expect(again.mode == .train && again.scale == .quick)
        #expect(again.scale == settings.scale && again.trainingSteps == settings.trainingSteps)
        #expect(again.batchPairs == settings.batchPairs && again.regressionEpochs == settings.regressionEpochs)
        #expect(again.regressionBatch == settings.regressionBatch && again.trainingSeed == settings.trainingSeed)
        #expect(again.curve == settings.curve)
        #expect(again.maxMemory == "6G")
        #expect(try again.memoryBudget() == 6 << 30)
        #expect(try again.runScale() == settings.runScale())
        #expect(Mirror(reflecting: settings).children.compactMap(\.label).sorted() == Self.coveredProperties.sorted())
        #expect(Mirror(reflecting: settings.rows).children.compactMap(\.label).sorted() == ["_ids", "_paths", "_tables"])
    }

    @Test func everyScaleTierIsARunScaleOfTheSameName() {
        #expect(ScaleTier.allCases.map(\.runScale.name) == ScaleTier.allCases.map(\.rawValue))
        #expect(ScaleTier.allCases.map(\.rawValue) == RunScale.all.map(\.name))
    }

    @Test func noSettingsGiveNoArguments() throws {
        #expect(try RunSettings.parse([]).arguments(absoluteAgainst: URL(fileURLWithPath: "/x")).isEmpty)
    }

    @Test func closedValuesAndTaskCountsAreRefusedWhenParsed() throws {
        #expect(throws: (any Error).self) { try RunSettings.parse(["--mode", "fast"]) }
        #expect(throws: (any Error).self) { try RunSettings.parse(["--scale", "huge"]) }
        #expect(throws: (any Error).self) { try RunSettings.parse(["--curve", "10,-1"]) }
        #expect(throws: (any Error).self) { try Run.parse(["--shard", "0/2"]) }
        #expect(throws: (any Error).self) { try Run.parse(["--threads", "0"]) }
        #expect(throws: (any Error).self) { try Synth.parse(["--layout", "aflw"]) }
        #expect(try Run.parse(["--shard", "2/3"]).shard == Shard(index: 2, count: 3))
        #expect(throws: (any Error).self) { try Submit.parse(["--tasks", "0"]) }
        #expect(throws: (any Error).self) { try Submit.parse(["--cpus-per-task", "0"]) }
        #expect(throws: Never.self) { try Submit.parse(["--table", "S01", "--tasks", "3", "--sbatch-arg=--qos=long", "--dry-run"]) }
    }
}
