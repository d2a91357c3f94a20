import Foundation
import Testing
import Tensors
import Landmarks
import TestSupport

/// A SmallNet that counts its forward calls, to prove when the descriptor cache spares the network.
private final class CountingNetwork: Layer {
    let net: SmallNet
    private(set) var forwardCalls = 0

    init(channels: Int = 8, seed: UInt64 = 3) {
        net = SmallNet(outputChannels: channels)
        var rng = SeededGenerator(seed: seed)
        net.initialize(using: &rng)
    }

    var stateEntries: [(key: String, entry: StateEntry)] { net.stateEntries }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        forwardCalls += 1
        return net.forward(input, training: training)
    }

    func backward(_ gradOutput: Tensor) -> Tensor { net.backward(gradOutput) }
}

/// A source whose item `failing` throws, or whose images have the wrong size.
private struct BrokenSource: KeypointImageSource {
    struct Unreadable: Error {}
    var base: InMemoryKeypointSource
    var failing: Int?
    var badShape = false
    var identity: String { base.identity + "-broken" }
    var count: Int { base.count }
    var keypointCount: Int { base.keypointCount }
    var eyes: EyeIndices { base.eyes }
    var imageHeight: Int { base.imageHeight }
    var imageWidth: Int { base.imageWidth }
    func item(at index: Int) throws -> KeypointImage {
        if index == failing { throw Unreadable() }
        var item = try base.item(at: index)
        if badShape, index == 1 { item.image = Tensor(shape: [3, 4, 4]) }
        return item
    }
}

@Suite(.serialized) struct RegressionProtocolTests {
    /// `count` random 16×16 images with 5 keypoints jittered around a fixed face-like layout.
    static func split(_ name: String, count: Int, seed: UInt64, size: Int = 16) -> InMemoryKeypointSource {
        var rng = SeededGenerator(seed: seed)
        let layout: [Float] = [5, 5, 10, 5, 7.5, 8, 5.5, 11, 9.5, 11]
        let items = (0..<count).map { _ in
            KeypointImage(image: .normal(shape: [3, size, size], using: &rng),
                          keypoints: Tensor(shape: [5, 2], storage: layout.map { $0 + Float(rng.nextUniform() * 2 - 1) }))
        }
        return InMemoryKeypointSource(identity: "synthetic/\(name) seed=\(seed)", items: items, eyes: .fivePoint)
    }

    static let train = split("train", count: 12, seed: 1)
    static let test = split("test", count: 5, seed: 2)

    static var options: RegressionOptions {
        var o = RegressionOptions()
        o.epochs = 12
        o.batchSize = 4
        o.learningRate = 0.01
        o.schedule = .constant
        o.extractionBatchSize = 5
        return o
    }

    @Test func endToEndTrainingReducesTheLossAndReportsTheLastEpoch() throws {
        let network = CountingNetwork()
        var events: [RegressionProgress] = []
        let result = try ComputeThreads.withCount(2) {
            try KeypointRegression.run(network: network, train: Self.train, test: Self.test, options: Self.options) { events.append($0) }
        }
        let t = result.training
        #expect(t.epochs.count == 12 && t.iterationsPerEpoch == 3 && t.trainingItems == 12)
        #expect(t.epochs.last!.trainLoss < 0.5 * t.epochs.first!.trainLoss, "\(t.epochs.map(\.trainLoss))")
        #expect(t.epochs.allSatisfy { $0.testInterOcularError != nil && $0.learningRate == 0.01 })
        #expect(result.interOcularError == t.epochs.last!.testInterOcularError)
        #expect(result.interOcularError.isFinite && t.test.perKeypoint.count == 25 && t.test.perImage.count == 5)
        #expect(t.testPredictions.shape == [5, 5, 2])
        #expect(result.train.origin == .extracted && result.test.origin == .extracted)
        #expect(result.train.descriptorShape == [8, 8, 8])
        #expect(network.forwardCalls == 4)   // ⌈12/5⌉ + ⌈5/5⌉ batches
        #expect(t.regressor.keys.first == "descriptors" && t.regressor.count == 8)
        #expect(events.filter { if case .epoch = $0 { true } else { false } }.count == 12)
        // The reported error is the interOcularError of the returned predictions.
        let recomputed = try interOcularError(predictions: t.testPredictions, targets: try normalizedKeypoints(
            Tensor(shape: [5, 5, 2], storage: Self.test.items.flatMap(\.keypoints.storage)), height: 16, width: 16), eyes: .fivePoint)
        #expect(recomputed.value == result.interOcularError)
    }

