import Foundation
import HDF5
import Testing
@testable import Harness

@Suite struct DiffBlessTests {
    private let id = "T01/celeba-smallnet-3d-dve/matching"

    private func results(_ same: Double, extraRows: [RowResult] = [], dirty: Bool = false) -> ResultSet {
        ResultSet(provenance: ResultsFixtures.provenance(dirty: dirty), rows: [
            // A scale of its own: the named tiers bless their own tolerance (tested below).
            ResultsFixtures.finished(id, scale: "tiny", metrics: [MetricValue(name: "same_identity", value: same, standardDeviation: 0.5, runs: 3)]),
        ] + extraRows)
    }

    private func manifests() throws -> [String: Manifest] {
        var result: [String: Manifest] = [:]
        for row in [id, "T01/skipped", "T01/failed", "T01/paper"] {
            result[row] = try ResultsFixtures.manifest(row, metrics: [("same_identity", "lower", 0, 0.01)])
        }
        return result
    }

    @Test func blessWritesSyntheticRowsAndRefusesMovedNumbersWithoutForce() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let resultsPath = dir.appendingPathComponent("run-1.h5").path
        let expectedPath = dir.appendingPathComponent("synthetic.h5").path
        try results(2.0, extraRows: [
            ResultsFixtures.skipped("T01/skipped"), ResultsFixtures.failed("T01/failed"),
            ResultsFixtures.finished("T01/paper", scale: "paper", metrics: [MetricValue(name: "same_identity", value: 1)]),
        ]).write(to: resultsPath)

