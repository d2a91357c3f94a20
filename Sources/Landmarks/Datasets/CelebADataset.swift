import ImageIO

/// CelebA and MAFL (`data/celeba`): the reference classes `CelebAPrunedAligned_MAFLVal` and
/// `MAFLAligned` (datasets.md §3).
///
/// Items are in the order of `Eval/list_eval_partition.txt` (ascending id), never in the order of
/// the MAFL lists: the matching protocol pairs consecutive items, so this order defines its pairs.
/// Geometry: rows 30…207 of the 178×218 aligned image (`crop(top 30, left 0, 178×178)`), then
/// `Resize(imwidth)` (Pillow bilinear, antialiased); keypoints `y −= 30`, then `×= imwidth/178`.
public struct CelebADataset: LandmarkDataset {
    /// The five splits the configs use.
    public enum Split: Sendable, Hashable, CustomStringConvertible {
        /// `CelebAPrunedAligned_MAFLVal(train=True)`: partition 0 minus every MAFL image (146 501).
        case prunedTrain
        /// `…MAFLVal(train=False, val_split="celeba")`: the first `size` partition-2 rows that are
        /// not MAFL images (validation loss during unsupervised training; 2 000 in the configs).
        case prunedValidation(size: Int)
        /// `…MAFLVal(train=False, val_split="mafl")`: the MAFL test images (matching evaluation).
        case prunedMAFLTest
        /// `MAFLAligned(train=True)`: the 19 000 MAFL training images.
        case maflTrain
        /// `MAFLAligned(train=False)`: the 1 000 MAFL test images.
        case maflTest

        public var description: String {
            switch self {
            case .prunedTrain: "CelebAPrunedAligned_MAFLVal/train"
            case .prunedValidation(let size): "CelebAPrunedAligned_MAFLVal/val_split=celeba[:\(size)]"
            case .prunedMAFLTest: "CelebAPrunedAligned_MAFLVal/val_split=mafl"
            case .maflTrain: "MAFLAligned/train"
            case .maflTest: "MAFLAligned/test"
            }
        }

        var referenceCount: Int {
            switch self {
            case .prunedTrain: 146_501
            case .prunedValidation(let size): size
            case .prunedMAFLTest, .maflTest: 1_000
            case .maflTrain: 19_000
            }
        }
    }

    public static let landmarksFile = "Anno/list_landmarks_align_celeba.txt"
    public static let partitionFile = "Eval/list_eval_partition.txt"
    public static let maflTrainFile = "MAFL/training.txt"
    public static let maflTestFile = "MAFL/testing.txt"

    /// `Img/img_align_celeba_hq` (the default, `use_hq_ims=True`) or `Img/img_align_celeba`.
    public static func imageDirectory(highQuality: Bool) -> String {
        highQuality ? "Img/img_align_celeba_hq/" : "Img/img_align_celeba/"
    }

    public static func layout(highQualityImages: Bool = true) -> DatasetLayout {
        DatasetLayout("CelebA/MAFL", [
            (landmarksFile, "line 1: count; line 2: the 10 column names; then `<id>.jpg` + 10 integers"),
            (partitionFile, "`<id>.jpg <0|1|2>` per line"),
            (maflTrainFile, "one `<id>.jpg` per line"),
            (maflTestFile, "one `<id>.jpg` per line"),
            (imageDirectory(highQuality: highQualityImages), "the 178×218 aligned JPEGs, `<id>.jpg`"),
        ])
    }

    public let root: String
    public let split: Split
    public let preprocessing: DatasetPreprocessing
    public let highQualityImages: Bool
    public let jpegWarnings: JPEGWarningPolicy
    let files: any DatasetFileSource
    /// File names (`000197.jpg`, …) in item order.
    public let names: [String]
    /// 10 floats per item: (x, y) × 5 in the imwidth frame.
    let keypointValues: [Float]

    public var name: String { split.description }
    public var count: Int { names.count }
    public var keypointCount: Int { 5 }
    public var eyes: EyeIndices { .fivePoint }
    public var referenceCount: Int? { split.referenceCount }
    public var variant: String { "hq=\(highQualityImages ? 1 : 0)" }

    /// Parses the four annotation files under `root` (the folder the configs call `data/celeba`).
    ///
    /// - Parameter jpegWarnings: `.tolerateRecoverable` (default) decodes JPEGs with recoverable
    ///   libjpeg warnings as Pillow does (the reference trained on them); `.reject` makes them errors.
    /// - Throws: `.missingFiles`, `.malformedLine` (file and line), `.inconsistentAnnotations`
    ///   (a MAFL name absent from the partition list, a selected image without landmarks).
    public init(root: String, split: Split, preprocessing: DatasetPreprocessing = .smallNet,
                highQualityImages: Bool = true, jpegWarnings: JPEGWarningPolicy = .tolerateRecoverable) throws(DatasetError) {
        try self.init(root: root, split: split, preprocessing: preprocessing, highQualityImages: highQualityImages,
                      jpegWarnings: jpegWarnings, files: DiskFiles())
    }

