import HDF5
import Landmarks

/// Every keypoint a matching row scored, so a user can see where a model fails (which landmark,
/// which pair) rather than only the two means. P pairs × K keypoints, in the protocol's order.
///
/// Stored under the row's group as `keypoints/query_xy` int64 (P, K, 2): the source descriptor cell
/// `(qx, qy)` that `find_descriptor` reads; `keypoints/same_pred_xy` and `keypoints/diff_pred_xy`
/// float64 (P, K, 2): where the match landed in the same- and different-identity targets, pixels of
/// the cropped frame; `keypoints/same_err` and `keypoints/diff_err` float64 (P, K): the errors the
/// two metrics average, in pixels of a 70-pixel-wide crop.
public struct MatchingKeypoints: Sendable, Equatable {
    public var pairs: Int
    public var keypoints: Int
    public var queryXY: [Int64]
    public var samePredictedXY: [Double]
    public var differentPredictedXY: [Double]
    public var sameError: [Double]
    public var differentError: [Double]

    public init(pairs: Int, keypoints: Int, queryXY: [Int64], samePredictedXY: [Double], differentPredictedXY: [Double],
                sameError: [Double], differentError: [Double]) {
        self.pairs = pairs
        self.keypoints = keypoints
        self.queryXY = queryXY
        self.samePredictedXY = samePredictedXY
        self.differentPredictedXY = differentPredictedXY
        self.sameError = sameError
        self.differentError = differentError
    }

    public init(_ result: MatchingResult) {
        let all = result.pairs.flatMap(\.keypoints)
        self.init(pairs: result.pairs.count, keypoints: result.keypointsPerPair,
                  queryXY: all.flatMap { [Int64($0.query.column), Int64($0.query.row)] },
                  samePredictedXY: all.flatMap { [$0.same.x, $0.same.y] },
                  differentPredictedXY: all.flatMap { [$0.different.x, $0.different.y] },
                  sameError: all.map(\.sameError), differentError: all.map(\.differentError))
    }

    /// Mean error of each keypoint over the pairs: (same identity, different identity).
    public var perKeypointMeans: [(same: Double, different: Double)] {
        guard pairs > 0 else { return [] }
        return (0..<keypoints).map { k in
            var same = 0.0, different = 0.0
            for p in 0..<pairs {
                same += sameError[p * keypoints + k]
                different += differentError[p * keypoints + k]
            }
            return (same / Double(pairs), different / Double(pairs))
        }
    }

    /// The landmarks' names in the datasets' order: the five of MAFL and AFLW, numbers otherwise.
    public static func names(count: Int) -> [String] {
        count == 5 ? ["left eye", "right eye", "nose", "left mouth corner", "right mouth corner"] : (0..<count).map { "kp \($0)" }
    }

    func write(into group: HDF5Group) throws {
        try group.write("query_xy", int64: queryXY, shape: [pairs, keypoints, 2])
        try group.write("same_pred_xy", float64: samePredictedXY, shape: [pairs, keypoints, 2])
        try group.write("diff_pred_xy", float64: differentPredictedXY, shape: [pairs, keypoints, 2])
        try group.write("same_err", float64: sameError, shape: [pairs, keypoints])
        try group.write("diff_err", float64: differentError, shape: [pairs, keypoints])
    }

    init(group: HDF5Group) throws {
        let query = try group.dataset("query_xy")
        guard query.shape.count == 3, query.shape[2] == 2 else {
            throw ResultsFileError.malformed(file: group.file.path, object: query.path, problem: "must be [P, K, 2], found \(query.shape)")
        }
        let (p, k) = (query.shape[0], query.shape[1])
        for (name, shape) in [("same_pred_xy", [p, k, 2]), ("diff_pred_xy", [p, k, 2]), ("same_err", [p, k]), ("diff_err", [p, k])] {
            let found = try group.dataset(name).shape
            guard found == shape else {
                throw ResultsFileError.malformed(file: group.file.path, object: "\(group.path)/\(name)",
                                                 problem: "must be \(shape) like query_xy, found \(found)")
            }
        }
        self.init(pairs: p, keypoints: k, queryXY: try query.readInt64(),
                  samePredictedXY: try group.dataset("same_pred_xy").readFloat64(),
                  differentPredictedXY: try group.dataset("diff_pred_xy").readFloat64(),
                  sameError: try group.dataset("same_err").readFloat64(),
                  differentError: try group.dataset("diff_err").readFloat64())
    }
}
