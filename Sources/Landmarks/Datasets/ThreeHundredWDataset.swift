import Foundation
import ImageIO

/// 300-W, 68 points (reference class `ThreeHundredW`, root `data/300w/300w`; datasets.md §6), with
/// the split of Ren et al. (CVPR 2014): train = afw + helen/trainset + lfpw/trainset (3 148), test =
/// helen/testset + lfpw/testset + ibug (689, ibug entries whose name starts with `image` only).
///
/// Item order = the order of the entries in each `Bounding Boxes/bounding_boxes_<set>.mat`, sets in
/// the listed order. The face crop (reproduced with the reference's MATLAB-style arithmetic,
/// `ThreeHundredWCrop`) scales the image so the ground-truth box is 52 px wide with Pillow's
/// **nearest** filter (`Image.resize` without a filter in Pillow < 7), cuts a 100×100 window with
/// black padding, then `Resize(imwidth)` (bilinear; a no-op at imwidth 100).
public struct ThreeHundredWDataset: AnnotatedSplitDataset {
    public static let referenceClass = "ThreeHundredW"
    /// (bounding-box file suffix, image folder) per subset, in the reference's order.
    public static func subsets(train: Bool) -> [(boxes: String, folder: String)] {
        train ? [("afw", "afw"), ("helen_trainset", "helen/trainset"), ("lfpw_trainset", "lfpw/trainset")]
              : [("helen_testset", "helen/testset"), ("lfpw_testset", "lfpw/testset"), ("ibug", "ibug")]
    }

    public static func boxFile(_ suffix: String) -> String { "Bounding Boxes/bounding_boxes_\(suffix).mat" }

    /// The reference opens all six box files whichever split it builds.
    public static func layout(train: Bool) -> DatasetLayout {
        let boxes = (subsets(train: true) + subsets(train: false)).map {
            (boxFile($0.boxes), "Level-5 MAT-file: `bounding_boxes`, 1×N cell of structs with imgName, bb_ground_truth")
        }
        let folders = subsets(train: train).map { ($0.folder + "/", "images (.jpg/.png) with 68-point .pts files") }
        return DatasetLayout("300-W (ThreeHundredW \(train ? "train" : "test"))", boxes + folders)
    }

    public let split: AnnotatedSplit
    /// The face crop of each item.
    public let crops: [ThreeHundredWCrop]

    public var keypointCount: Int { 68 }
    public var eyes: EyeIndices { .sixtyEightPoint }
    public var referenceCount: Int? { train ? 3_148 : 689 }

    /// Item names are `<folder>/<imgName>`, e.g. `helen/testset/296814969_3.jpg`.
    ///
    /// - Throws: `.matFile` (unreadable box file, unexpected structure), `.malformedLine` (a `.pts`
    ///   file without exactly 136 numbers between its braces), `.unreadableFile` (a missing `.pts`
    ///   file).
    public init(opening location: SplitLocation) throws(DatasetError) {
        let files = location.files
        var names: [String] = [], crops: [ThreeHundredWCrop] = [], values: [Float] = []
        for subset in Self.subsets(train: location.train) {
            let matPath = location.path(Self.boxFile(subset.boxes))
            for entry in try Self.boxes(MATv5File.read(path: matPath, from: files), path: matPath)
            where subset.boxes != "ibug" || entry.name.hasPrefix("image") {
                let relative = subset.folder + "/" + entry.name
                guard let crop = ThreeHundredWCrop(box: entry.box) else { continue } // validated in boxes()
                let points = try Self.parsePoints(location.path(String(relative.dropLast(3)) + "pts"), from: files)
                names.append(relative)
                crops.append(crop)
                values += crop.keypoints(points, imageWidth: location.preprocessing.imageWidth)
            }
        }
        split = AnnotatedSplit(location, names: names, keypointValues: values)
        self.crops = crops
    }

