/// Why a keypoint regressor, regression loss or inter-ocular error could not be computed. Every case
/// names the argument or field involved and the offending value.
public enum KeypointError: Error, CustomStringConvertible, Sendable, Equatable {
    /// A size (descriptor dimension, point count, multiplier, …) that cannot build a regressor.
    case invalidSize(field: String, value: String, requirement: String)
    /// A tensor argument of the wrong shape.
    case shape(argument: String, expected: String, got: [Int])
    /// An eye index outside `0..<keypointCount`, or both eyes the same point.
    case eyeIndices(left: Int, right: Int, keypointCount: Int)

    public var description: String {
        switch self {
        case .invalidSize(let field, let value, let requirement):
            "keypoint regressor: \(field) = \(value) \(requirement)"
        case .shape(let argument, let expected, let got):
            "\(argument) has shape \(got), expected \(expected)"
        case .eyeIndices(let left, let right, let keypointCount):
            "eye indices (\(left), \(right)) must be two different keypoints of 0..<\(keypointCount)"
        }
    }
}
