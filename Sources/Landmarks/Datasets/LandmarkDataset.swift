import ImageIO
import Tensors

/// The per-model preprocessing constants every DVE config sets on its dataset (datasets.md §1):
/// `imwidth` (the square size the initial transforms produce and the warper works at) and `crop`
/// (removed on every side before the network: `imwidth − 2·crop` is the network input).
public struct DatasetPreprocessing: Sendable, Hashable, Codable, CustomStringConvertible {
    public let imageWidth: Int
    public let crop: Int

    /// - Throws: `.invalidOptions` unless `imageWidth ≥ 2`, `crop ≥ 0` and `imageWidth − 2·crop ≥ 2`.
    public init(imageWidth: Int, crop: Int) throws(DatasetError) {
        guard imageWidth >= 2, crop >= 0, imageWidth - 2 * crop >= 2 else {
            throw .invalidOptions("imwidth \(imageWidth) with crop \(crop) leaves no image (need imwidth − 2·crop ≥ 2)")
        }
        self.imageWidth = imageWidth
        self.crop = crop
    }

    private init(unchecked imageWidth: Int, _ crop: Int) {
        self.imageWidth = imageWidth
        self.crop = crop
    }

    /// SmallNet configs: imwidth 100, crop 15 → 70×70 input.
    public static let smallNet = DatasetPreprocessing(unchecked: 100, 15)
    /// Hourglass configs: imwidth 136, crop 20 → 96×96 input.
    public static let hourglass = DatasetPreprocessing(unchecked: 136, 20)

    /// `imwidth − 2·crop`, the side of what the network sees.
    public var croppedWidth: Int { imageWidth - 2 * crop }

    public var description: String { "imwidth=\(imageWidth) crop=\(crop)" }
}

/// One item after the dataset's `initial_transforms` (crop and resize to imwidth × imwidth), the
/// state the reference hands to `to_tensor · 255` and the warper.
public struct PreprocessedItem: Sendable, Equatable {
    /// imwidth × imwidth RGB.
    public var image: RGBImage
    /// K `(x, y)` pairs, pixels of the imwidth frame (before the `crop`), in the reference's float32
    /// arithmetic.
    public var keypoints: [Float]
    /// The image file.
    public var path: String
}

/// A real dataset split in the reference's item order. Items are decoded lazily, on access; the
/// annotations are parsed once, when the dataset is opened.
///
/// JPEGs are decoded with `JPEGWarningPolicy.tolerateRecoverable` by default, i.e. like Pillow:
/// libjpeg's recoverable warnings (e.g. "extraneous bytes before marker", common in web-scraped
/// face sets) do not fail the item, because the reference trained and evaluated on those images;
/// truncated files still fail. Pass `.reject` to a dataset's initialiser to audit a copy.
///
/// Conforming datasets are `TrainingImageSource`s (the Trainer's pre-warp images) and
/// `EvaluationImageSource`s (the matching protocol) through the extension below; `regression()`
/// gives the `KeypointImageSource` of the regression protocol.
public protocol LandmarkDataset: TrainingImageSource, EvaluationImageSource {
    /// Reference class and split, e.g. `"MAFLAligned/test"`.
    var name: String { get }
    /// The data root the dataset was opened from.
    var root: String { get }
    var preprocessing: DatasetPreprocessing { get }
    /// K: 5, or 68 for 300-W.
    var keypointCount: Int { get }
    /// `eye_kp_idxs` of the reference class.
    var eyes: EyeIndices { get }
    /// The size the reference asserts (or its README states) for this split on the real data; nil
    /// when it has none.
    var referenceCount: Int? { get }
    /// Extra preprocessing choices that change pixels (e.g. `"hq=1"`), for cache identities.
    var variant: String { get }
    /// The item's file name as the reference lists it (relative to its image directory).
    func itemName(at index: Int) -> String
    /// The item's keypoints in the imwidth frame (no I/O).
    func keypoints(at index: Int) throws(DatasetError) -> [Float]
    /// Reads, decodes and preprocesses the item's image to imwidth × imwidth.
    func preprocessedImage(at index: Int) throws(DatasetError) -> RGBImage
}

extension LandmarkDataset {
    public var variant: String { "" }

