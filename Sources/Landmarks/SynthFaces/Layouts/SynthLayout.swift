import Foundation
import ImageIO
import Tensors

/// The on-disk dataset layouts `SynthTree` can write, each exactly as the reference's dataset class
/// reads it (`datasets.md` §3–6). The tree's root is the folder the reference configs name.
public enum SynthLayout: String, Sendable, CaseIterable, CustomStringConvertible {
    /// `data/celeba`: CelebA aligned 178×218 JPEGs with landmarks, partitions and the MAFL lists.
    case celeba
    /// `data/aflw/aflw_release-2`: AFLW recropped (image lists + `.mat` keypoints, variable sizes).
    case aflwR = "aflw-r"
    /// `data/aflw-mtfl`: Thewlis's AFLW crops (CSV, train) and MTFL's AFLW part (test), 150×150.
    case aflwM = "aflw-m"
    /// `data/300w/300w`: six subsets with `.pts` files and bounding-box `.mat` files (68 points).
    case threeHundredW = "300w"

    public var description: String { rawValue }

    /// The smallest `count` the layout can split so that every split the reference reads is
    /// non-empty.
    public var minimumCount: Int {
        switch self {
        case .celeba: 10
        case .aflwR, .aflwM: 2
        case .threeHundredW: 6
        }
    }

    /// Landmarks per image in the layout's annotation files.
    public var keypointCount: Int { self == .threeHundredW ? 68 : 5 }
}

/// One image of a written tree, in the order the reference dataset class lists it (train split
/// first where a layout has several lists).
public struct SynthLayoutItem: Sendable {
    /// The image, relative to the tree's root.
    public var path: String
    /// `train`/`test` (AFLW, 300-W); for CelebA the split after the MAFL relabelling:
    /// `train` (partition 0, not MAFL), `val` (partition 1), `test` (partition 2, the pruned
    /// validation pool), `mafl-train`, `mafl-test`.
    public var split: String
    /// CelebA: `partition 0/1/2`; 300-W: the subset (`afw`, `helen/trainset`, …); else the split.
    public var group: String
    /// The `SynthFaces` item rendered here, and its identity.
    public var index: Int
    public var identity: Int
    public var width: Int
    public var height: Int
    /// The frame the face was rendered in: `SynthFaces.render(index:framing:)` with `index` and
    /// this gives the pixels the image file encodes.
    public var framing: SynthFraming
    /// Ground truth in pixels of the written image (0-based, unrounded): 5 points, 68 for 300-W.
    public var landmarks: [SynthPoint]
    /// All 68 ground-truth points in the same frame (every layout; only 300-W writes them to disk).
    public var landmarks68: [SynthPoint]
    /// What the annotation files say, read back the way the reference reads them, in 0-based pixels
    /// of the written image: CelebA's integers as they are, the 1-based MTFL/CSV/`.pts` values
    /// minus 1, AFLW_R's `.mat` doubles as they are. A loader must reproduce exactly these (before
    /// its own resize).
    public var annotated: [SynthPoint]
    /// 300-W only: `bb_ground_truth` as written, `[xmin, ymin, xmax, ymax]`, MATLAB 1-based.
    public var boundingBox: [Double]?
}

/// What `SynthTree.write` produced.
public struct SynthTreeSummary: Sendable {
    public var root: String
    public var layout: SynthLayout
    public var seed: UInt64
    public var identities: Int
    public var items: [SynthLayoutItem]
    /// Annotation files written, relative to the root.
    public var annotationFiles: [String]
    /// Every image file written (including copies the reference does not read), relative to the root.
    public var imageFiles: [String]
}

/// Errors writing a synthetic tree; each names the path or value at fault.
public enum SynthLayoutError: Error, CustomStringConvertible, Sendable {
    case countTooSmall(layout: SynthLayout, count: Int, minimum: Int)
    case invalidOption(String)
    case outputExists(path: String)
    case fileSystem(path: String, reason: String)
    case image(ImageIOError)
    case annotation(path: String, reason: String)
    case synth(SynthFacesError)

    public var description: String {
        switch self {
        case .countTooSmall(let layout, let count, let minimum):
            return "the \(layout) layout needs at least \(minimum) images so that every split is non-empty (got \(count))"
        case .invalidOption(let message): return message
        case .outputExists(let path):
            return "\(path) already exists and is not empty; remove it or pass --overwrite"
        case .fileSystem(let path, let reason): return "cannot write \(path): \(reason)"
        case .image(let error): return error.description
        case .annotation(let path, let reason): return "cannot write annotation file \(path): \(reason)"
        case .synth(let error): return error.description
        }
    }
}

/// An image to render and where it goes: the reference reads `path`; `copies` are further files
/// of the same picture (CelebA's low-quality directory, AFLW_M's crop of a test image).
struct SynthImageJob: Sendable {
    var path: String
    var index: Int
    var framing: SynthFraming
    var quality: Int
    var copies: [(path: String, quality: Int)] = []
}

/// A rendered job's annotations (the pixels are written and dropped right away).
struct SynthRendered: Sendable {
    var job: SynthImageJob
    var landmarks5: [SynthPoint]
    var landmarks68: [SynthPoint]
    var identity: Int
    var attributes: SynthFaceAttributes
}

/// A layout's annotation files and item records, built from the rendered jobs.
struct SynthAnnotations {
    var files: [(path: String, bytes: [UInt8])] = []
    var items: [SynthLayoutItem] = []

    mutating func text(_ path: String, _ lines: [String]) {
        files.append((path, Array((lines.joined(separator: "\n") + "\n").utf8)))
    }
}

extension SynthPoint {
    /// The value a 1-based annotation file with three decimals holds for this 0-based coordinate,
    /// and what reading it back (minus 1) gives.
    static func oneBased(_ value: Double) -> (text: String, readBack: Double) {
        let text = String(format: "%.3f", value + 1)
        return (text, (Double(text) ?? value + 1) - 1)
    }
}
