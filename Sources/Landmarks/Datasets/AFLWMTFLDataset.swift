import ImageIO

/// AFLW_M (reference class `AFLW_MTFL`, root `data/aflw-mtfl`; datasets.md §5): training on the
/// 150×150 AFLW crops of Thewlis et al. (`aflw_cropped/`), testing on the AFLW part of MTFL.
///
/// Train: `aflw_cropped/facedata_cropped.csv` (comma separated, header row); rows with `set == 1`,
/// image `crop_file` (relative to `aflw_cropped/`), keypoints = the columns at 0-based positions
/// 4…13 as five (x, y) pairs. Test: `MTFL/testing.txt`, `<path> x1…x5 y1…y5 <attributes>`.
/// Both: `−1` (MATLAB → 0-based), `× imwidth/150` (float32), image `Resize(imwidth)` (the images are
/// 150×150; a non-square image is an error here, as it would give a non-square tensor).
/// The reference reads `MTFL/testing.txt` for the train split too (for its overlap asserts), so
/// both files are required for either split.
public struct AFLWMTFLDataset: AnnotatedSplitDataset {
    public static let referenceClass = "AFLW_MTFL"
    public static let trainCSV = "aflw_cropped/facedata_cropped.csv"
    public static let trainImageDirectory = "aflw_cropped/"
    public static let testList = "MTFL/testing.txt"
    public static let testImageDirectory = "MTFL/"

    public static func layout(train: Bool) -> DatasetLayout {
        DatasetLayout("AFLW_M (AFLW_MTFL \(train ? "train" : "test"))", [
            (trainCSV, "header row with image_file, set, crop_file; keypoints in columns 4–13 (0-based) as (x, y) × 5"),
            (testList, "`<path> x1 … x5 y1 … y5` + 4 attribute integers per line, '/' separators"),
            (train ? "aflw_cropped/cropped/" : "MTFL/AFLW/", "the 150×150 images"),
        ])
    }

    public let split: AnnotatedSplit
    /// For the train split, the `image_file` column of the used rows (overlap check).
    public let sourceImageNames: [String]
    /// For the test split, `MTFL/testing.txt`'s names reduced to the part after the last '-'.
    let testImageNames: [String]

    public var keypointCount: Int { 5 }
    public var eyes: EyeIndices { .fivePoint }
    public var referenceCount: Int? { train ? 10_122 : 2_995 }

    /// - Throws: `.malformedLine` (file and line), `.inconsistentAnnotations` (a missing CSV
    ///   column).
    public init(opening location: SplitLocation) throws(DatasetError) {
        let files = location.files
        let scale = Float(Double(location.preprocessing.imageWidth) / 150.0)

        let testPath = location.path(Self.testList)
        let test = try AnnotationText.read(testPath, from: files)
        var testNames: [String] = [], testValues: [Float] = [], reduced: [String] = []
        for line in test.lines() {
            guard line.fields.count >= 11 else {
                throw test.malformed(line, "expected `<path> x1 … x5 y1 … y5 …`, found \(line.fields.count) field(s)")
            }
            // The original MTFL release writes Windows separators; the reference needs '/'.
            let path = test.string(line.fields[0]).replacingOccurrences(of: "\\", with: "/")
            var xy = [Float](repeating: 0, count: 10)
            for i in 0..<10 { xy[i] = Float(try test.double(line.fields[1 + i], "column \(i + 2)")) }
            for k in 0..<5 {
                testValues.append((xy[k] - 1) * scale)
                testValues.append((xy[5 + k] - 1) * scale)
            }
            testNames.append(path)
            reduced.append(String(path.split(separator: "-", omittingEmptySubsequences: false).last ?? ""))
        }
        testImageNames = reduced

        guard location.train else {
            split = AnnotatedSplit(location, names: testNames, keypointValues: testValues)
            sourceImageNames = []
            return
        }
        let csvPath = location.path(Self.trainCSV)
        let csv = try AnnotationText.read(csvPath, from: files)
        let lines = csv.lines(separator: .comma)
        guard let header = lines.first else {
            throw .inconsistentAnnotations(path: csvPath, reason: "empty file; expected a header row")
        }
        let columns = header.fields.map { csv.string($0) }
        func column(_ wanted: String) throws(DatasetError) -> Int {
            guard let i = columns.firstIndex(of: wanted) else {
                throw .malformedLine(path: csvPath, line: header.number, reason: "no `\(wanted)` column in the header (\(columns.joined(separator: ",")))")
            }
            return i
        }
        let imageColumn = try column("image_file"), setColumn = try column("set"), cropColumn = try column("crop_file")
        guard columns.count >= 14 else {
            throw .malformedLine(path: csvPath, line: header.number, reason: "\(columns.count) columns; keypoints need columns 4–13")
        }
        var paths: [String] = [], sources: [String] = [], values: [Float] = []
        for line in lines.dropFirst() {
            guard line.fields.count == columns.count else {
                throw csv.malformed(line, "\(line.fields.count) fields, the header has \(columns.count)")
            }
            guard try csv.double(line.fields[setColumn], "`set`") == 1 else { continue }
            for i in 0..<10 {
                values.append((Float(try csv.double(line.fields[4 + i], "column \(4 + i) (keypoint)")) - 1) * scale)
            }
            paths.append(csv.string(line.fields[cropColumn]))
            sources.append(csv.string(line.fields[imageColumn]))
        }
        split = AnnotatedSplit(location, names: paths, keypointValues: values)
        sourceImageNames = sources
    }

    /// The reference's asserts on the real data: the split size, and for the train split that no
    /// training `image_file` is an MTFL test image (test names reduced to the part after the last
    /// '-'). (It also asserts that every test image appears in the CSV's `image_file` column, over
    /// all sets; that needs the rows with `set ≠ 1`, which are not kept.)
    public func validateReferenceInvariants(includingCount: Bool = true) throws(DatasetError) {
        if includingCount { try validateReferenceCount() }
        guard train else { return }
        let test = Set(testImageNames)
        if let clash = sourceImageNames.first(where: { test.contains($0) }) {
            throw .inconsistentAnnotations(path: DatasetFiles.join(root, Self.trainCSV),
                                           reason: "training image \(clash) is also an MTFL test image")
        }
    }

    public func imagePath(at index: Int) -> String {
        DatasetFiles.join(root, (train ? Self.trainImageDirectory : Self.testImageDirectory) + name(at: index, in: names))
    }

    /// `Resize(imwidth)(im.convert("RGB"))`.
    public func preprocessedImage(at index: Int) throws(DatasetError) -> RGBImage {
        let path = imagePath(at: index)
        let decoded = try decodedImage(at: index, path: path)
        let out = ImageGeometry.resizeShorterSide(decoded, to: preprocessing.imageWidth)
        guard out.width == preprocessing.imageWidth, out.height == preprocessing.imageWidth else {
            throw .preprocessing(path: path, reason: "a \(decoded.width)×\(decoded.height) image resizes to \(out.width)×\(out.height); AFLW_M images must be square (150×150)")
        }
        return out
    }
}
