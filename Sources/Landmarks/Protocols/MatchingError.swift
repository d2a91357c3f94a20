/// Why the matching protocol (or one of its rules) could not produce a result. Every case names the
/// item, field or tensor involved and the offending value.
public enum MatchingError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidOption(field: String, value: String, requirement: String)
    /// The protocol needs at least one batch of two items.
    case tooFewItems(available: Int)
    /// The eval-warp parameters cover fewer items than the run draws.
    case tooFewWarps(source: String, available: Int, needed: Int)
    case itemSource(index: Int, underlying: String)
    case itemShape(index: Int, what: String, expected: String, got: [Int])
    /// Items paired in one batch must have the same number of keypoints (the reference zips them).
    case keypointCountMismatch(index: Int, count: Int, otherIndex: Int, otherCount: Int)
    /// A keypoint or descriptor value that is NaN or infinite; `where` names it.
    case nonFinite(what: String, where: String)
    case warp(index: Int, underlying: String)
    /// The descriptor network's output does not fit the batch it was given.
    case networkOutput(expected: String, got: [Int])
    /// A descriptor map or keypoint array handed to a matching rule has the wrong shape.
    case shapeMismatch(what: String, expected: String, got: [Int])

    public var description: String {
        switch self {
        case .invalidOption(let field, let value, let requirement):
            "matching option \(field) = \(value): \(requirement)"
        case .tooFewItems(let available):
            "matching needs at least 2 evaluation items (one batch of two); the source has \(available)"
        case .tooFewWarps(let source, let available, let needed):
            "eval warps \(source) hold parameters for \(available) items, the run needs \(needed)"
        case .itemSource(let index, let underlying):
            "evaluation item \(index) could not be read: \(underlying)"
        case .itemShape(let index, let what, let expected, let got):
            "evaluation item \(index): \(what) has shape \(got), expected \(expected)"
        case .keypointCountMismatch(let index, let count, let otherIndex, let otherCount):
            "evaluation item \(index) has \(count) keypoints but item \(otherIndex), paired with it, has \(otherCount)"
        case .nonFinite(let what, let location):
            "\(what) holds a NaN or infinite value (\(location))"
        case .warp(let index, let underlying):
            "warping evaluation item \(index) failed: \(underlying)"
        case .networkOutput(let expected, let got):
            "descriptor network output has shape \(got), expected \(expected)"
        case .shapeMismatch(let what, let expected, let got):
            "\(what): expected shape \(expected), got \(got)"
        }
    }
}
