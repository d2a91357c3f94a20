/// What went wrong when building or applying a TPS warp. Every case names the offending quantity and
/// its value, so a message read far from the call still says what to fix.
public enum WarpError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An image or grid size that cannot form a TPS basis (both sides must be at least 2, because the
    /// align-corners normalisation divides by `side − 1`).
    case invalidSize(what: String, height: Int, width: Int)
    /// `crop` must leave at least 2 pixels on each side: `0 ≤ crop` and `2·crop ≤ side − 2`.
    case invalidCrop(crop: Int, height: Int, width: Int)
    /// A tensor whose shape is not the one the operation needs.
    case shapeMismatch(what: String, expected: String, got: [Int])
    /// A TPS weight matrix must be 103×2 (100 RBF rows, then translation and the 2×2 linear part).
    case weightCount(got: Int)
    /// A warp amplitude that is negative or not finite.
    case invalidAmplitude(name: String, value: Double)

    public var description: String {
        switch self {
        case .invalidSize(let what, let h, let w):
            return "\(what): size \(h)×\(w) is too small for a TPS grid (each side must be at least 2)"
        case .invalidCrop(let crop, let h, let w):
            return "crop \(crop) does not fit an image of \(h)×\(w) (need 0 ≤ crop and 2·crop ≤ side − 2)"
        case .shapeMismatch(let what, let expected, let got):
            return "\(what): expected shape \(expected), got \(got)"
        case .weightCount(let got):
            return "TPS weights: expected 103×2 = 206 values, got \(got)"
        case .invalidAmplitude(let name, let value):
            return "warp amplitude \(name) = \(value) must be finite and ≥ 0"
        }
    }
}
