import Foundation
import ImageIO
import Landmarks
import Tensors
import Testing
import TestSupport

/// Item 4 — pairs for training (random warps + photometric augmentation) and evaluation (supplied
/// warps, no augmentation) — and the augmentation steps' determinism and ranges.
@Suite struct DatasetPairItemTests {
    static func dataset() throws -> (DatasetTree, CelebADataset) {
        let tree = try DatasetCelebATests.makeTree()
        return (tree, try CelebADataset(root: tree.path, split: .maflTest))
    }

    @Test func evaluationWithIdentityWarpsIsTheCroppedImage() throws {
        let (tree, data) = try Self.dataset()
        defer { tree.remove() }
        let builder = try PairItemBuilder.evaluation(.smallNet)
        let warps = Array(repeating: (first: TPSWeights.identity, second: TPSWeights.identity), count: 2)
        let item = try builder.evaluationItem(data, index: 1, warps: warps)
        #expect(item.data.shape == [2, 3, 70, 70] && item.grid.shape == [70, 70, 2] && item.flow.shape == [70, 70, 2])
        // With identity warps A = B = the preprocessed image cropped by 15, normalised.
        let expected = data.regression()
        let plain = try expected.item(at: 1).image.storage
        let a = Array(item.data.storage[0..<plain.count]), b = Array(item.data.storage[plain.count...])
        // Truncation of the float (u/255)·255 and of the near-integer bilinear taps can lose one level.
        let level: Float = 1.0 / 255 / 0.2323 + 1e-5
        #expect(zip(a, b).allSatisfy { abs($0 - $1) <= level })
        #expect(zip(a, plain).allSatisfy { abs($0 - $1) <= level })
        let kp = try data.keypoints(at: 1)
        let kp1 = try #require(item.kp1), kp2 = try #require(item.kp2)
        #expect(kp1.storage == kp2.storage)
        // Keypoints move to the nearest pixel-grid position, minus the crop.
        for i in 0..<10 { #expect(abs(kp2.storage[i] - (kp[i] - 15)) <= 0.5 + 1e-4) }
        #expect(abs(item.grid.storage[0] + 1) < 1e-5 && abs(item.grid.storage[item.grid.count - 1] - 1) < 1e-5)
        #expect(errorText { _ = try builder.evaluationItem(data, index: 2, warps: warps) }?
            .hasPrefix("pair item 2: no warp parameters (2 supplied") == true)
    }

    @Test func trainingItemsAreDeterministicPerSeedAndAugmented() throws {
        let (tree, data) = try Self.dataset()
        defer { tree.remove() }
        let builder = try PairItemBuilder.training(.smallNet)
        let plainBuilder = try PairItemBuilder.training(.smallNet, augmentation: nil)
        let a = try builder.trainingItem(data, index: 0, seed: 42)
        let b = try builder.trainingItem(data, index: 0, seed: 42)
        let c = try builder.trainingItem(data, index: 0, seed: 43)
        let plain = try plainBuilder.trainingItem(data, index: 0, seed: 42)
        #expect(a.data.storage == b.data.storage && a.grid.storage == b.grid.storage)
        #expect(a.data.storage != c.data.storage)
        // Same warps (drawn first from the same seed), different pixels once augmented.
        #expect(a.weights.first == plain.weights.first && a.weights.second == plain.weights.second)
        #expect(a.grid.storage == plain.grid.storage && a.data.storage != plain.data.storage)
        #expect(a.kp1 == nil && a.data.storage.allSatisfy(\.isFinite))
        // A and B are augmented independently: their means shift differently from the plain ones.
        let n = a.data.count / 2
        func mean(_ v: ArraySlice<Float>) -> Float { v.reduce(0, +) / Float(v.count) }
        let shiftA = mean(a.data.storage[0..<n]) - mean(plain.data.storage[0..<n])
        let shiftB = mean(a.data.storage[n...]) - mean(plain.data.storage[n...])
        #expect(shiftA != shiftB)
        let withKeypoints = try builder.trainingItem(data, index: 0, seed: 42, withKeypoints: true)
        #expect(withKeypoints.kp1?.shape == [5, 2] && withKeypoints.data.storage == a.data.storage)
    }

    @Test func augmentationIsDeterministicAndInRange() throws {
        let image = SyntheticPhoto.make(width: 70, height: 70, seed: 5)
        let aug = PhotometricAugmentation.reference
        var g1 = SeededGenerator(seed: 7), g2 = SeededGenerator(seed: 7), g3 = SeededGenerator(seed: 8)
        let x = try aug.augmented(image, using: &g1), y = try aug.augmented(image, using: &g2)
        let z = try aug.augmented(image, using: &g3)
        #expect(x == y && x != z && x.count == 3 * 70 * 70)
        // [0, 1] before PCA; PCA moves a channel by |Σ V·α·λ| ≲ 0.1 (α ≤ 0.5 at 5σ).
        #expect(x.allSatisfy { $0 > -0.15 && $0 < 1.15 })
        var stats = [Int](repeating: 0, count: 3), qualities = Set<Int>(), sizes = Set<Int>()
        var generator = SeededGenerator(seed: 11)
        for _ in 0..<2000 {
            let p = JPEGNoise().draw(width: 70, using: &generator)
            qualities.insert(p.quality); sizes.insert(p.resizedWidth)
            let jitter = ColorJitter().draw(using: &generator)
            #expect(jitter.steps.count == 3 && jitter.steps.allSatisfy { $0.factor >= 0.6 && $0.factor < 1.4 })
            stats[[ColorJitter.Adjustment.brightness, .contrast, .saturation].firstIndex(of: jitter.steps[0].adjustment)!] += 1
        }
        #expect(qualities.min() == 30 && qualities.max() == 98 && sizes.min() == 56)
        #expect(stats.allSatisfy { $0 > 550 }) // each adjustment comes first about a third of the time
        var pca = SeededGenerator(seed: 3)
        let offsets = PCALighting().draw(using: &pca)
        #expect(offsets.count == 3 && offsets.allSatisfy { abs($0) < 0.2 })
    }