    /// Image and keypoints of one item.
    public func preprocessed(at index: Int) throws(DatasetError) -> PreprocessedItem {
        let image = try preprocessedImage(at: index)
        return PreprocessedItem(image: image, keypoints: try keypoints(at: index), path: itemName(at: index))
    }

    /// `TrainingImageSource`: `to_tensor(initial_transforms(im)) · 255`, (3, imwidth, imwidth).
    public func image(at index: Int) throws -> Tensor {
        ImageGeometry.tensorTimes255(try preprocessedImage(at: index))
    }

    /// `EvaluationImageSource`: the image as for training, keypoints (K, 2) in the imwidth frame.
    public func item(at index: Int) throws -> EvaluationItem {
        let item = try preprocessed(at: index)
        return EvaluationItem(image: ImageGeometry.tensorTimes255(item.image),
                              keypoints: Tensor(shape: [keypointCount, 2], storage: item.keypoints))
    }

    /// The split as the regression protocol reads it (no warper, no augmentation).
    public func regression() -> DatasetRegressionSource<Self> { DatasetRegressionSource(self) }

    /// Throws `.unexpectedCount` when the split size differs from the reference's (use on real
    /// data, where a wrong count means a wrong or incomplete copy).
    public func validateReferenceCount() throws(DatasetError) {
        if let expected = referenceCount, expected != count {
            throw .unexpectedCount(dataset: name, expected: expected, got: count)
        }
    }

    /// Every part of the name that changes an item, for cache keys and reports.
    public var identity: String {
        let extra = variant.isEmpty ? "" : " \(variant)"
        return "\(name) \(preprocessing)\(extra) root=\(root)"
    }

    /// `names[index]`, or a placeholder for an index outside the split (never traps).
    func name(at index: Int, in names: [String]) -> String {
        names.indices.contains(index) ? names[index] : "<no item \(index) in \(name)>"
    }

    func checkIndex(_ index: Int) throws(DatasetError) {
        guard index >= 0 && index < count else { throw .indexOutOfRange(dataset: name, index: index, count: count) }
    }
}

/// The `use_keypoints=True`, no-warper path of `__getitem__` (regression training and evaluation):
/// `Normalize(ToTensor(initial(im)))[:, c:−c, c:−c]` and `kp − c` (float32).
public struct DatasetRegressionSource<Dataset: LandmarkDataset>: KeypointImageSource {
    public let dataset: Dataset

    public init(_ dataset: Dataset) { self.dataset = dataset }

    public var identity: String { dataset.identity }
    public var count: Int { dataset.count }
    public var keypointCount: Int { dataset.keypointCount }
    public var eyes: EyeIndices { dataset.eyes }
    public var imageHeight: Int { dataset.preprocessing.croppedWidth }
    public var imageWidth: Int { dataset.preprocessing.croppedWidth }

    public func item(at index: Int) throws -> KeypointImage {
        let item = try dataset.preprocessed(at: index)
        let c = dataset.preprocessing.crop, w = dataset.preprocessing.imageWidth
        let chw = WarpedImageConversion.normalized(interleaved: item.image)
        var cropped = [Float]()
        cropped.reserveCapacity(3 * (w - 2 * c) * (w - 2 * c))
        for channel in 0..<3 {
            for y in c..<(w - c) {
                let row = (channel * w + y) * w
                cropped += chw[(row + c)..<(row + w - c)]
            }
        }
        let side = w - 2 * c
        return KeypointImage(image: Tensor(shape: [3, side, side], storage: cropped),
                             keypoints: Tensor(shape: [keypointCount, 2], storage: item.keypoints.map { $0 - Float(c) }))
    }
}

extension WarpedImageConversion {
    /// `Normalize(ToTensor(image))` as CHW floats: `(Float(u) / 255 − mean[c]) / std[c]` in float32.
    public static func normalized(interleaved image: RGBImage, mean: [Float] = mean, std: [Float] = std) -> [Float] {
        let plane = image.width * image.height
        var out = [Float](repeating: 0, count: 3 * plane)
        image.pixels.withUnsafeBufferPointer { src in
            for c in 0..<3 {
                let m = mean[c], s = std[c]
                for i in 0..<plane { out[c * plane + i] = (Float(src[3 * i + c]) / 255 - m) / s }
            }
        }
        return out
    }
}
