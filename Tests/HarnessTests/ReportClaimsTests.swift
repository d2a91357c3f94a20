import Foundation
import Testing
@testable import Harness

/// The report's claims, per-landmark and learning-curve sections, from the repository's manifests.
@Suite struct ReportClaimsTests {
    static func input(plain: (Double, Double), dve: (Double, Double), paper: [String: [String: Double]]) throws -> ReportInput {
        let ids = ["S01/celeba-smallnet-16d/matching", "S01/celeba-smallnet-16d-dve/matching"]
        let manifests = try ids.map(RunnerManifests.row).map(\.manifest)
        let rows = zip(ids, [plain, dve]).map { id, values in
            var row = ResultsFixtures.finished(id, scale: "default", metrics: [MetricValue(name: "same_identity", value: values.0),
                                                                               MetricValue(name: "different_identity", value: values.1)])
            row.keypoints = KeypointsAndCurveFileTests.keypoints()
            row.curve = KeypointsAndCurveFileTests.curve()
            return row
        }
        var input = ReportInput(provenance: ResultsFixtures.provenance(), rows: rows,
                                manifests: Dictionary(uniqueKeysWithValues: manifests.map { ($0.id, $0) }), expected: [:])
        input.claimNumbers = paper
        return input
    }

    @Test func aClaimHoldsWhenOurDifferenceHasThePapersSign() throws {
        let paper = ["S01/celeba-smallnet-16d/matching": ["same_identity": 1.25, "different_identity": 5.65],
                     "S01/celeba-smallnet-16d-dve/matching": ["same_identity": 1.28, "different_identity": 2.79]]
        let claims = ReportClaims.claims(try Self.input(plain: (2.0, 8.0), dve: (1.5, 6.0), paper: paper))
        let outcome = Dictionary(uniqueKeysWithValues: claims.map { ($0.metric, $0.outcome) })
        #expect(outcome["different_identity"] == .holds)
        #expect(outcome["same_identity"] == .doesNotHold)
        #expect(claims.allSatisfy { $0.claim == "DVE vs no DVE, SmallNet-16d" })
        let missing = ReportClaims.claims(try Self.input(plain: (2.0, 8.0), dve: (1.5, 6.0), paper: [:]))
        #expect(missing.allSatisfy { $0.outcome == .notTestable })
    }

    @Test func theReportShowsClaimsCurvesLandmarksAndEachRowsOwnTolerance() throws {
        let paper = ["S01/celeba-smallnet-16d/matching": ["different_identity": 5.65],
                     "S01/celeba-smallnet-16d-dve/matching": ["different_identity": 2.79]]
        let input = try Self.input(plain: (2.0, 8.0), dve: (1.5, 9.0), paper: paper)
        let html = HTMLReport.render(input)
        for id in ["claims", "curves", "landmarks"] { #expect(html.contains("<section id=\"\(id)\">")) }
        #expect(html.contains("does not hold"))
        #expect(html.contains("<polyline class=\"series\""))
        #expect(html.contains("<th>left eye</th>"))
        #expect(html.contains("<th>tol</th>"))
        let markdown = MarkdownReport.render(input)
        #expect(markdown.contains("## Claims"))
        #expect(markdown.contains("| row | left eye | right eye | nose | left mouth corner | right mouth corner |"))
    }
}
