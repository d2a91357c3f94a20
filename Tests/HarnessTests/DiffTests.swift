import Foundation
import HDF5
import Testing
@testable import Harness

@Suite struct DiffTests {
    @Test func theTolerancePredicateIsInclusiveAndScalesWithTheExpectedNumber() {
        let spec = ToleranceSpec(absolute: 0.5, relative: 0.25)
        #expect(spec.allowance(for: -4) == 1.5)
        #expect(spec.accepts(got: -2.5, expected: -4))
        #expect(!spec.accepts(got: -2.4375, expected: -4))
        #expect(spec.accepts(got: 1, expected: 1 + 0.5))
        #expect(!spec.accepts(got: .nan, expected: 1))
        #expect(!spec.accepts(got: .infinity, expected: 1))
        #expect(!spec.accepts(got: 1, expected: .nan))
        #expect(ToleranceSpec(absolute: 0, relative: 0).accepts(got: 0.1 + 0.2, expected: 0.1 + 0.2))
        #expect(!ToleranceSpec(absolute: 0, relative: 0).accepts(got: 0.3, expected: 0.1 + 0.2))
        #expect(Polarity.lower.isBetter(1, than: 2) && !Polarity.lower.isBetter(.nan, than: 2))
        #expect(Polarity.higher.isBetter(3, than: 2) && !Polarity.higher.isBetter(-.infinity, than: 2))
    }

    private func expected(_ values: [String: [String: Double]], todo: Set<String> = []) -> ExpectedSet {
        var set = ExpectedSet()
        for (key, metrics) in values {
            set.rows[key] = ExpectedRow(rowKey: "k|\(key)", source: "seed-readme", table: "T01", todo: todo.contains(key),
                                        metrics: metrics.mapValues { ExpectedMetric(value: $0, decimals: 2, source: "seed-readme") })
        }
        return set
    }

    private func manifests(_ ids: [String], better: String = "lower") throws -> [String: Manifest] {
        var result: [String: Manifest] = [:]
        for id in ids {
            result[id] = try ResultsFixtures.manifest(id, metrics: [("same_identity", better, 0.125, 0.0625), ("different_identity", better, 0.125, 0.0625)])
        }
        return result
    }

    private func verdicts(_ report: DiffReport) -> [String] {
        report.comparisons.map { "\($0.rowID) \($0.metric ?? "-") \($0.verdict.rawValue)" }
    }

