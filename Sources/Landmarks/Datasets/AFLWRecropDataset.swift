import ImageIO

/// AFLW_R, the recropped AFLW of Zhang et al. (reference class `AFLW`, root
/// `data/aflw/aflw_release-2`; datasets.md §4).
///
/// `aflw_{train,test}_images.txt` lists image paths relative to `output/`, one per line, in item
/// order; `aflw_{train,test}_keypoints.mat` (Level-5 MAT-file) holds `gt`, N×5×2 stored **(y, x)**,
/// and `hw`, N×2 (height, width). Geometry: `Resize((imwidth, imwidth))` (aspect ratio **not**
/// kept); keypoints `x ×= imwidth / w`, `y ×= imwidth / h` with w, h from `hw` (not from the image).
public struct AFLWRecropDataset: AnnotatedSplitDataset {
    public static let referenceClass = "AFLW"
    public static func imageList(train: Bool) -> String { "aflw_\(train ? "train" : "test")_images.txt" }
    public static func keypointFile(train: Bool) -> String { "aflw_\(train ? "train" : "test")_keypoints.mat" }
    public static let imageDirectory = "output/"

    public static func layout(train: Bool) -> DatasetLayout {
        DatasetLayout("AFLW_R (AFLW \(train ? "train" : "test"))", [
            (imageList(train: train), "one image path per line, relative to output/"),
            (keypointFile(train: train), "Level-5 MAT-file: gt N×5×2 (y, x), hw N×2 (height, width)"),
            (imageDirectory, "the images, e.g. output/0/…jpg"),
        ])
    }

    public let split: AnnotatedSplit

    public var keypointCount: Int { 5 }
    public var eyes: EyeIndices { .fivePoint }
    /// README: 10 122 train, 2 991 test ("with 132 duplicates"); the class asserts neither.
    public var referenceCount: Int? { train ? 10_122 : 2_991 }

    /// - Throws: `.malformedLine` (an empty line in the image list), `.matFile` (unreadable, or
    ///   `gt`/`hw` missing or mis-shaped), `.inconsistentAnnotations` (list and `.mat` disagree on
    ///   N, a zero height or width).
    public init(opening location: SplitLocation) throws(DatasetError) {
        let files = location.files, train = location.train
        // `f.read().splitlines()`: every line is a path, spaces included; a blank line would be an
        // (unopenable) empty path, so it is reported here.
        let listPath = location.path(Self.imageList(train: train))
        let list = try AnnotationText.read(listPath, from: files)
        var paths: [String] = []
        for line in list.lines(separator: .wholeLine, keepEmpty: true) {
            guard let field = line.fields.first else { throw list.malformed(line, "empty line; expected an image path") }
            paths.append(list.string(field))
        }

        let matPath = location.path(Self.keypointFile(train: train))
        let mat = try MATv5File.read(path: matPath, from: files)
        let n = paths.count
        let gt = try Self.numeric(mat, "gt", dimensions: [n, 5, 2], path: matPath)
        let hw = try Self.numeric(mat, "hw", dimensions: [n, 2], path: matPath)
        var values = [Float]()
        values.reserveCapacity(n * 10)
        let side = Double(location.preprocessing.imageWidth)
        for i in 0..<n {
            let h = hw.real[i], w = hw.real[i + n]
            guard h > 0, w > 0 else {
                throw .inconsistentAnnotations(path: matPath, reason: "hw row \(i + 1) is (\(h), \(w)); sizes must be positive")
            }
            for k in 0..<5 {
                // gt[i, k, c] is column-major: i + n·k + 5n·c; c = 0 is y, 1 is x. The float32 cast
                // comes first, then `*= imwidth / hw` in float64 and back to float32 (numpy in-place).
                let y = Float(gt.real[i + n * k]), x = Float(gt.real[i + n * k + 5 * n])
                values.append(Float(Double(x) * (side / w)))
                values.append(Float(Double(y) * (side / h)))
            }
        }
        split = AnnotatedSplit(location, names: paths, keypointValues: values)
    }

    /// The numeric variable `name` with exactly `dimensions`, or a `.matFile` / `.inconsistent…` error.
    static func numeric(_ mat: MATv5File, _ name: String, dimensions: [Int], path: String) throws(DatasetError) -> MATNumericArray {
        guard let value = mat[name] else {
            let present = mat.variables.map(\.name).joined(separator: ", ")
            throw .matFile(path: path, reason: "no variable `\(name)` (variables: \(present.isEmpty ? "none" : present))")
        }
        guard case .numeric(let array) = value, array.imaginary == nil else {
            throw .matFile(path: path, reason: "`\(name)` is \(value.summary), expected a real numeric array")
        }
        guard array.dimensions == dimensions else {
            let shown = array.dimensions.map(String.init).joined(separator: "×")
            let wanted = dimensions.map(String.init).joined(separator: "×")
            throw .inconsistentAnnotations(path: path, reason: "`\(name)` is \(shown), expected \(wanted) (N = \(dimensions[0]) from the image list)")
        }
        guard array.real.allSatisfy(\.isFinite) else { throw .matFile(path: path, reason: "`\(name)` holds NaN or infinite values") }
        return array
    }

    public func imagePath(at index: Int) -> String { DatasetFiles.join(root, Self.imageDirectory + name(at: index, in: names)) }

    /// `Resize((imwidth, imwidth))(im.convert("RGB"))`.
    public func preprocessedImage(at index: Int) throws(DatasetError) -> RGBImage {
        let decoded = try decodedImage(at: index, path: imagePath(at: index))
        return PillowResize.bilinear(decoded, width: preprocessing.imageWidth, height: preprocessing.imageWidth)
    }

    /// Writes `aflw_{train,test}_keypoints.mat` the way the reference reads it: `gt` N×5×2 (y, x)
    /// and `hw` N×2 (height, width), both double. `keypoints` holds 10 values per item, (x, y) × 5
    /// in the original image's pixels; `sizes` one (height, width) per item. For tests and
    /// `dvebench synth`.
    public static func writeKeypointFile(path: String, keypoints: [Double], sizes: [(height: Int, width: Int)]) throws(DatasetError) {
        let n = sizes.count
        guard keypoints.count == 10 * n else {
            throw .invalidOptions("writeKeypointFile: \(keypoints.count) keypoint values for \(n) items (need 10 each)")
        }
        var gt = [Double](repeating: 0, count: 10 * n)
        for i in 0..<n {
            for k in 0..<5 {
                gt[i + n * k] = keypoints[10 * i + 2 * k + 1]       // y
                gt[i + n * k + 5 * n] = keypoints[10 * i + 2 * k]   // x
            }
        }
        let hw = sizes.map { Double($0.height) } + sizes.map { Double($0.width) }
        try MATv5Writer.write([("gt", MATv5Writer.doubles(gt, dimensions: [n, 5, 2])),
                               ("hw", MATv5Writer.doubles(hw, dimensions: [n, 2]))], toPath: path)
    }
}
