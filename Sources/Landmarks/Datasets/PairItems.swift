import ImageIO
import Tensors

/// One item of the pair path of the reference's `__getitem__` (warper.md §4, datasets.md §2):
/// `data = stack(A, B)` and `meta = {grid, flow, index, kp1, kp2}`.
public struct PairItem: Sendable {
    public var index: Int
    /// (2, 3, Hc, Wc): the **doubly** warped A, then the singly warped B, each uint8-truncated,
    /// (augmented,) `ToTensor` + `Normalize`d.
    public var data: Tensor
    /// `meta["grid"]`, (Hc, Wc, 2): for each pixel of A, its position in B, normalised to the cropped
    /// frame (values outside [−1, 1] kept).
    public var grid: Tensor
    /// `meta["flow"]`, (Hc, Wc, 2), pixels (unused by every loss).
    public var flow: Tensor
    /// `meta["kp1"]` (keypoints of A) and `meta["kp2"]` (of B): (K, 2) pixels of the cropped frame;
    /// nil without keypoints.
    public var kp1: Tensor?
    public var kp2: Tensor?
    /// The two warps used (first = g1 giving B, second = g2 giving A from B).
    public var weights: (first: TPSWeights, second: TPSWeights)
}

/// Turns pre-warp items (image (3, imwidth, imwidth) in [0, 255], keypoints in the imwidth frame)
/// into `PairItem`s exactly as the reference datasets do:
/// `Warper(im, keypts, crop)` → `.to(torch.uint8)` (truncation) → per image (A first, then B)
/// `transforms` = augmentation (training only) + `ToTensor` + `Normalize`.
///
/// * Training (`training(...)`): `Warper` with the training defaults (TPS amplitudes 0.001/0.01/0.1/
///   0.1/5°, first warp at half the RBF amplitude), weights drawn from the item's generator, then
///   `PhotometricAugmentation.reference` on A and on B from the same generator (weights first).
///   A generator seeded with the item seed reproduces `PairBatchBuilder`'s per-item stream.
/// * Evaluation (`evaluation(...)`): `Warper.evaluation` (half the amplitudes, both multipliers 1),
///   weights supplied per item (the recorded `expected/eval-warps/*.h5` parameters, read by
///   `Harness.EvalWarpsFile`), no augmentation.
public struct PairItemBuilder: Sendable {
    public let warper: Warper
    public let crop: Int
    /// nil: no photometric augmentation (`train=False` or `do_augmentations=False`).
    public let augmentation: PhotometricAugmentation?

    public init(warper: Warper, crop: Int, augmentation: PhotometricAugmentation?) {
        self.warper = warper
        self.crop = crop
        self.augmentation = augmentation
    }

    /// The unsupervised training / finetuning pair generator.
    public static func training(_ preprocessing: DatasetPreprocessing,
                                augmentation: PhotometricAugmentation? = .reference,
                                linspace: Linspace.Variant = .torch1_13) throws(DatasetError) -> PairItemBuilder {
        do {
            let warper = try Warper(height: preprocessing.imageWidth, width: preprocessing.imageWidth, linspace: linspace)
            return PairItemBuilder(warper: warper, crop: preprocessing.crop, augmentation: augmentation)
        } catch { throw .invalidOptions("training warper: \(error)") }
    }

    /// `test_matching.py`'s pair generator (no augmentation).
    public static func evaluation(_ preprocessing: DatasetPreprocessing,
                                  linspace: Linspace.Variant = .torch1_13) throws(DatasetError) -> PairItemBuilder {
        do {
            let warper = try Warper.evaluation(imageSize: preprocessing.imageWidth, linspace: linspace)
            return PairItemBuilder(warper: warper, crop: preprocessing.crop, augmentation: nil)
        } catch { throw .invalidOptions("evaluation warper: \(error)") }
    }

    /// One item from an image and optional keypoints. `weights` nil draws them from `generator`
    /// (first warp, then second); the augmentation then draws from the same generator.
    public func makeItem(index: Int, image: Tensor, keypoints: Tensor?,
                         weights: (first: TPSWeights, second: TPSWeights)?,
                         using generator: inout SeededGenerator) throws(DatasetError) -> PairItem {
        let chosen = weights ?? warper.randomWeights(using: &generator)
        let pair: WarpedPair
        do { pair = try warper.warp(image, keypoints: keypoints, crop: crop, weights: chosen) } catch {
            throw .pairItem(index: index, reason: "warp: \(error)")
        }
        let data: Tensor
        if let augmentation {
            data = try pair.augmentedData(augmentation, using: &generator)
        } else {
            do { data = try pair.datasetData().data } catch { throw .pairItem(index: index, reason: "\(error)") }
        }
        let (hc, wc) = (pair.im1.shape[1], pair.im1.shape[2])
        return PairItem(index: index, data: data,
                        grid: Tensor(shape: [hc, wc, 2], storage: pair.grid.storage),
                        flow: Tensor(shape: [hc, wc, 2], storage: pair.flow.storage),
                        kp1: pair.kp1, kp2: pair.kp2, weights: chosen)
    }

