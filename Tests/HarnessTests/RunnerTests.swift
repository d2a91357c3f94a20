import Foundation
import Testing
import Harness
import Landmarks
import TestSupport

@Suite(.serialized) struct RunnerTests {
    @Test func aMatchingRowTrainsOnSynthFacesAndReportsBothErrors() throws {
        let out = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let row = try RunnerManifests.row("S01/celeba-smallnet-16d-dve/matching")
        let options = RunnerOptions(mode: .train, scale: RunnerManifests.tiny, outputDirectory: out.path,
                                    repositoryRoot: RunnerManifests.repositoryRoot, threads: 2)
        let results = try Runner(options: options).run([row])
        let result = try #require(results.rows.first)
        #expect(result.status == .finished, "\(result.status)")
        #expect(result.metrics.map(\.name) == ["same_identity", "different_identity"])
        #expect(result.metrics.allSatisfy { $0.value.isFinite && $0.value > 0 })
        #expect(result.details["warps"]?.contains("mafl.h5") == true)
        print("wall", result.wallSeconds, result.details)
    }
}
