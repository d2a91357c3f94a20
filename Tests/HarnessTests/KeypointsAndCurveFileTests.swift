import Foundation
import HDF5
import Testing
@testable import Harness

/// Per-keypoint matching results and learning curves in results.h5: the documented layout, and a
/// round trip that keeps every bit.
@Suite struct KeypointsAndCurveFileTests {
    static func keypoints() -> MatchingKeypoints {
        let (p, k) = (3, 5)
        return MatchingKeypoints(pairs: p, keypoints: k, queryXY: (0..<(p * k * 2)).map { Int64($0 % 35) },
                                 samePredictedXY: (0..<(p * k * 2)).map { Double($0) * 2.0 },
                                 differentPredictedXY: (0..<(p * k * 2)).map { Double($0) * 1.5 + 0.25 },
                                 sameError: (0..<(p * k)).map { Double($0) / 7 }, differentError: (0..<(p * k)).map { Double($0) * 1.25 })
    }

    static func curve() -> LearningCurve {
        var curve = LearningCurve()
        curve.append(iteration: 125, metrics: [("same_identity", 9.5), ("different_identity", 14.25)])
        curve.append(iteration: 250, metrics: [("same_identity", 5.0), ("different_identity", 8.0)])
        curve.append(iteration: 500, metrics: [("same_identity", 4.9), ("different_identity", 8.2)])
        return curve
    }

    @Test func keypointsAndCurveRoundTripInTheDocumentedLayout() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results.h5").path
        var row = ResultsFixtures.finished("S01/celeba-smallnet-16d-dve/matching",
                                           metrics: [MetricValue(name: "same_identity", value: 1)])
        row.keypoints = Self.keypoints()
        row.curve = Self.curve()
        var set = ResultSet(provenance: ResultsFixtures.provenance())
        set.upsert(row)
        try set.write(to: path)
        let read = try ResultSet.read(from: path)
        #expect(read.rows.first?.keypoints == row.keypoints)
        #expect(read.rows.first?.curve == row.curve)

        let file = try HDF5File.open(path)
        defer { file.close() }
        let group = try file.root.group("S01/celeba-smallnet-16d-dve/matching")
        #expect(try group.dataset("keypoints/query_xy").shape == [3, 5, 2])
        #expect(try group.dataset("keypoints/same_pred_xy").shape == [3, 5, 2])
        #expect(try group.dataset("keypoints/diff_pred_xy").shape == [3, 5, 2])
        #expect(try group.dataset("keypoints/same_err").shape == [3, 5])
        #expect(try group.dataset("keypoints/diff_err").readFloat64() == row.keypoints?.differentError)
        #expect(try group.dataset("curve/iterations").readInt64() == [125, 250, 500])
        #expect(try group.dataset("curve/different_identity").readFloat64() == [14.25, 8.0, 8.2])
    }

    @Test func perKeypointMeansAverageOverPairs() {
        let means = Self.keypoints().perKeypointMeans
        #expect(means.count == 5)
        // Keypoint 1 of pairs 0, 1, 2 sits at flat indices 1, 6, 11.
        #expect(abs(means[1].same - Double(1 + 6 + 11) / 7 / 3) < 1e-12)
        #expect(abs(means[1].different - Double(1 + 6 + 11) * 1.25 / 3) < 1e-12)
        #expect(MatchingKeypoints.names(count: 5)[2] == "nose")
    }

    @Test func thePlateauTestComparesTheLastPointWithTheOneAtHalfItsIterations() throws {
        let change = try #require(Self.curve().changeOverLastDoubling)
        // same: |4.9 − 5.0| / 5.0 = 2 %; different: |8.2 − 8.0| / 8.0 = 2.5 %.
        #expect(abs(change - 0.025) < 1e-12)
        var short = LearningCurve()
        short.append(iteration: 300, metrics: [("same_identity", 1)])
        #expect(short.changeOverLastDoubling == nil)
        // A run ends on whole epochs (4 002 for 4 000 asked): 2 000 is still its half.
        var epochs = LearningCurve()
        epochs.append(iteration: 1000, metrics: [("same_identity", 4)])
        epochs.append(iteration: 2000, metrics: [("same_identity", 2)])
        epochs.append(iteration: 4002, metrics: [("same_identity", 1.5)])
        #expect(epochs.changeOverLastDoubling == 0.25)
        var gap = LearningCurve()
        gap.append(iteration: 1000, metrics: [("same_identity", 4)])
        gap.append(iteration: 4002, metrics: [("same_identity", 1.5)])
        #expect(gap.changeOverLastDoubling == nil)
    }

    @Test func aCurveWhoseSeriesDoesNotMatchItsIterationsIsRefusedByName() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results.h5").path
        var row = ResultsFixtures.finished("S01/a/matching", metrics: [MetricValue(name: "same_identity", value: 1)])
        row.curve = LearningCurve(iterations: [1, 2], names: ["same_identity"], values: [[1]])
        var set = ResultSet(provenance: ResultsFixtures.provenance())
        set.upsert(row)
        try set.write(to: path)
        #expect { try ResultSet.read(from: path) } throws: { "\($0)".contains("curve/same_identity") && "\($0)".contains("1 values for 2 iterations") }
    }
}
