import Foundation
import Testing
import Harness
import Landmarks
import TestSupport

@Suite(.serialized) struct RunnerTests {
    @Test func aMatchingRowTrainsOnSynthFacesAndReportsBothErrors() throws {
        let out = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let manifest = try RunnerManifests.smallNet(id: "S01/celeba-smallnet-16d-dve/matching", dim: 16, dve: true, protocolKind: "matching")
        let options = RunnerOptions(mode: .train, scale: RunnerManifests.tiny, outputDirectory: out.path,
                                    repositoryRoot: RunnerManifests.repositoryRoot, threads: 2)
        let results = try Runner(options: options).run([RunnerManifests.row(manifest)])
        let row = try #require(results.rows.first)
        #expect(row.status == .finished, "\(row.status)")
        #expect(row.metrics.map(\.name) == ["same_identity", "different_identity"])
        #expect(row.metrics.allSatisfy { $0.value.isFinite && $0.value > 0 })
        #expect(row.details["warps"]?.contains("mafl.h5") == true)
        print("wall", row.wallSeconds, row.details)
    }
}
