import Foundation
import ImageIO
import Landmarks

/// Why a figure or a report file could not be produced. Every case names the input involved.
public enum ReportError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A tensor handed to a figure function has the wrong shape; `what` names it.
    case shape(what: String, expected: String, got: [Int])
    /// A tensor holds NaN or an infinity (`where` is the flat index).
    case nonFinite(what: String, where: Int)
    /// The matching result and the pictures reproduced for it disagree (keypoint counts, pair index).
    case figureMismatch(what: String)
    /// Reproducing the warped evaluation images failed.
    case matching(MatchingError)
    /// Encoding a picture failed.
    case image(ImageIOError)
    /// Creating the output directory or writing a report file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .shape(let what, let expected, let got): "\(what): expected shape \(expected), got \(got)"
        case .nonFinite(let what, let index): "\(what) holds a NaN or infinite value at flat index \(index)"
        case .figureMismatch(let what): "match figure: \(what)"
        case .matching(let error): "match figure: \(error)"
        case .image(let error): "report picture: \(error)"
        case .writeFailed(let path, let reason): "cannot write report file \(path): \(reason)"
        }
    }
}
