/// One source keypoint of one pair, matched into both targets.
public struct MatchedKeypoint: Sendable, Equatable {
    /// The source descriptor cell it reads.
    public var query: QueryCell
    /// Best cell in the same-identity target (`B_2k`) and in the different-identity target (`B_2k+1`).
    public var same: DescriptorMatch
    public var different: DescriptorMatch
    /// `compute_pixel_err` against `kp2` of item 2k (same) and of item 2k+1 (different), in pixels of a
    /// 70-pixel-wide crop.
    public var sameError: Double
    public var differentError: Double
}

/// One DataLoader batch of the reference loop: source `A_2k`, targets `B_2k` and `B_2k+1`.
public struct MatchedPair: Sendable, Equatable {
    /// Item 2k (dataset order): source and same-identity target.
    public var sourceItem: Int
    /// Item 2k + 1: different-identity target.
    public var differentItem: Int
    public var keypoints: [MatchedKeypoint]
}

/// Wall-clock time of the phases of a run, in seconds.
public struct MatchingTimings: Sendable, Equatable {
    /// Reading items, warping them and converting to network input.
    public var preparation: Double
    /// Descriptor network forwards.
    public var network: Double
    /// `find_descriptor` and the errors.
    public var matching: Double
    public var total: Double
    public var pairsPerSecond: Double
}

/// What `MatchingProtocol.run` measured.
public struct MatchingResult: Sendable {
    /// `Mean Pixel Error (same-identity)`: `np.mean` over every (pair, keypoint) error.
    public var sameIdentityError: Double
    /// `Mean Pixel Error (different-identity)`.
    public var differentIdentityError: Double
    /// Every pair in order, with per-keypoint cells, matches and errors (kept for reports).
    public var pairs: [MatchedPair]
    /// Keypoints per item (the same for every item of the run).
    public var keypointsPerPair: Int
    /// Where the warps came from; `.seeded` results do not reproduce the reference's numbers.
    public var warpSource: MatchingWarpSource
    /// Descriptor map size `(C, H, W)` the network produced.
    public var descriptorShape: [Int]
    /// `(imwidth − 2·crop) / W`, float64.
    public var stride: Double
    /// `70 / (imwidth − 2·crop)`.
    public var errorScale: Double
    public var options: MatchingOptions
    public var timings: MatchingTimings

    /// Pairs evaluated (= batches of two items).
    public var pairCount: Int { pairs.count }
    /// Errors averaged per metric: pairs × keypoints.
    public var keypointCount: Int { pairs.count * keypointsPerPair }
    /// Same-identity errors, pair-major (`same_errs` of the reference).
    public var sameErrors: [Double] { pairs.flatMap { $0.keypoints.map(\.sameError) } }
    public var differentErrors: [Double] { pairs.flatMap { $0.keypoints.map(\.differentError) } }
    /// Queries whose `x/stride` or `y/stride` was exactly halfway (decided by round-half-even).
    public var halfwayQueryCount: Int { pairs.reduce(0) { $0 + $1.keypoints.filter(\.query.isHalfway).count } }
    /// The smallest argmax margin over all matches: how close the run came to a different cell.
    public var smallestTop2Gap: Double {
        pairs.flatMap { $0.keypoints.flatMap { [$0.same.top2Gap, $0.different.top2Gap] } }.min() ?? .infinity
    }
}

/// Reported after every network forward.
public struct MatchingProgress: Sendable {
    public var pairsDone: Int
    public var pairsTotal: Int
    public var pairsPerSecond: Double
}
