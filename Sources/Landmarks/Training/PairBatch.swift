import Foundation
import Tensors

/// One training batch as the reference collates it: images `[a.im1, a.im2, b.im1, b.im2, …]`
/// (2B, 3, Hc, Wc), normalised, and each pair's `grid` (B, Hc, Wc, 2) mapping im1 pixels into im2.
public struct PairBatch: Sendable {
    public var images: Tensor
    public var grid: Tensor
}

/// Builds pair batches from a source with the pair path of the reference's `__getitem__`
/// (warper.md §4, datasets.md §2): image in [0, 255] → `Warper` (two TPS warps, crop) → uint8
/// truncation → per image, A first then B, the training `transforms` (photometric augmentation when
/// `augmentation` is set) → ToTensor + Normalize.
///
/// Items are prepared in parallel. Each item draws from its own generator, seeded with its item
/// seed: first the two warps, then A's augmentation, then B's — the stream `PairItemBuilder` uses —
/// so a batch depends only on the item seeds, never on the thread count or on other items.
public struct PairBatchBuilder: Sendable {
    public let source: any TrainingImageSource
    public let warper: Warper
    public let crop: Int
    /// The train split's `do_augmentations` transforms; nil for none (the reference's validation
    /// pairs, and runs that switch them off).
    public let augmentation: PhotometricAugmentation?

    public init(source: any TrainingImageSource, warper: Warper, crop: Int, augmentation: PhotometricAugmentation? = nil) {
        self.source = source
        self.warper = warper
        self.crop = crop
        self.augmentation = augmentation
    }

    public var croppedSize: (height: Int, width: Int) { (warper.height - 2 * crop, warper.width - 2 * crop) }

    public func batch(indices: [Int], seeds: [UInt64]) throws(TrainingError) -> PairBatch {
        precondition(indices.count == seeds.count, "one seed per item")
        let (hc, wc) = croppedSize
        let imageSize = 3 * hc * wc, gridSize = hc * wc * 2
        let slots = ItemSlots(count: indices.count)
        let source = self.source, warper = self.warper, crop = self.crop, augmentation = self.augmentation
        ParallelWork.chunks(total: indices.count) { _, items in
            for item in items {
                let index = indices[item]
                do {
                    let image: Tensor
                    do { image = try source.image(at: index) } catch {
                        throw TrainingError.imageSource(index: index, underlying: "\(error)")
                    }
                    guard image.shape == [3, warper.height, warper.width] else {
                        throw TrainingError.imageShape(index: index, expected: [3, warper.height, warper.width], got: image.shape)
                    }
                    var generator = SeededGenerator(seed: seeds[item])
                    let pair: WarpedPair
                    do { pair = try warper(image, crop: crop, using: &generator) } catch {
                        throw TrainingError.warp(index: index, underlying: "\(error)")
                    }
                    let data: Tensor
                    if let augmentation {
                        do { data = try pair.augmentedData(augmentation, using: &generator) } catch {
                            throw TrainingError.augmentation(index: index, underlying: "\(error)")
                        }
                    } else {
                        do { data = try pair.datasetData().data } catch {
                            throw TrainingError.warp(index: index, underlying: "\(error)")
                        }
                    }
                    slots.store(item, .success((data.storage, pair.grid.storage)))
                } catch let error as TrainingError {
                    slots.store(item, .failure(error))
                } catch {
                    slots.store(item, .failure(.imageSource(index: index, underlying: "\(error)")))
                }
            }
        }
        var images = [Float](), grid = [Float]()
        images.reserveCapacity(indices.count * 2 * imageSize)
        grid.reserveCapacity(indices.count * gridSize)
        for result in slots.results() {
            switch result {
            case .success(let (data, g)):
                images += data
                grid += g
            case .failure(let error):
                throw error
            }
        }
        return PairBatch(images: Tensor(shape: [2 * indices.count, 3, hc, wc], storage: images),
                         grid: Tensor(shape: [indices.count, hc, wc, 2], storage: grid))
    }
}

/// Per-item results written from parallel workers; each slot is written once, under a lock.
private final class ItemSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<([Float], [Float]), TrainingError>?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ value: Result<([Float], [Float]), TrainingError>) {
        lock.withLock { values[index] = value }
    }

    func results() -> [Result<([Float], [Float]), TrainingError>] {
        lock.withLock { values.map { $0 ?? .failure(.imageSource(index: -1, underlying: "item never prepared")) } }
    }
}
