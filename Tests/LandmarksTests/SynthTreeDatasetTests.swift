import Foundation
import ImageIO
import Landmarks
import Tensors
import Testing

/// `SynthTree.dataset`: every split of every layout, held in memory, is item for item what the real
/// loader reads from the tree `write(to:)` leaves on disk — names, keypoints and pixels bit for bit.
@Suite struct SynthTreeDatasetTests {
    static let counts: [SynthLayout: Int] = [.celeba: 48, .aflwR: 40, .aflwM: 40, .threeHundredW: 40]

    /// The real loader of `split` on a written tree (the mapping `SynthTree.dataset` documents).
    static func loader(_ layout: SynthLayout, _ split: SynthSplit, root: String,
                       _ preprocessing: DatasetPreprocessing) throws -> any LandmarkDataset {
        let train = split != .test
        switch layout {
        case .celeba:
            let celebA: CelebADataset.Split = split == .embeddingTraining ? .prunedTrain : split == .train ? .maflTrain : .maflTest
            return try CelebADataset(root: root, split: celebA, preprocessing: preprocessing)
        case .aflwR: return try AFLWRecropDataset(root: root, train: train, preprocessing: preprocessing)
        case .aflwM: return try AFLWMTFLDataset(root: root, train: train, preprocessing: preprocessing)
        case .threeHundredW: return try ThreeHundredWDataset(root: root, train: train, preprocessing: preprocessing)
        }
    }

    @Test(arguments: SynthLayout.allCases)
    func inMemorySplitsAreTheLoadersOnTheWrittenTree(layout: SynthLayout) throws {
        let scratch = try SynthLayoutTests.Scratch()
        let tree = try SynthTree(layout: layout, count: Self.counts[layout] ?? 40, seed: 21)
        let root = scratch.path + "/tree"
        _ = try tree.write(to: root)
        let preprocessings: [DatasetPreprocessing] = layout == .celeba ? [.smallNet, .hourglass] : [.smallNet]
        for preprocessing in preprocessings {
            for split in SynthSplit.allCases {
                let label = "\(layout) \(split) \(preprocessing)"
                let memory = try tree.dataset(split, preprocessing: preprocessing)
                let disk = try Self.loader(layout, split, root: root, preprocessing)
                #expect(memory.count > 0 && memory.count == disk.count, "\(label): \(memory.count) items in memory, \(disk.count) on disk")
                #expect(memory.keypointCount == disk.keypointCount && memory.eyes == disk.eyes && memory.variant == disk.variant)
                #expect(memory.preprocessing == preprocessing && memory.referenceCount == nil)
                for i in 0..<min(memory.count, disk.count) {
                    #expect(memory.itemName(at: i) == disk.itemName(at: i), "\(label) item \(i)")
                    #expect(try memory.keypoints(at: i) == disk.keypoints(at: i), "\(label) item \(i) keypoints")
                    #expect(try memory.preprocessedImage(at: i) == disk.preprocessedImage(at: i), "\(label) item \(i) pixels")
                }
                // The protocol inputs agree too (what training, matching and regression read).
                let last = memory.count - 1
                #expect(try memory.image(at: last).storage == disk.image(at: last).storage)
                #expect(try memory.regressionSource().item(at: 0).image.storage == disk.regressionSource().item(at: 0).image.storage)
                #expect(try memory.regression().item(at: last).keypoints.storage == disk.regressionSource().item(at: last).keypoints.storage)
                #expect(memory.identity != disk.identity)
            }
        }
    }

    @Test func identitiesNameTheTreeAndSeparateMemoryFromDisk() throws {
        let tree = try SynthTree(layout: .celeba, count: 20, seed: 7)
        let a = try tree.dataset(.test, preprocessing: .smallNet), b = try tree.dataset(.test, preprocessing: .smallNet)
        #expect(a.identity == b.identity && a.regression().identity == a.identity)
        #expect(a.name == "MAFLAligned/test [SynthFaces celeba count=20 seed=7]")
        #expect(a.identity.contains("root=synthfaces-v1:celeba?count=20&seed=7&identities=\(tree.identities)"))
        let others = [
            try SynthTree(layout: .celeba, count: 20, seed: 8).dataset(.test, preprocessing: .smallNet),
            try SynthTree(layout: .celeba, count: 21, seed: 7).dataset(.test, preprocessing: .smallNet),
            try SynthTree(layout: .celeba, count: 20, seed: 7, identities: 3).dataset(.test, preprocessing: .smallNet),
            try tree.dataset(.test, preprocessing: .hourglass),
            try tree.dataset(.train, preprocessing: .smallNet),
        ]
        for other in others { #expect(other.identity != a.identity, "\(other.identity)") }
        #expect(errorText { _ = try a.preprocessedImage(at: a.count) }
                == "MAFLAligned/test [SynthFaces celeba count=20 seed=7]: item \(a.count) is outside 0..<\(a.count)")
    }

    @Test func itemsReadFromManyThreadsAreTheSequentialOnes() throws {
        let tree = try SynthTree(layout: .aflwR, count: 24, seed: 3)
        let sequential = try tree.dataset(.train, preprocessing: .smallNet)
        let shared = try tree.dataset(.train, preprocessing: .smallNet)
        let expected = try (0..<sequential.count).map { try sequential.image(at: $0).storage }
        final class Results: @unchecked Sendable {
            let lock = NSLock()
            var storage: [Int: [Float]] = [:]
            var failures: [String] = []
        }
        let results = Results()
        let n = shared.count
        DispatchQueue.concurrentPerform(iterations: 3 * n) { k in
            let index = (k * 7) % n // every item three times, in an interleaved order
            do {
                let image = try shared.image(at: index).storage
                results.lock.withLock {
                    if let seen = results.storage[index], seen != image { results.failures.append("item \(index) changed") }
                    results.storage[index] = image
                }
            } catch {
                results.lock.withLock { results.failures.append("\(error)") }
            }
        }
        #expect(results.failures.isEmpty, "\(results.failures)")
        #expect(results.storage.count == n && (0..<n).allSatisfy { results.storage[$0] == expected[$0] })
    }

    @Test func annotationsWithoutPixelsAreTheRenderedOnes() throws {
        let faces = try SynthFaces(seed: 5, identities: 3, imagesPerIdentity: 2)
        let framing = SynthFraming(width: 120, height: 150, eyeMidpoint: SynthPoint(x: 60, y: 60), interocular: 30)
        for index in 0..<faces.count {
            let face = try faces.render(index: index, framing: framing)
            let annotation = try faces.annotation(index: index, framing: framing)
            #expect(annotation.landmarks5 == face.landmarks5 && annotation.landmarks68 == face.landmarks68)
            #expect(annotation.identity == face.identity && annotation.imageInIdentity == face.imageInIdentity
                    && annotation.attributes == face.attributes)
        }
    }
}