    /// A training item without keypoints (`use_keypoints=False`, the unsupervised configs): the
    /// generator is `SeededGenerator(seed: seed)`, as in `PairBatchBuilder`.
    public func trainingItem(_ source: any TrainingImageSource, index: Int, seed: UInt64) throws(DatasetError) -> PairItem {
        let image: Tensor
        do { image = try source.image(at: index) } catch let error as DatasetError { throw error } catch {
            throw .pairItem(index: index, reason: "image source: \(error)")
        }
        var generator = SeededGenerator(seed: seed)
        return try makeItem(index: index, image: image, keypoints: nil, weights: nil, using: &generator)
    }

    /// A training item with keypoints (`use_keypoints=True`).
    public func trainingItem(_ dataset: some LandmarkDataset, index: Int, seed: UInt64,
                             withKeypoints: Bool) throws(DatasetError) -> PairItem {
        guard withKeypoints else { return try trainingItem(dataset, index: index, seed: seed) }
        let item = try dataset.preprocessed(at: index)
        var generator = SeededGenerator(seed: seed)
        return try makeItem(index: index, image: ImageGeometry.tensorTimes255(item.image),
                            keypoints: Tensor(shape: [dataset.keypointCount, 2], storage: item.keypoints),
                            weights: nil, using: &generator)
    }

    /// An evaluation item with the recorded warps of item `index` (`warps[index]`).
    public func evaluationItem(_ source: any EvaluationImageSource, index: Int,
                               warps: [(first: TPSWeights, second: TPSWeights)]) throws(DatasetError) -> PairItem {
        guard warps.indices.contains(index) else {
            throw .pairItem(index: index, reason: "no warp parameters (\(warps.count) supplied; the last item of an odd-sized set has none)")
        }
        let item: EvaluationItem
        do { item = try source.item(at: index) } catch let error as DatasetError { throw error } catch {
            throw .pairItem(index: index, reason: "item source: \(error)")
        }
        var unused = SeededGenerator(seed: 0) // no augmentation in evaluation: nothing is drawn
        return try makeItem(index: index, image: item.image, keypoints: item.keypoints, weights: warps[index], using: &unused)
    }
}

extension WarpedPair {
    /// The training `data` of this pair: A and B truncated to uint8, each through `augmentation`
    /// (A first) and `Normalize(mean, std)`, stacked to (2, C, Hc, Wc). Draws from `generator`.
    ///
    /// This is the step `PairBatchBuilder` lacks: call it in place of `datasetData()` with the
    /// generator that drew the warp.
    public func augmentedData(_ augmentation: PhotometricAugmentation,
                              mean: [Float] = WarpedImageConversion.mean, std: [Float] = WarpedImageConversion.std,
                              using generator: inout SeededGenerator) throws(DatasetError) -> Tensor {
        guard im1.rank == 3, im1.shape[0] == 3, im2.shape == im1.shape else {
            throw .augmentation("warped images have shapes \(im1.shape), \(im2.shape); expected (3, H, W)")
        }
        let (h, w) = (im1.shape[1], im1.shape[2])
        var out = [Float]()
        out.reserveCapacity(2 * im1.count)
        for image in [im1, im2] {
            let bytes = WarpedImageConversion.truncatingToUInt8(image.storage)
            let rgb = ImageGeometry.image(fromCHW: bytes[...], width: w, height: h)
            out += try augmentation.normalized(rgb, mean: mean, std: std, using: &generator)
        }
        return Tensor(shape: [2, 3, h, w], storage: out)
    }
}

extension EvaluationWarps {
    /// Checks that the recorded item names (MAFL's file) match `dataset`'s items in order, so the
    /// warps are applied to the images they were drawn for. A file without names passes when the
    /// counts agree.
    public func checkItems(of dataset: some LandmarkDataset) throws(DatasetError) {
        guard itemsInSet == dataset.count else {
            throw .inconsistentAnnotations(path: name, reason: "warps for \(itemsInSet) items, \(dataset.name) has \(dataset.count)")
        }
        guard let itemNames else { return }
        for (i, recorded) in itemNames.enumerated() where i < dataset.count {
            let ours = dataset.itemName(at: i)
            guard recorded == ours || recorded.hasSuffix("/" + ours) || ours.hasSuffix("/" + recorded) else {
                throw .inconsistentAnnotations(path: name, reason: "item \(i) is \(recorded) in the warps file but \(ours) in \(dataset.name)")
            }
        }
    }
}
