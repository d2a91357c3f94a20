import Foundation

/// What one manifest row produced in one run. A results file (`ResultSet`) holds many of these,
/// keyed by manifest id, plus the run's provenance.
public struct RowResult: Sendable, Equatable {
    public enum Status: Sendable, Equatable {
        case finished
        /// The row could not run here; the reason names what is missing (dataset files, checkpoint,
        /// an unimplemented model). A skipped row is never a pass.
        case skipped(reason: String)
        /// The row started and failed; the message names the file and the problem.
        case failed(message: String)
    }

    /// The manifest's `id`.
    public var id: String
    /// SHA-256 of the manifest file's bytes, so a result can be matched to the manifest it ran.
    public var manifestSHA256: String
    public var status: Status
    public var metrics: [MetricValue]
    /// `checkpoint` or `train`.
    public var mode: String
    /// `paper` (the published recipe and full datasets), `default` or `quick` (CPU-sized synthetic).
    public var scale: String
    /// `synthfaces` or the data root the row read.
    public var dataSource: String
    /// Every seed the row drew from (training, warps, regression runs).
    public var seeds: [UInt64]
    public var wallSeconds: Double
    /// Free-form facts worth keeping (warp source, checkpoint digest, images used, epochs run).
    public var details: [String: String]
    /// Pictures for the report; absent for skipped and failed rows.
    public var figures: RowFigures?
    /// Every scored keypoint of a matching row.
    public var keypoints: MatchingKeypoints?
    /// The embedding's learning curve, when the run evaluated one (`RunScale.curvePoints`).
    public var curve: LearningCurve?

    public init(id: String, manifestSHA256: String, status: Status, metrics: [MetricValue] = [], mode: String,
                scale: String, dataSource: String, seeds: [UInt64] = [], wallSeconds: Double = 0,
                details: [String: String] = [:], figures: RowFigures? = nil, keypoints: MatchingKeypoints? = nil,
                curve: LearningCurve? = nil) {
        self.id = id
        self.manifestSHA256 = manifestSHA256
        self.status = status
        self.metrics = metrics
        self.mode = mode
        self.scale = scale
        self.dataSource = dataSource
        self.seeds = seeds
        self.wallSeconds = wallSeconds
        self.details = details
        self.figures = figures
        self.keypoints = keypoints
        self.curve = curve
    }
}

/// One reproduced number. `standardDeviation` and `runs` are set for `mean-std` statistics
/// (population standard deviation over `runs` seeds, as the reference reports it).
public struct MetricValue: Sendable, Equatable {
    public var name: String
    public var value: Double
    public var standardDeviation: Double?
    public var runs: Int?

    public init(name: String, value: Double, standardDeviation: Double? = nil, runs: Int? = nil) {
        self.name = name
        self.value = value
        self.standardDeviation = standardDeviation
        self.runs = runs
    }

    /// Value and standard deviation are both finite: the only metrics a run records as finished.
    public var isFinite: Bool { value.isFinite && (standardDeviation?.isFinite ?? true) }
}

/// An 8-bit RGB picture, row-major interleaved (`height × width × 3`).
public struct RGBPicture: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var pixels: [UInt8]

    public init(width: Int, height: Int, pixels: [UInt8]) {
        precondition(pixels.count == width * height * 3, "RGBPicture needs width·height·3 bytes")
        self.width = width
        self.height = height
        self.pixels = pixels
    }
}

/// One matched pair for the report: query landmarks on the source image, where the descriptors put
/// them on the target image (another identity), and where they truly are. Pixel coordinates of the
/// pictures (x right, y down, origin at the top-left pixel's centre).
public struct MatchFigure: Sendable, Equatable {
    public var source: RGBPicture
    public var target: RGBPicture
    public var sourcePoints: [(x: Double, y: Double)]
    public var matchedPoints: [(x: Double, y: Double)]
    public var truePoints: [(x: Double, y: Double)]

    public init(source: RGBPicture, target: RGBPicture, sourcePoints: [(x: Double, y: Double)],
                matchedPoints: [(x: Double, y: Double)], truePoints: [(x: Double, y: Double)]) {
        self.source = source
        self.target = target
        self.sourcePoints = sourcePoints
        self.matchedPoints = matchedPoints
        self.truePoints = truePoints
    }

    public static func == (a: MatchFigure, b: MatchFigure) -> Bool {
        func same(_ p: [(x: Double, y: Double)], _ q: [(x: Double, y: Double)]) -> Bool {
            p.count == q.count && zip(p, q).allSatisfy { $0.x == $1.x && $0.y == $1.y }
        }
        return a.source == b.source && a.target == b.target && same(a.sourcePoints, b.sourcePoints)
            && same(a.matchedPoints, b.matchedPoints) && same(a.truePoints, b.truePoints)
    }
}

public struct RowFigures: Sendable, Equatable {
    /// A few matched pairs (matching rows), at most four.
    public var matches: [MatchFigure]
    /// The input image and the first three principal components of its descriptor map as RGB
    /// (each component min–max scaled to 0…255), at the descriptor map's resolution.
    public var embeddingInput: RGBPicture?
    public var embeddingPCA: RGBPicture?

    public init(matches: [MatchFigure] = [], embeddingInput: RGBPicture? = nil, embeddingPCA: RGBPicture? = nil) {
        self.matches = matches
        self.embeddingInput = embeddingInput
        self.embeddingPCA = embeddingPCA
    }
}