    @Test func diskCacheIsHitOnRerunAndInvalidatedWhenTheWeightsChange() throws {
        let dir = try makeTemporaryDirectory("regression-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let network = CountingNetwork()
        var options = Self.options
        options.epochs = 2
        func run(_ cache: RegressionDescriptorCache) throws -> RegressionResult {
            try ComputeThreads.withCount(2) {
                try KeypointRegression.run(network: network, train: Self.train, test: Self.test, options: options, cache: cache)
            }
        }
        let first = try run(RegressionDescriptorCache(directory: dir))
        #expect(network.forwardCalls == 4)
        let files = { try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted() }
        #expect(try files().count == 2 && files().allSatisfy { $0.hasPrefix("regression-descriptors-") && $0.hasSuffix(".bin") })

        // A new process (a new cache object) maps the files: the network does not run.
        let rerunCache = RegressionDescriptorCache(directory: dir)
        let second = try run(rerunCache)
        #expect(network.forwardCalls == 4)
        #expect(second.train.origin == .disk && second.test.origin == .disk)
        #expect(second.interOcularError == first.interOcularError)
        #expect(second.training.regressor["reg_conv.weight"] == first.training.regressor["reg_conv.weight"])
        let third = try run(rerunCache)
        #expect(third.train.origin == .memory && network.forwardCalls == 4)

        // Other weights, other key: extracted again, new files beside the old ones.
        guard case .parameter(let p) = network.stateEntries.last(where: { $0.key == "conv6.weight" })!.entry else { return }
        p.value[flat: 0] += 0.5
        let changed = try run(rerunCache)
        #expect(changed.train.origin == .extracted && network.forwardCalls == 8)
        #expect(try files().count == 4)

        // A damaged file is rejected, reported and replaced.
        let victim = URL(fileURLWithPath: changed.test.cacheFile!)
        let bytes = try Data(contentsOf: victim)
        try bytes.prefix(bytes.count - 100).write(to: victim)
        let repaired = try run(RegressionDescriptorCache(directory: dir))
        #expect(repaired.train.origin == .disk && repaired.test.origin == .extracted)
        #expect(repaired.test.rejectedCache?.contains("regression-descriptors-") == true)
        #expect(network.forwardCalls == 9)
        #expect(try files().count == 4, "no partial file is left behind")
    }

    @Test func cachedDescriptorsReadBackBitForBit() throws {
        let dir = try makeTemporaryDirectory("regression-cache")
        defer { try? FileManager.default.removeItem(at: dir) }
        let network = CountingNetwork()
        let (extracted, _) = try KeypointRegression.descriptors(network: network, source: Self.test, options: Self.options,
                                                                cache: RegressionDescriptorCache(directory: dir))
        let (mapped, report) = try KeypointRegression.descriptors(network: network, source: Self.test, options: Self.options,
                                                                  cache: RegressionDescriptorCache(directory: dir))
        #expect(report.origin == .disk)
        #expect(mapped.descriptors(at: [4, 0, 2]) == extracted.descriptors(at: [4, 0, 2]))
        #expect(mapped.keypoints == extracted.keypoints && mapped.targets == extracted.targets)
        let direct = network.forward(Tensor(shape: [1, 3, 16, 16], storage: Self.test.items[2].image.storage), training: false)
        #expect(mapped.descriptors(at: [2]) == direct)
    }

    @Test func limitedAnnotationRunsReportMeanAndPopulationStd() throws {
        let network = CountingNetwork()
        var options = LimitedAnnotationOptions()
        options.annotationCounts = [2, 4]
        options.regression = Self.options
        options.regression.epochs = 3
        var starts: [(Int, UInt64)] = []
        let result = try ComputeThreads.withCount(2) {
            try KeypointRegression.limitedAnnotations(network: network, train: Self.train, test: Self.test, options: options) {
                if case .limitedAnnotationRun(let k, let seed) = $0 { starts.append((k, seed)) }
            }
        }
        #expect(network.forwardCalls == 4, "descriptors are extracted once for all runs")
        #expect(starts.map(\.0) == [2, 2, 2, 4, 4, 4] && starts.map(\.1) == [0, 1, 2, 0, 1, 2])
        #expect(result.entries.map(\.annotations) == [2, 4])
        for entry in result.entries {
            #expect(entry.errors.count == 3 && Set(entry.errors).count == 3, "seeds differ: \(entry.errors)")
            let mean = entry.errors.reduce(0, +) / 3
            let std = (entry.errors.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
            #expect(abs(entry.mean - mean) < 1e-12 && abs(entry.standardDeviation - std) < 1e-12)
            #expect(entry.picks == Array(repeating: Array(0..<entry.annotations), count: 3))
            #expect(entry.runs.allSatisfy { $0.trainingItems == 12 && $0.iterationsPerEpoch == 3 })
            #expect(entry.runs.map(\.seed) == [0, 1, 2])
        }
        let (m, s) = KeypointRegression.populationMeanAndStandardDeviation([1, 2, 3, 4])
        #expect(m == 2.5 && s == 1.25.squareRoot())

        options.selection = .custom { _, k, _ in Array(repeating: 0, count: k) }
        #expect(throws: RegressionError.self) {
            try KeypointRegression.limitedAnnotations(network: network, train: Self.train, test: Self.test, options: options)
        }
    }

    @Test func scheduleFollowsTheTrainerConventionAndEvaluationCanBeLastOnly() throws {
        let network = CountingNetwork()
        var options = Self.options
        options.epochs = 4
        options.schedule = try .multiStep(milestones: [1], gamma: 0.1)
        options.evaluateEveryEpoch = false
        let result = try KeypointRegression.run(network: network, train: Self.train, test: Self.test, options: options)
        let rates = result.training.epochs.map(\.learningRate)
        #expect(rates.count == 4 && rates[0] == 0.01 && rates[1] == 0.01 && abs(rates[2] - 0.001) < 1e-15 && abs(rates[3] - 0.001) < 1e-15)
        #expect(result.training.epochs.map { $0.testInterOcularError != nil } == [false, false, false, true])
    }

    @Test func badInputsAreTypedErrorsNamingTheirSource() throws {
        let network = CountingNetwork()
        func failure(_ body: () throws -> Void) -> String {
            do { try body() } catch { return "\(error)" }
            return "no error"
        }
        let unreadable = failure { _ = try KeypointRegression.run(network: network, train: BrokenSource(base: Self.train, failing: 7), test: Self.test, options: Self.options) }
        #expect(unreadable.contains("synthetic/train seed=1-broken") && unreadable.contains("item 7"))
        let misShaped = failure { _ = try KeypointRegression.run(network: network, train: BrokenSource(base: Self.train, badShape: true), test: Self.test, options: Self.options) }
        #expect(misShaped.contains("item 1") && misShaped.contains("image"))
        var big = Self.options
        big.batchSize = 32
        #expect(failure { _ = try KeypointRegression.run(network: network, train: Self.train, test: Self.test, options: big) }.contains("fewer than one batch of 32"))
        var zero = Self.options
        zero.epochs = 0
        #expect(failure { _ = try KeypointRegression.run(network: network, train: Self.train, test: Self.test, options: zero) }.contains("epochs"))
        let other = InMemoryKeypointSource(identity: "68", items: [KeypointImage(image: Tensor(shape: [3, 16, 16]), keypoints: Tensor(shape: [68, 2]))], eyes: .sixtyEightPoint)
        #expect(failure { _ = try KeypointRegression.run(network: network, train: Self.train, test: other, options: Self.options) }.contains("keypoints"))
    }

    @Test func stateDigestSeesEveryChange() {
        let net = SmallNet(outputChannels: 3)
        let base = ContentDigest.of(net.stateDict())
        #expect(base.count == 32 && base == ContentDigest.of(net.stateDict()))
        var dict = net.stateDict()
        guard case .float(var t)? = dict["conv3.0.weight"] else { Issue.record("no conv3"); return }
        t[flat: 17] = t[flat: 17].nextUp
        dict["conv3.0.weight"] = .float(t)
        #expect(ContentDigest.of(dict) != base)
        dict = net.stateDict()
        dict["conv1.1.num_batches_tracked"] = .int64(shape: [], values: [1])
        #expect(ContentDigest.of(dict) != base)
        var a = ContentDigest(), b = ContentDigest()
        a.update("ab"); a.update("c")
        b.update("abc")
        #expect(a.hex != b.hex)
    }
}