    /// The same, reading the tree from `files`.
    init(root: String, split: Split, preprocessing: DatasetPreprocessing, highQualityImages: Bool,
         jpegWarnings: JPEGWarningPolicy, files: any DatasetFileSource) throws(DatasetError) {
        if case .prunedValidation(let size) = split, size < 0 {
            throw .invalidOptions("CelebA validation size \(size) is negative")
        }
        try Self.layout(highQualityImages: highQualityImages).check(root: root, in: files)
        self.root = root
        self.files = files
        self.split = split
        self.preprocessing = preprocessing
        self.highQualityImages = highQualityImages
        self.jpegWarnings = jpegWarnings

        let partitionPath = DatasetFiles.join(root, Self.partitionFile)
        let partition = try AnnotationText.read(partitionPath, from: files)
        var partitionNames: [String] = []
        var labels: [Int] = []
        var rowOf: [String: Int] = [:]
        for line in partition.lines() {
            guard line.fields.count >= 2 else { throw partition.malformed(line, "expected `<image> <partition>`, found \(line.fields.count) field(s)") }
            let imageName = partition.string(line.fields[0])
            let label = try partition.int(line.fields[1], "the partition label")
            if rowOf[imageName] == nil { rowOf[imageName] = partitionNames.count }
            partitionNames.append(imageName)
            labels.append(label)
        }

        // Overwrite labels in the reference's order: pruned = MAFL-train → 3, MAFL-test → 4;
        // MAFLAligned = MAFL-test → 4, MAFL-train → 5.
        let marks: [(String, Int)]
        switch split {
        case .prunedTrain, .prunedValidation, .prunedMAFLTest: marks = [(Self.maflTrainFile, 3), (Self.maflTestFile, 4)]
        case .maflTrain, .maflTest: marks = [(Self.maflTestFile, 4), (Self.maflTrainFile, 5)]
        }
        for (file, label) in marks {
            let path = DatasetFiles.join(root, file)
            let list = try AnnotationText.read(path, from: files)
            for line in list.lines() {
                let imageName = list.string(line.fields[0])
                guard let row = rowOf[imageName] else {
                    throw list.malformed(line, "\(imageName) is not listed in \(Self.partitionFile)")
                }
                labels[row] = label // (the partition list has unique names; a duplicate keeps its first row)
            }
        }

        let wanted: Int
        var limit = Int.max
        switch split {
        case .prunedTrain: wanted = 0
        case .prunedValidation(let size): wanted = 2; limit = size
        case .prunedMAFLTest, .maflTest: wanted = 4
        case .maflTrain: wanted = 5
        }
        var selected: [String] = []
        for (i, label) in labels.enumerated() where label == wanted && selected.count < limit {
            selected.append(partitionNames[i])
        }

        let landmarksPath = DatasetFiles.join(root, Self.landmarksFile)
        let landmarks = try Self.parseLandmarks(landmarksPath, from: files)
        let scale = Float(Double(preprocessing.imageWidth) / 178.0)
        var values = [Float]()
        values.reserveCapacity(selected.count * 10)
        for imageName in selected {
            guard let row = landmarks.rows[imageName] else {
                throw .inconsistentAnnotations(path: landmarksPath, reason: "no landmarks for \(imageName), which \(Self.partitionFile) lists")
            }
            let raw = landmarks.values[(10 * row)..<(10 * row + 10)]
            for k in 0..<5 {
                values.append(raw[raw.startIndex + 2 * k] * scale)
                values.append((raw[raw.startIndex + 2 * k + 1] - 30) * scale)
            }
        }
        names = selected
        keypointValues = values
    }

    /// `pd.read_csv(..., header=1, delim_whitespace=True)`: line 1 is skipped, line 2 names the 10
    /// columns, every later line is `<image>` + 10 integers. Values are float32, as the reference's
    /// `np.array(..., dtype=np.float32)`.
    static func parseLandmarks(_ path: String, from files: any DatasetFileSource) throws(DatasetError) -> (rows: [String: Int], values: [Float]) {
        let text = try AnnotationText.read(path, from: files)
        let lines = text.lines()
        guard lines.count >= 2 else {
            throw .inconsistentAnnotations(path: path, reason: "expected a count line and a header line, found \(lines.count) line(s)")
        }
        guard lines[1].fields.count == 10 else {
            throw text.malformed(lines[1], "the header names \(lines[1].fields.count) columns, expected the 10 landmark coordinates")
        }
        var rows: [String: Int] = [:], values: [Float] = []
        rows.reserveCapacity(lines.count)
        values.reserveCapacity(10 * lines.count)
        for line in lines.dropFirst(2) {
            guard line.fields.count == 11 else {
                throw text.malformed(line, "expected an image name and 10 coordinates, found \(line.fields.count) field(s)")
            }
            let key = text.string(line.fields[0])
            guard rows[key] == nil else { continue } // a repeated name keeps its first row
            rows[key] = values.count / 10
            for i in 0..<10 { values.append(Float(try text.int(line.fields[i + 1], "coordinate \(i + 1)"))) }
        }
        return (rows, values)
    }

    public func itemName(at index: Int) -> String { name(at: index, in: names) }

    public func imagePath(at index: Int) -> String {
        DatasetFiles.join(root, Self.imageDirectory(highQuality: highQualityImages) + name(at: index, in: names))
    }

    public func keypoints(at index: Int) throws(DatasetError) -> [Float] {
        try checkIndex(index)
        return Array(keypointValues[(index * 10)..<(index * 10 + 10)])
    }

    /// `Resize(imwidth)(crop(im.convert("RGB"), 30, 0, 178, 178))`.
    public func preprocessedImage(at index: Int) throws(DatasetError) -> RGBImage {
        try checkIndex(index)
        let decoded = try files.decodeImage(imagePath(at: index), dataset: name, index: index, policy: jpegWarnings)
        return Self.initialTransform(decoded, imageWidth: preprocessing.imageWidth)
    }

    /// The geometry alone (tests and fixtures use it on in-memory images).
    public static func initialTransform(_ image: RGBImage, imageWidth: Int) -> RGBImage {
        let cropped = ImageGeometry.crop(image, left: 0, top: 30, width: 178, height: 178)
        return ImageGeometry.resizeShorterSide(cropped, to: imageWidth)
    }
}
