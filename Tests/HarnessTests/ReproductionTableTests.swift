import Foundation
import Testing
@testable import Harness

@Suite struct ReproductionTableTests {
    /// The printed table puts a model's matching and regression rows on one line, with the blessed
    /// number and the paper's next to each reproduced one, models ordered by dimension.
    @Test func oneLinePerModelWithExpectedAndPaperNumbers() throws {
        let all = try RunnerManifests.loader.loadAll()
        let rows = Reproduction.rows(from: all, quick: true)
        let manifests = all.byID
        let results = ResultSet(provenance: ResultsFixtures.provenance(), rows: rows.map { row in
            let metrics = row.manifest.protocol.kind == "matching"
                ? [MetricValue(name: "same_identity", value: 3), MetricValue(name: "different_identity", value: 9)]
                : [MetricValue(name: "iod_error", value: 20)]
            return ResultsFixtures.finished(row.id, scale: "quick", metrics: metrics)
        })
        var expected = ExpectedSet()
        let id = "S01/celeba-smallnet-16d/matching"
        expected.rows[ExpectedSet.key(rowID: id, scale: "quick")] = ExpectedRow(
            rowKey: "k", source: "blessed", table: "S01", todo: false,
            metrics: ["same_identity": ExpectedMetric(value: 3.5, decimals: nil, source: "blessed")])
        let paper = try ExpectedSet.load(RunnerManifests.repositoryRoot.appendingPathComponent("expected/paper.h5").path)
        let table = ReproductionTable(results: results, manifests: manifests, expected: expected, paper: paper)
        #expect(table.lines.map(\.model) == ["smallnet-16d", "smallnet-16d DVE", "smallnet-64d", "smallnet-64d DVE"])
        let text = table.render()
        let line = try #require(text.first { $0.hasPrefix("smallnet-16d ") })
        #expect(line.contains("3.00 (3.50) [1.25]"), "\(line)")
        #expect(line.contains("9.00 (–) [5.65]") && line.contains("20.00 (–) [5.38]"), "\(line)")

        let input = ReportInput(results: results, manifests: manifests, expected: expected, paper: paper, title: "t")
        #expect(input.expected[id]?["same_identity"]?.value == 3.5)
        #expect(input.paper[id]?["same_identity"]?.value == 1.25)
    }
}
