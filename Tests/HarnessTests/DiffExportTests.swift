import Foundation
import Testing
@testable import Harness

/// `dvebench diff --format json|csv|markdown|text`: one record per metric that other tools read
/// without HDF5 (docs/results.md, "Machine-readable diff").
@Suite struct DiffExportTests {
    static let ids = ["T01/pass", "T01/nan", "T01/gone"]

    static func export(provenance: Provenance = ResultsFixtures.provenance()) throws -> DiffExport {
        var manifests: [String: Manifest] = [:]
        for id in ids {
            manifests[id] = try ResultsFixtures.manifest(id, metrics: [("same_identity", "lower", 0.125, 0.0625)])
        }
        var expected = ExpectedSet()
        for id in ids {
            expected.rows[id] = ExpectedRow(rowKey: "k|\(id)", source: "seed-readme", table: "T01", todo: false,
                                            metrics: ["same_identity": ExpectedMetric(value: 2.0, decimals: 2, source: "seed-readme")])
        }
        let results = ResultSet(provenance: provenance, rows: [
            ResultsFixtures.finished("T01/pass", scale: "paper", metrics: [MetricValue(name: "same_identity", value: 2.25)]),
            ResultsFixtures.finished("T01/nan", scale: "paper", metrics: [MetricValue(name: "same_identity", value: .nan)]),
            ResultsFixtures.skipped("T01/gone", scale: "paper"),
        ])
        let report = try ResultDiff.compare(results: results, expected: expected, manifests: manifests)
        return DiffExport(report: report, results: results, manifests: manifests, resultsPath: "out/run/results.h5")
    }

    @Test func jsonHoldsOneObjectPerMetricWithEveryFieldAndTheRunsProvenance() throws {
        let export = try Self.export()
        let data = Data(export.render(.json).utf8)
        let document = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(document["format"] as? String == "dvebench-diff" && document["format_version"] as? Int == 1)
        #expect(document["results"] as? String == "out/run/results.h5")
        #expect(document["written_by"] as? String == BuildInfo.description)
        #expect((document["provenance"] as? [String: String])?["git_commit"] == "0123456789abcdef0123456789abcdef01234567")
        let summary = try #require(document["summary"] as? [String: Any])
        #expect(summary["exit_code"] as? Int == 2 && summary["rows"] as? Int == 3)
        let metrics = try #require(document["metrics"] as? [[String: Any]])
        #expect(metrics.count == 3)
        for metric in metrics { #expect(Set(metric.keys) == Set(DiffExport.columns), "\(metric.keys.sorted())") }
        let pass = metrics[0]
        #expect(pass["row_id"] as? String == "T01/pass" && pass["table"] as? String == "T01" && pass["metric"] as? String == "same_identity")
        #expect(pass["expected"] as? Double == 2.0 && pass["got"] as? Double == 2.25 && pass["delta"] as? Double == 0.25)
        #expect(pass["tolerance"] as? Double == 0.25 && pass["verdict"] as? String == "pass")
        #expect(pass["tolerance_rule"] as? String == "±(0.125 + 0.0625·|expected|)")
        #expect(pass["provenance_digest"] as? String == export.provenanceDigest && export.provenanceDigest.count == 64)
        #expect(metrics[1]["got"] as? String == "nan" && metrics[1]["verdict"] as? String == "regression")
        #expect(metrics[2]["metric"] is NSNull && metrics[2]["verdict"] as? String == "skipped")
        #expect(metrics[2]["note"] as? String == "no AFLW data under /data")
        #expect(export.render(.json) == export.render(.json), "the same diff must give the same bytes")
    }

    @Test func theProvenanceDigestNamesTheRun() throws {
        let digest = try Self.export().provenanceDigest
        #expect(try Self.export().provenanceDigest == digest)
        #expect(try Self.export(provenance: ResultsFixtures.provenance(dirty: true)).provenanceDigest != digest)
        #expect(try Self.export(provenance: ResultsFixtures.provenance(command: "dvebench run --scale default")).provenanceDigest != digest)
    }

    @Test func csvHasTheSameColumnsAndQuotesWhatItMust() throws {
        let export = try Self.export()
        let lines = export.render(.csv).components(separatedBy: "\r\n")
        #expect(lines[0] == DiffExport.columns.joined(separator: ","))
        #expect(lines.count == 5 && lines[4].isEmpty)
        #expect(lines[1].hasPrefix("T01/pass,T01,paper,same_identity,px,2.0,,2.25,,0.25,0.25,±(0.125 + 0.0625·|expected|),pass,,"))
        #expect(lines[2].contains(",nan,") && lines[3].contains(",skipped,no AFLW data under /data,"))
        #expect(lines[1].hasSuffix(export.provenanceDigest))
    }

    @Test func markdownAndTextShowEveryLineAndTheSummary() throws {
        let export = try Self.export()
        let markdown = export.render(.markdown)
        #expect(markdown.contains("| row | table | metric | expected | got | delta | tolerance | verdict | note |"))
        #expect(markdown.split(separator: "\n").filter { $0.hasPrefix("| T01/") }.count == 3)
        #expect(markdown.hasSuffix("3 rows: 1 regression, 1 skipped, 1 pass; exit 2\n"), "\(markdown)")
        let text = export.render(.text)
        #expect(text.hasSuffix(DiffTable(export.report).summary + "\n"))
        #expect(!export.render(.text, includePassing: false).contains("T01/pass"))
        #expect(ResultsFormat.allCases.map(\.fileExtension) == ["txt", "md", "json", "csv"])
    }
}
