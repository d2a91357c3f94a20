import ImageIO
import Tensors

/// The limited-annotation training split (`configs/aflw-mtfl-limit-annos-ft-keypoints`,
/// datasets.md §2, warper.md §6): `restrict_annos(K)` keeps K picked training items and tiles them
/// to `⌊N/K⌋·K` entries (`np.tile`: entry i is pick `i mod K`), and `WarperSingle` warps every
/// entry once (the descriptor cache is built once, so each entry keeps its warp for all epochs).
///
/// Entry i: `WarperSingle(to_tensor(initial(im))·255, kp, crop)` with weights drawn from
/// `SeededGenerator(seed: derive(seed, i))` → uint8 truncation → `ToTensor` + `Normalize` (no
/// photometric augmentation in regression configs); keypoints from the warper (crop removed). With
/// `warper` nil the entries are the plain regression items (no warp).
public struct LimitedAnnotationSource<Dataset: LandmarkDataset>: KeypointImageSource {
    public let dataset: Dataset
    public let picks: [Int]
    public let count: Int
    public let warper: SingleWarper?
    public let seed: UInt64

    /// - Throws: `.invalidOptions` for an empty, duplicated or out-of-range pick list.
    public init(dataset: Dataset, picks: [Int], tile: Bool = true, warper: SingleWarper?, seed: UInt64) throws(DatasetError) {
        guard !picks.isEmpty, Set(picks).count == picks.count, picks.allSatisfy({ (0..<dataset.count).contains($0) }) else {
            throw .invalidOptions("limited-annotation picks \(picks) must be distinct indices in 0..<\(dataset.count)")
        }
        if let warper, warper.basis.width != dataset.preprocessing.imageWidth || warper.basis.height != dataset.preprocessing.imageWidth {
            throw .invalidOptions("WarperSingle is \(warper.basis.width)×\(warper.basis.height), the images \(dataset.preprocessing.imageWidth)²")
        }
        self.dataset = dataset
        self.picks = picks
        self.count = tile ? dataset.count / picks.count * picks.count : picks.count
        self.warper = warper
        self.seed = seed
    }

    /// `WarperSingle`'s defaults at the dataset's image width.
    public static func referenceWarper(for dataset: Dataset) throws(DatasetError) -> SingleWarper {
        let w = dataset.preprocessing.imageWidth
        do { return try SingleWarper(height: w, width: w) } catch { throw .invalidOptions("WarperSingle: \(error)") }
    }

    public var identity: String {
        let warp = warper.map { "single-warp(\($0.amplitudes)) seed=\(seed)" } ?? "no-warp"
        return "\(dataset.identity) picks=\(picks) entries=\(count) \(warp)"
    }
    public var keypointCount: Int { dataset.keypointCount }
    public var eyes: EyeIndices { dataset.eyes }
    public var imageHeight: Int { dataset.preprocessing.croppedWidth }
    public var imageWidth: Int { dataset.preprocessing.croppedWidth }

    /// The dataset item behind entry `index`.
    public func pick(at index: Int) -> Int { picks[((index % picks.count) + picks.count) % picks.count] }

    public func item(at index: Int) throws -> KeypointImage {
        guard index >= 0 && index < count else { throw DatasetError.indexOutOfRange(dataset: identity, index: index, count: count) }
        guard let warper else { return try dataset.regression().item(at: pick(at: index)) }
        let item = try dataset.preprocessed(at: pick(at: index))
        var generator = SeededGenerator(seed: SeededGenerator.derive(seed, UInt64(index)))
        let crop = dataset.preprocessing.crop
        do {
            let (image, keypoints) = try warper(ImageGeometry.tensorTimes255(item.image),
                                                keypoints: Tensor(shape: [keypointCount, 2], storage: item.keypoints),
                                                crop: crop, using: &generator)
            let bytes = WarpedImageConversion.truncatingToUInt8(image.storage)
            let data = try WarpedImageConversion.normalized(bytes, shape: image.shape)
            return KeypointImage(image: data, keypoints: keypoints ?? Tensor(shape: [keypointCount, 2]))
        } catch {
            throw DatasetError.pairItem(index: index, reason: "single warp: \(error)")
        }
    }
}

/// The training images the limited-annotation runs picked, per seed (datasets.md §2): numpy's
/// legacy `np.random.choice(10122, K, replace=False)` right after `np.random.seed(seed)`; the lists
/// are prefix-nested, so K picks are the first K. Indices are into the `set == 1` rows of
/// `facedata_cropped.csv` in file order (`AFLWMTFLDataset(train: true)` item order). That the runs
/// used seeds 0, 1, 2 is an assumption (the README says "three runs").
public enum LimitedAnnotationPicks {
    public static let referenceTrainCount = 10_122

    static let lists: [UInt64: [Int]] = [
        0: [3304, 3435, 6597, 3580, 7520, 8268, 5506, 3779, 1060, 1645, 2443, 565, 7216, 2767, 6042, 5608, 982, 3007, 6829, 9352],
        1: [8697, 6435, 7686, 6281, 1777, 2820, 2168, 2812, 6189, 6529, 1851, 911, 6729, 4625, 921, 1308, 8018, 6291, 7364, 3737],
        2: [5444, 6282, 6163, 2748, 4358, 9604, 8143, 5871, 359, 9083, 5149, 4593, 9312, 32, 2786, 3134, 6198, 4820, 2339, 2874],
    ]

    /// The first `count` (≤ 20) picks of seed 0, 1 or 2 for a train split of 10 122 items; nil
    /// otherwise (another seed, count or split size has no recorded picks).
    public static func reference(seed: UInt64, count: Int, trainCount: Int = referenceTrainCount) -> [Int]? {
        guard trainCount == referenceTrainCount, let list = lists[seed], count >= 1, count <= list.count else { return nil }
        return Array(list.prefix(count))
    }
}
