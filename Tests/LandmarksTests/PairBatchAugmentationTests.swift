import Foundation
import Landmarks
import Tensors
import Testing
import TestSupport

/// `PairBatchBuilder` with the training split's photometric augmentation, and the trainer's switch
/// for it.
@Suite struct PairBatchAugmentationTests {
    static let images = InMemoryImageSource(SyntheticImages.blobs(count: 3, size: 40, seed: 17))
    static let indices = [2, 0, 1]
    static let seeds: [UInt64] = [11, 12, 13]

    static func builder(_ augmentation: PhotometricAugmentation?) throws -> PairBatchBuilder {
        PairBatchBuilder(source: images, warper: try Warper(height: 40, width: 40), crop: 5, augmentation: augmentation)
    }

    /// Item `slot`'s A (0) or B (1) image, (3, 30, 30) normalised.
    static func image(_ batch: PairBatch, slot: Int, _ which: Int) -> ArraySlice<Float> {
        let n = 3 * 30 * 30, start = (2 * slot + which) * n
        return batch.images.storage[start..<(start + n)]
    }

    @Test func augmentedBatchesAreDeterministicAndKeepTheWarps() throws {
        let plain = try Self.builder(nil).batch(indices: Self.indices, seeds: Self.seeds)
        let augmented = try Self.builder(.reference)
        let one = try ComputeThreads.withCount(1) { try augmented.batch(indices: Self.indices, seeds: Self.seeds) }
        let two = try ComputeThreads.withCount(2) { try augmented.batch(indices: Self.indices, seeds: Self.seeds) }
        #expect(one.images.storage == two.images.storage && one.grid.storage == two.grid.storage)
        // The warps are drawn before the augmentation, so the grids (and geometry) are the plain ones.
        #expect(one.grid.storage == plain.grid.storage)
        for slot in 0..<3 {
            for which in 0..<2 {
                #expect(Self.image(one, slot: slot, which) != Self.image(plain, slot: slot, which), "item \(slot) image \(which) not augmented")
            }
        }
        let other = try augmented.batch(indices: Self.indices, seeds: [11, 12, 14])
        #expect(Self.image(other, slot: 0, 0) == Self.image(one, slot: 0, 0))
        #expect(Self.image(other, slot: 2, 0) != Self.image(one, slot: 2, 0))
        // Every step switched off is exactly the un-augmented pipeline.
        let none = PhotometricAugmentation(jpegNoise: nil, colorJitter: nil, pcaLighting: nil)
        #expect(try Self.builder(none).batch(indices: Self.indices, seeds: Self.seeds).images.storage == plain.images.storage)
    }

    /// With PCA lighting alone, every pixel of A moves by A's offset / std[c] and every pixel of B by
    /// B's: the offsets come from the item's generator right after its two warps, A's first.
    @Test func augmentationRunsAfterTheWarpOnAThenBFromTheItemStream() throws {
        let pcaOnly = PhotometricAugmentation(jpegNoise: nil, colorJitter: nil, pcaLighting: PCALighting())
        let plain = try Self.builder(nil).batch(indices: Self.indices, seeds: Self.seeds)
        let lit = try Self.builder(pcaOnly).batch(indices: Self.indices, seeds: Self.seeds)
        let warper = try Warper(height: 40, width: 40)
        for (slot, seed) in Self.seeds.enumerated() {
            var generator = SeededGenerator(seed: seed)
            _ = warper.randomWeights(using: &generator)
            let offsets = [PCALighting().draw(using: &generator), PCALighting().draw(using: &generator)]
            #expect(offsets[0] != offsets[1])
            for which in 0..<2 {
                let a = Array(Self.image(lit, slot: slot, which)), p = Array(Self.image(plain, slot: slot, which))
                for c in 0..<3 {
                    let expected = offsets[which][c] / WarpedImageConversion.std[c]
                    let plane = (c * 900)..<((c + 1) * 900)
                    let worst = plane.map { abs((a[$0] - p[$0]) - expected) }.max() ?? .infinity
                    #expect(worst < 1e-5, "item \(slot) image \(which) channel \(c): off by \(worst)")
                }
            }
        }
        // The full augmentation equals `PairItemBuilder`'s training item for the same seed.
        let full = try Self.builder(.reference).batch(indices: Self.indices, seeds: Self.seeds)
        let items = PairItemBuilder(warper: warper, crop: 5, augmentation: .reference)
        for (slot, seed) in Self.seeds.enumerated() {
            let item = try items.trainingItem(Self.images, index: Self.indices[slot], seed: seed)
            #expect(Array(item.data.storage) == Array(Self.image(full, slot: slot, 0) + Self.image(full, slot: slot, 1)))
        }
    }

    @Test func theTrainerTakesTheSwitchFromItsConfiguration() throws {
        #expect(try TrainingConfiguration.smallNetCelebA(outputChannels: 16, dve: true).photometricAugmentation)
        #expect(try TrainingConfiguration.hourglassCelebA().photometricAugmentation)
        var on = try tinyConfiguration(steps: 1)
        on.imageWidth = 40
        on.crop = 5
        var off = on
        off.photometricAugmentation = false
        let images = Self.images
        let augmented = try Trainer(configuration: on, source: images), plain = try Trainer(configuration: off, source: images)
        #expect(augmented.builder.augmentation == .reference && plain.builder.augmentation == nil)
        let position = TrainingPosition(epoch: 1, iteration: 0)
        let a = try augmented.batch(at: position), b = try plain.batch(at: position)
        #expect(a.grid.storage == b.grid.storage && a.images.storage != b.images.storage)
        #expect(try augmented.batch(at: position).images.storage == a.images.storage)
    }

    @Test func configurationsWithoutTheFieldDecodeWithAugmentationOff() throws {
        let recipe = try TrainingConfiguration.smallNetCelebA(outputChannels: 32, dve: false, seed: 5)
        let encoded = try JSONEncoder().encode(recipe)
        #expect(try JSONDecoder().decode(TrainingConfiguration.self, from: encoded) == recipe)
        var object = try #require(try JSONSerialization.jsonObject(with: encoded) as? [String: Any])
        #expect(object.removeValue(forKey: "photometricAugmentation") as? Bool == true)
        let old = try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        var expected = recipe
        expected.photometricAugmentation = false
        #expect(old == expected)
        object.removeValue(forKey: "seed")
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(TrainingConfiguration.self, from: JSONSerialization.data(withJSONObject: object))
        }
    }
}