        let first = try BlessPlan.prepare(resultsPath: resultsPath, expectedPath: expectedPath, manifests: manifests())
        #expect(first.moved.isEmpty)
        #expect(first.blessed == ["tiny/\(id)"])
        #expect(first.notBlessed.map(\.row) == ["T01/skipped", "T01/failed", "T01/paper"])
        try first.commit(force: false)
        let written = try ExpectedSet.load(expectedPath)
        let row = try #require(written.row(for: id, scale: "tiny"))
        #expect(row.metrics["same_identity"] == ExpectedMetric(
            value: 2.0, decimals: nil, source: "blessed:run-1.h5@0123456789abcdef0123456789abcdef01234567",
            standardDeviation: 0.5))
        #expect(row.rowKey == "seed-readme|T01-learned-embeddings|\(id)" && row.todo == false)
        #expect(written.attributes["provenance.git_commit"] == "0123456789abcdef0123456789abcdef01234567")
        #expect(written.attributes["provenance.threads"] == "2")
        #expect(written.rows.count == 1)

        // Within 1%: blessing again is no move.
        let resultsPath2 = dir.appendingPathComponent("run-2.h5").path
        try results(2.01, dirty: true).write(to: resultsPath2)
        let again = try BlessPlan.prepare(resultsPath: resultsPath2, expectedPath: expectedPath, manifests: manifests())
        #expect(again.moved.isEmpty && again.diff.exitCode == 0)

        // Beyond 1%: refused (exit 2) and the file is untouched, until forced.
        let resultsPath3 = dir.appendingPathComponent("run-3.h5").path
        try results(2.5, dirty: true).write(to: resultsPath3)
        let moved = try BlessPlan.prepare(resultsPath: resultsPath3, expectedPath: expectedPath, manifests: manifests())
        #expect(moved.diff.exitCode == 2)
        #expect(moved.moved.map(\.metric) == ["same_identity"])
        do {
            try moved.commit(force: false)
            Issue.record("a moved number was blessed without --force")
        } catch {
            #expect(error.exitCode == 2)
            #expect(error.description.contains(expectedPath) && error.description.contains("--force"))
        }
        #expect(try ExpectedSet.load(expectedPath) == written)
        try moved.commit(force: true)
        let forced = try ExpectedSet.load(expectedPath)
        #expect(forced.row(for: id, scale: "tiny")?.metrics["same_identity"]?.value == 2.5)
        #expect(forced.row(for: id, scale: "tiny")?.metrics["same_identity"]?.source.hasSuffix("@0123456789abcdef0123456789abcdef01234567+dirty") == true)
    }

    @Test func publishedNumbersAreNeverBlessedAndNeitherAreSkippedRows() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let resultsPath = dir.appendingPathComponent("run.h5").path
        try results(2.0).write(to: resultsPath)
        let manifests = try manifests()

        do {
            _ = try BlessPlan.prepare(resultsPath: resultsPath, expectedPath: dir.appendingPathComponent("paper.h5").path,
                                      manifests: manifests)
            Issue.record("blessed into paper.h5")
        } catch {
            #expect(error.description.contains("Published numbers are not blessed"))
            #expect(error.exitCode == 1)
        }
        let published = dir.appendingPathComponent("numbers.h5").path
        try ExpectedSet(rows: ["tiny/\(id)": ExpectedRow(rowKey: "k", source: "seed-readme", table: "T01", todo: false,
                                                          metrics: ["same_identity": ExpectedMetric(value: 2, decimals: 2, source: "seed-readme")])])
            .write(to: published)
        #expect(throws: BlessError.self) {
            try BlessPlan.prepare(resultsPath: resultsPath, expectedPath: published, manifests: manifests)
        }

        let skippedOnly = dir.appendingPathComponent("skipped.h5").path
        try ResultSet(provenance: ResultsFixtures.provenance(), rows: [ResultsFixtures.skipped("T01/skipped")]).write(to: skippedOnly)
        let target = dir.appendingPathComponent("synthetic.h5").path
        let plan = try BlessPlan.prepare(resultsPath: skippedOnly, expectedPath: target, manifests: manifests)
        #expect(throws: BlessError.self) { try plan.commit(force: true) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func syntheticTiersBlessTheirToleranceAndTheDiffUsesIt() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let expectedPath = dir.appendingPathComponent("synthetic.h5").path
        func write(_ value: Double, _ name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try ResultSet(provenance: ResultsFixtures.provenance(), rows: [
                ResultsFixtures.finished(id, scale: "quick", metrics: [MetricValue(name: "same_identity", value: value)]),
            ]).write(to: path)
            return path
        }
        try BlessPlan.prepare(resultsPath: try write(4.0, "a.h5"), expectedPath: expectedPath, manifests: manifests()).commit(force: false)
        let blessed = try #require(try ExpectedSet.load(expectedPath).row(for: id, scale: "quick")?.metrics["same_identity"])
        #expect(blessed.tolerance == RunScale.quick.tolerance && blessed.tolerance != nil)
        // 4 ± (0.25 + 25 %): 5.2 passes although the manifest allows only 1 %; 5.3 is a regression.
        let expected = try ExpectedSet.load(expectedPath)
        for (value, verdict) in [(5.2, Verdict.pass), (5.3, .regression), (2.7, .improvement)] {
            let results = try ResultSet.read(from: try write(value, "b.h5"))
            let diff = try ResultDiff.compare(results: results, expected: expected, manifests: manifests())
            #expect(diff.comparisons.first?.verdict == verdict, "\(value)")
        }
    }

    @Test func aMeasuredSpreadWidensTheBlessedTolerance() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        func write(_ value: Double, _ name: String) throws -> String {
            let path = dir.appendingPathComponent(name).path
            try ResultSet(provenance: ResultsFixtures.provenance(), rows: [
                ResultsFixtures.finished(id, scale: "quick", metrics: [MetricValue(name: "same_identity", value: value)]),
            ]).write(to: path)
            return path
        }
        let expectedPath = dir.appendingPathComponent("synthetic.h5").path
        try BlessPlan.prepare(resultsPath: try write(4.0, "two-threads.h5"), expectedPath: expectedPath, manifests: manifests(),
                              spreadPaths: [try write(5.5, "one-thread.h5")]).commit(force: false)
        let tolerance = try #require(try ExpectedSet.load(expectedPath).row(for: id, scale: "quick")?.metrics["same_identity"]?.tolerance)
        #expect(tolerance.absolute == 3.0 && tolerance.relative == RunScale.synthetic.relative)
        #expect(tolerance.rule?.contains("twice the 1.5000 measured across 1 other run") == true)
    }
}