    /// `[(bb['imgName'][0,0][0], bb['bb_ground_truth'][0,0][0]) for bb in bounding_boxes[0]]`.
    /// Accepts the cell-of-structs layout of the iBUG files and a plain struct array.
    static func boxes(_ mat: MATv5File, path: String) throws(DatasetError) -> [(name: String, box: [Double])] {
        guard let value = mat["bounding_boxes"] else {
            throw .matFile(path: path, reason: "no variable `bounding_boxes` (variables: \(mat.variables.map(\.name).joined(separator: ", ")))")
        }
        let structs: [MATValue]
        switch value {
        case .cell(_, let elements): structs = elements
        case .structure(_, let fields, let elements):
            structs = elements.map { .structure(dimensions: [1, 1], fieldNames: fields, elements: [$0]) }
        default: throw .matFile(path: path, reason: "`bounding_boxes` is \(value.summary), expected a cell array of structs")
        }
        var out: [(String, [Double])] = []
        for (i, s) in structs.enumerated() {
            guard let nameValue = s.field("imgName"), let imageName = nameValue.string, !imageName.isEmpty else {
                throw .matFile(path: path, reason: "`bounding_boxes` entry \(i + 1) has no imgName text")
            }
            guard case .numeric(let box)? = s.field("bb_ground_truth"), box.real.count >= 4,
                  box.real.prefix(4).allSatisfy(\.isFinite) else {
                throw .matFile(path: path, reason: "`bounding_boxes` entry \(i + 1) (\(imageName)) has no 4-value bb_ground_truth")
            }
            // `[0]` of a 1×4 array is its first row: xmin, ymin, xmax, ymax (column-major 1×4 = in order).
            let values = Array(box.real.prefix(4))
            guard ThreeHundredWCrop(box: values) != nil else {
                throw .matFile(path: path, reason: "`bounding_boxes` entry \(i + 1) (\(imageName)) has an unusable box \(values)")
            }
            out.append((imageName, values))
        }
        return out
    }

    /// A `.pts` file: `kp.split()[5:-1]` must be 136 numbers → 68 float32 (x, y) pairs.
    static func parsePoints(_ path: String, from files: any DatasetFileSource) throws(DatasetError) -> [Float] {
        let text = try AnnotationText.read(path, from: files)
        let fields = text.lines().flatMap(\.fields)
        let inner = fields.count > 6 ? Array(fields[5..<(fields.count - 1)]) : []
        guard inner.count == 136 else {
            let line = fields.last?.line ?? 1
            throw .malformedLine(path: path, line: line,
                                 reason: "expected `version: 1`, `n_points: 68`, `{`, 68 `x y` lines and `}`; found \(inner.count) values between the header and the last token")
        }
        var out = [Float]()
        out.reserveCapacity(136)
        for field in inner { out.append(Float(try text.double(field, "a coordinate"))) }
        return out
    }

    public func imagePath(at index: Int) -> String { DatasetFiles.join(root, name(at: index, in: names)) }

    public func preprocessedImage(at index: Int) throws(DatasetError) -> RGBImage {
        let path = imagePath(at: index)
        let decoded = try decodedImage(at: index, path: path)
        let face = try crops[index].apply(decoded, path: path)
        return ImageGeometry.resizeShorterSide(face, to: preprocessing.imageWidth)
    }

    /// Writes a `bounding_boxes_<set>.mat` the way the iBUG files are laid out: `bounding_boxes`, a
    /// 1×N cell of 1×1 structs with `imgName` (char), `bb_detector` and `bb_ground_truth` (1×4
    /// double, `[xmin, ymin, xmax, ymax]`, 1-based pixels). For tests and `dvebench synth`.
    public static func writeBoxFile(path: String, entries: [(imageName: String, box: [Double])]) throws(DatasetError) {
        var cells: [MATValue] = []
        for entry in entries {
            guard entry.box.count == 4 else { throw .invalidOptions("writeBoxFile: \(entry.imageName) needs 4 box values") }
            let box = MATv5Writer.doubles(entry.box, dimensions: [1, 4])
            cells.append(.structure(dimensions: [1, 1], fieldNames: ["imgName", "bb_detector", "bb_ground_truth"],
                                    elements: [[MATv5Writer.text(entry.imageName), box, box]]))
        }
        try MATv5Writer.write([("bounding_boxes", .cell(dimensions: [1, cells.count], elements: cells))], toPath: path)
    }