    @Test func verdictsAndExitCodes() throws {
        let ids = ["T01/pass", "T01/todo", "T01/absent", "T01/worse", "T01/better", "T01/nan"]
        let specs = try manifests(ids)
        let set = expected([
            "T01/pass": ["same_identity": 2.0, "different_identity": 4.0],
            "T01/todo": [:],
            "T01/worse": ["same_identity": 2.0, "different_identity": 4.0],
            "T01/better": ["same_identity": 2.0, "different_identity": 4.0],
            "T01/nan": ["same_identity": 2.0, "different_identity": 4.0],
        ], todo: ["T01/todo"])
        func row(_ id: String, _ same: Double, _ different: Double) -> RowResult {
            ResultsFixtures.finished(id, scale: "paper", metrics: [MetricValue(name: "same_identity", value: same),
                                                                   MetricValue(name: "different_identity", value: different)])
        }
        // 2.0 ± (0.125 + 0.0625·2): 2.25 is the inclusive edge (binary fractions, so exactly).
        let passing = ResultSet(provenance: ResultsFixtures.provenance(), rows: [
            row("T01/pass", 2.25, 3.9), row("T01/todo", 1, 1), row("T01/absent", 1, 1),
            ResultsFixtures.skipped("T01/skipped", scale: "paper"),
        ])
        let report = try ResultDiff.compare(results: passing, expected: set, manifests: specs)
        #expect(verdicts(report) == [
            "T01/pass same_identity pass", "T01/pass different_identity pass",
            "T01/todo same_identity missing-expected", "T01/todo different_identity missing-expected",
            "T01/absent same_identity missing-expected", "T01/absent different_identity missing-expected",
            "T01/skipped - skipped",
        ])
        #expect(report.comparisons[2].note == "the published cell is a TODO")
        #expect(report.comparisons[6].note == "no AFLW data under /data")
        #expect(report.exitCode == 2, "a skipped row did not run: it cannot pass the gate")
        #expect(report.summary.count(.skipped) == 1 && report.summary.rows == 4)
        let ran = ResultSet(provenance: passing.provenance, rows: passing.rows.filter { $0.id != "T01/skipped" })
        #expect(try ResultDiff.compare(results: ran, expected: set, manifests: specs).exitCode == 0)

        let better = ResultSet(provenance: passing.provenance, rows: ran.rows + [row("T01/better", 1.5, 4.0)])
        let improved = try ResultDiff.compare(results: better, expected: set, manifests: specs)
        #expect(verdicts(improved).suffix(2) == ["T01/better same_identity improvement", "T01/better different_identity pass"])
        #expect(improved.exitCode == 4)

        let worse = ResultSet(provenance: passing.provenance, rows: better.rows + [row("T01/worse", 2.0, 4.5)])
        let regressed = try ResultDiff.compare(results: worse, expected: set, manifests: specs)
        #expect(verdicts(regressed).last == "T01/worse different_identity regression")
        #expect(regressed.comparisons.last?.delta == 0.5)
        #expect(regressed.exitCode == 2)

        let diverged = ResultSet(provenance: passing.provenance, rows: [row("T01/nan", .nan, 4.0)])
        #expect(try ResultDiff.compare(results: diverged, expected: set, manifests: specs).comparisons[0].verdict == .regression)

        let failed = ResultSet(provenance: passing.provenance, rows: [ResultsFixtures.failed("T01/f", scale: "paper")])
        #expect(try ResultDiff.compare(results: failed, expected: set, manifests: specs).exitCode == 2)

        let missingMetric = ResultSet(provenance: passing.provenance, rows: [
            ResultsFixtures.finished("T01/pass", scale: "paper", metrics: [MetricValue(name: "same_identity", value: 2),
                                                                           MetricValue(name: "extra", value: 1)]),
        ])
        let partial = try ResultDiff.compare(results: missingMetric, expected: set, manifests: specs)
        #expect(verdicts(partial) == ["T01/pass same_identity pass", "T01/pass different_identity failed", "T01/pass extra missing-expected"])
        #expect(partial.exitCode == 2)

        let higher = try manifests(["T01/better"], better: "higher")
        #expect(try ResultDiff.compare(results: ResultSet(provenance: passing.provenance, rows: [row("T01/better", 1.5, 4)]),
                                       expected: set, manifests: higher).comparisons[0].verdict == .regression)
    }

    @Test func errorsExitWithOne() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let results = ResultSet(provenance: ResultsFixtures.provenance(),
                                rows: [ResultsFixtures.finished("T01/x", metrics: [MetricValue(name: "same_identity", value: 1)])])
        do {
            _ = try ResultDiff.compare(results: results, expected: ExpectedSet(), manifests: [:])
            Issue.record("a finished row without a manifest was diffed")
        } catch {
            #expect(error.exitCode == 1)
            #expect(error.description.contains("T01/x"))
        }
        let odd = try ResultsFixtures.manifest("T01/x", metrics: [("same_identity", "smaller", 0, 0)])
        #expect(throws: DiffError.self) { try ResultDiff.compare(results: results, expected: ExpectedSet(), manifests: ["T01/x": odd]) }

        let missing = dir.appendingPathComponent("missing.h5").path
        do {
            _ = try ResultDiff.run(resultsPath: missing, expectedPath: nil, expectedDirectory: dir.path, manifests: [:])
            Issue.record("a missing results file was diffed")
        } catch {
            #expect(error.exitCode == 1)
            #expect(error.description.contains(missing))
        }
    }

    @Test func defaultRoutingSendsPaperRowsToPaperAndSyntheticRowsToSynthetic() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let specs = try manifests(["T01/x"])
        let results = dir.appendingPathComponent("results.h5").path
        try ResultSet(provenance: ResultsFixtures.provenance(), rows: [
            ResultsFixtures.finished("T01/x", scale: "quick", metrics: [MetricValue(name: "same_identity", value: 5),
                                                                        MetricValue(name: "different_identity", value: 6)]),
        ]).write(to: results)
        try expected(["T01/x": ["same_identity": 1, "different_identity": 1]]).write(to: dir.appendingPathComponent("paper.h5").path)

        // No synthetic.h5 yet: missing-expected with a note, never the paper numbers.
        let first = try ResultDiff.run(resultsPath: results, expectedPath: nil, expectedDirectory: dir.path, manifests: specs)
        #expect(first.comparisons.allSatisfy { $0.verdict == .missingExpected })
        #expect(first.notes.count == 1 && first.notes[0].contains("synthetic.h5"))
        #expect(first.exitCode == 0)

        try expected(["quick/T01/x": ["same_identity": 5, "different_identity": 9]]).write(to: dir.appendingPathComponent("synthetic.h5").path)
        let second = try ResultDiff.run(resultsPath: results, expectedPath: nil, expectedDirectory: dir.path, manifests: specs)
        #expect(second.comparisons.map(\.verdict) == [.pass, .improvement])
        #expect(second.exitCode == 4)

        // An explicit paper.h5 still keys a quick row by scale, so nothing is compared.
        let explicit = try ResultDiff.run(resultsPath: results, expectedPath: dir.appendingPathComponent("paper.h5").path,
                                          expectedDirectory: "/nonexistent", manifests: specs)
        #expect(explicit.comparisons.allSatisfy { $0.verdict == .missingExpected })

        let table = DiffTable(second)
        let lines = table.lines()
        #expect(lines[0].hasPrefix("row") && lines[0].contains("tolerance") && lines[0].contains("verdict"))
        #expect(lines[1].contains("T01/x [quick]") && lines[1].contains("pass"))
        #expect(lines[2].contains("improvement") && lines[2].contains("-3"))
        #expect(table.lines(includePassing: false).count == 2)
        #expect(table.summary == "1 rows: 1 improvement, 1 pass; exit 4")
    }

    @Test func expectedFilesRoundTripAndReadTheDocumentedLayout() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("paper.h5").path
        // Written by hand exactly as the expected-file layout documents, as the manifests tooling does.
        try HDF5File.write(to: path) { root in
            try root.setAttribute("kind", .string("dvebench-expected"))
            try root.setAttribute("schema", .int64(1))
            try root.setAttribute("description", .string("published numbers"))
            let row = try root.createGroup("T01/celeba-smallnet-3d-dve/matching")
            try row.setAttribute("row_key", .string("seed-readme|T01|celeba-smallnet-3d-dve"))
            try row.setAttribute("source", .string("seed-readme"))
            try row.setAttribute("table", .string("T01-learned-embeddings"))
            try row.setAttribute("todo", .uint8(0))
            let metric = try row.write("same_identity", float64: [1.33], shape: [])
            try metric.setAttribute("decimals", .int64(2))
            try metric.setAttribute("source", .string("seed-readme"))
            try metric.setAttribute("full_precision", .float64(.nan))
            let limited = try row.write("iod_error", float64: [7.5], shape: [])
            try limited.setAttribute("decimals", .int64(-1))
            try limited.setAttribute("source", .string("upstream-results-json"))
            try limited.setAttribute("full_precision", .float64(7.4999))
            try limited.setAttribute("std", .float64(0.25))
            try limited.setAttribute("std_decimals", .int64(2))
            let todo = try root.createGroup("T09/x")
            try todo.setAttribute("row_key", .string("k"))
            try todo.setAttribute("source", .string("upstream-readme"))
            try todo.setAttribute("table", .string("T09"))
            try todo.setAttribute("todo", .uint8(1))
        }
        let set = try ExpectedSet.load(path)
        #expect(set.attributes == ["description": "published numbers"])
        let row = try #require(set.row(for: "T01/celeba-smallnet-3d-dve/matching", scale: "paper"))
        #expect(row.metrics["same_identity"] == ExpectedMetric(value: 1.33, decimals: 2, source: "seed-readme"))
        #expect(row.metrics["iod_error"] == ExpectedMetric(value: 7.5, decimals: nil, source: "upstream-results-json",
                                                           fullPrecision: 7.4999, standardDeviation: 0.25, standardDeviationDecimals: 2))
        #expect(set.rows["T09/x"]?.todo == true)
        #expect(set.row(for: "T01/celeba-smallnet-3d-dve/matching", scale: "quick") == nil)

        var synthetic = set
        synthetic.rows["quick/T01/celeba-smallnet-3d-dve/matching"] = row
        synthetic.attributes["provenance.git_commit"] = "abc"
        let copy = dir.appendingPathComponent("synthetic.h5").path
        try synthetic.write(to: copy)
        #expect(try ExpectedSet.load(copy) == synthetic)
    }
}