    @Test func augmentedDataIsWhatPairBatchBuilderShouldUse() throws {
        let image = ImageGeometry.tensorTimes255(SyntheticPhoto.make(width: 100, height: 100, seed: 4))
        let warper = try Warper(height: 100, width: 100)
        var generator = SeededGenerator(seed: 99)
        let pair = try warper(image, crop: 15, using: &generator)
        let data = try pair.augmentedData(.reference, using: &generator)
        #expect(data.shape == [2, 3, 70, 70])
        // With every step disabled it equals the reference's un-augmented `datasetData()`.
        var unused = SeededGenerator(seed: 0)
        let none = PhotometricAugmentation(jpegNoise: nil, colorJitter: nil, pcaLighting: nil)
        #expect(try pair.augmentedData(none, using: &unused).storage == pair.datasetData().data.storage)
    }

    @Test func datasetsConformToTheProtocolInputs() throws {
        let (tree, data) = try Self.dataset()
        defer { tree.remove() }
        let training: any TrainingImageSource = data
        let evaluation: any EvaluationImageSource = data
        let regression: any KeypointImageSource = data.regression()
        #expect(training.count == 3 && evaluation.count == 3 && regression.count == 3)
        #expect(try evaluation.item(at: 0).keypoints.shape == [5, 2])
        let item = try regression.item(at: 2)
        #expect(item.image.shape == [3, 70, 70] && regression.imageWidth == 70 && regression.eyes == .fivePoint)
        #expect(item.keypoints.storage == (try data.keypoints(at: 2)).map { $0 - 15 })
        #expect(regression.identity == "MAFLAligned/test imwidth=100 crop=15 hq=1 root=\(tree.path)")
        let warps = EvaluationWarps(name: "mafl.h5", set: "mafl", itemsInSet: 3,
                                    weights: [(TPSWeights.identity, TPSWeights.identity), (TPSWeights.identity, TPSWeights.identity)],
                                    itemNames: ["000002.jpg", "000005.jpg"])
        try warps.checkItems(of: data)
        let wrong = EvaluationWarps(name: "mafl.h5", set: "mafl", itemsInSet: 3, weights: warps.weights,
                                    itemNames: ["000002.jpg", "000011.jpg"])
        #expect(errorText { try wrong.checkItems(of: data) } == "mafl.h5: item 1 is 000011.jpg in the warps file but 000005.jpg in MAFLAligned/test")
    }

    @Test func limitedAnnotationEntriesTileThePicksAndWarpOncePerEntry() throws {
        let (tree, data) = try Self.dataset()
        defer { tree.remove() }
        let warper = try LimitedAnnotationSource.referenceWarper(for: data)
        let source = try LimitedAnnotationSource(dataset: data, picks: [2], warper: warper, seed: 5)
        #expect(source.count == 3 && (0..<3).map(source.pick(at:)) == [2, 2, 2])
        let first = try source.item(at: 0), again = try source.item(at: 0), second = try source.item(at: 1)
        #expect(first.image.shape == [3, 70, 70] && first.keypoints.shape == [5, 2])
        #expect(first.image.storage == again.image.storage && first.image.storage != second.image.storage)
        let plain = try LimitedAnnotationSource(dataset: data, picks: [1, 0], warper: nil, seed: 5)
        let plainItem = try plain.item(at: 1).image.storage, direct = try data.regression().item(at: 0).image.storage
        #expect(plain.count == 2 && plainItem == direct)
        #expect(errorText { _ = try LimitedAnnotationSource(dataset: data, picks: [1, 1], warper: nil, seed: 0) } != nil)
        #expect(LimitedAnnotationPicks.reference(seed: 1, count: 5) == [8697, 6435, 7686, 6281, 1777])
        #expect(LimitedAnnotationPicks.reference(seed: 3, count: 5) == nil)
    }

    @Test func aflwMTFLOverlapWithTheTestSetIsReported() throws {
        let tree = try DatasetAFLWMTFLTests.makeTree()
        defer { tree.remove() }
        let csv = DatasetAFLWMTFLTests.header + "\n0,image00099.jpg,1,cropped/0.jpg," + (0..<10).map(String.init).joined(separator: ",") + "\n"
        try tree.text("aflw_cropped/facedata_cropped.csv", csv)
        let train = try AFLWMTFLDataset(root: tree.path, train: true)
        #expect(errorText { try train.validateReferenceInvariants(includingCount: false) }
                == "\(tree.file("aflw_cropped/facedata_cropped.csv")): training image image00099.jpg is also an MTFL test image")
    }
}