    /// Writes a `.pts` file in the iBUG format (`version: 1`, `n_points: 68`, braces, "x y" lines).
    public static func writePoints(path: String, points: [Double]) throws(DatasetError) {
        guard points.count == 136 else { throw .invalidOptions("writePoints: \(points.count) values, need 136") }
        var text = "version: 1\nn_points:  68\n{\n"
        for k in 0..<68 { text += "\(points[2 * k]) \(points[2 * k + 1])\n" }
        text += "}\n"
        do { try text.write(toFile: path, atomically: true, encoding: .utf8) } catch {
            throw .unreadableFile(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }
}

/// The reference's 300-W face crop for one ground-truth box `[xmin, ymin, xmax, ymax]` (float64,
/// MATLAB 1-based), exactly:
/// ```
/// bw = xmax − xmin + 1; bh = ymax − ymin + 1; bcx = xmin + (bw + 1)/2; bcy = ymin + (bh + 1)/2
/// fac = 52 / bw;  resize to (int(W·fac), int(H·fac)), NEAREST
/// bcx_ = floor(fac·bcx); bcy_ = floor(fac·bcy)
/// window: columns bcx_ − 50 …< bcx_ + 50, rows bcy_ − 52 …< bcy_ + 48 (black outside the image)
/// kp = ((kp·fac − (left, top)) − 1)·imwidth / 100        (float32, as numpy computes it)
/// ```
public struct ThreeHundredWCrop: Sendable, Equatable {
    public let scale: Double
    /// The window's top-left corner in the rescaled image (`bx − 1`, `by − 1`).
    public let left: Int
    public let top: Int

    /// Nil unless the box has 4 finite values with `xmax − xmin + 1 > 0` and a centre that fits
    /// the rescaled image's integer coordinates.
    public init?(box: [Double]) {
        guard box.count >= 4, box.prefix(4).allSatisfy(\.isFinite) else { return nil }
        let (xmin, ymin, xmax, ymax) = (box[0], box[1], box[2], box[3])
        let bw = xmax - xmin + 1, bh = ymax - ymin + 1
        let bcy = ymin + (bh + 1) / 2, bcx = xmin + (bw + 1) / 2
        scale = 52 / bw
        let fx = (scale * bcx).rounded(.down), fy = (scale * bcy).rounded(.down)
        guard bw > 0, fx.isFinite, fy.isFinite, abs(fx) < 1e9, abs(fy) < 1e9 else { return nil }
        let cx = Int(fx), cy = Int(fy)
        // bx = int(cx − 26 + 1 − 24), by = int(cy − 26 + 1 − 24 − 2); the window starts at bx − 1, by − 1.
        left = cx - 50
        top = cy - 52
    }

    /// The keypoint mapping of `__getitem__`, in numpy's float32 arithmetic.
    public func keypoints(_ points: [Float], imageWidth: Int) -> [Float] {
        let fac = Float(scale), w = Float(imageWidth)
        var out = [Float](repeating: 0, count: points.count)
        for k in 0..<(points.count / 2) {
            out[2 * k] = (((points[2 * k] * fac) - Float(left)) - 1) * w / 100
            out[2 * k + 1] = (((points[2 * k + 1] * fac) - Float(top)) - 1) * w / 100
        }
        return out
    }

    /// NEAREST resize by `scale`, then the 100×100 window with black padding.
    public func apply(_ image: RGBImage, path: String) throws(DatasetError) -> RGBImage {
        let w = Double(image.width) * scale, h = Double(image.height) * scale
        guard w.isFinite, h.isFinite, w >= 1, h >= 1, w < 1e6, h < 1e6 else {
            throw .preprocessing(path: path, reason: "the face box scales the \(image.width)×\(image.height) image by \(scale) to \(Int(w.isFinite ? w : 0))×\(Int(h.isFinite ? h : 0))")
        }
        let resized = PillowResize.nearest(image, width: Int(w), height: Int(h))
        return ImageGeometry.crop(resized, left: left, top: top, width: 100, height: 100)
    }
}
