import Foundation
import Testing
import Landmarks
import Tensors
import TestSupport

/// A descriptor "network" whose output ignores the image: cell (r, c) of an H×W map holds the one-hot
/// vector e_{r·W + c} (C = H·W), so every query matches exactly its own cell in any target. Optionally
/// poisons one value with NaN, or returns a wrong batch size, to test the protocol's checks.
private final class PositionalDescriptors: Layer {
    let stride: Int
    var poison = false
    var dropOneImage = false
    private(set) var batchSizes: [Int] = []
    private(set) var trainingForwards = 0

    init(stride: Int = 2) { self.stride = stride }

    var stateEntries: [(key: String, entry: StateEntry)] { [] }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        if training { trainingForwards += 1 }
        let (n0, _, h0, w0) = input.nchw
        batchSizes.append(n0)
        let n = dropOneImage ? n0 - 1 : n0
        let (h, w) = (h0 / stride, w0 / stride)
        let c = h * w
        var out = Tensor(shape: [n, c, h, w])
        for i in 0..<n {
            for cell in 0..<c { out.storage[((i * c + cell) * h) * w + cell] = 1 }
        }
        if poison { out.storage[3] = .nan }
        return out
    }

    func backward(_ gradOutput: Tensor) -> Tensor { gradOutput }
}

/// Evaluation items of side `size` with flat grey images and the given uncropped keypoints.
private func items(size: Int, keypoints: [[Float]]) -> InMemoryEvaluationSource {
    InMemoryEvaluationSource(keypoints.map { kp in
        EvaluationItem(image: Tensor(shape: [3, size, size], repeating: 128),
                       keypoints: Tensor(shape: [kp.count / 2, 2], storage: kp))
    })
}

private func identityWarps(_ count: Int) -> EvaluationWarps {
    EvaluationWarps(name: "identity", set: "test", itemsInSet: count,
                    weights: Array(repeating: (TPSWeights.identity, TPSWeights.identity), count: count))
}

@Suite struct MatchingRuleTests {
    @Test func roundsHalfToEvenLikeNumpy() {
        func cell(_ x: Float) -> Int { MatchingRules.queryCell(x: x, y: 0, stride: 2, height: 35, width: 35).column }
        #expect(cell(5) == 2)   // 2.5 → 2 (Swift's default .rounded() would give 3)
        #expect(cell(7) == 4)   // 3.5 → 4
        #expect(cell(1) == 0)   // 0.5 → 0
        #expect(cell(3) == 2)   // 1.5 → 2
        #expect(cell(6) == 3)
        // float32 keypoint noise decides the tie (quirk Q7): 4.9999995/2 rounds down, 5.0000005/2 up.
        #expect(cell(4.9999995) == 2)
        #expect(cell(5.0000005) == 3)
        #expect(MatchingRules.queryCell(x: 5, y: 7, stride: 2, height: 35, width: 35).isHalfway)
        #expect(!MatchingRules.queryCell(x: 6, y: 8, stride: 2, height: 35, width: 35).isHalfway)
    }

    @Test func clampsToTheMapWithoutTrapping() {
        let q = MatchingRules.queryCell(x: -7, y: 1e30, stride: 2, height: 5, width: 6)
        #expect(q.column == 0 && q.row == 4)
        #expect(q.xOverStride == -3.5)
        let nan = MatchingRules.queryCell(x: .nan, y: .infinity, stride: 2, height: 5, width: 6)
        #expect(nan.column == 0 && nan.row == 4)
    }

    @Test func positionIsCellTimesStrideWithoutHalfPixel() {
        let p = MatchingRules.position(ofCell: 37, width: 35, stride: 2)
        #expect(p.x == 4 && p.y == 2)
    }

    @Test func argmaxTakesTheFirstOfEqualMaxima() throws {
        // C = 1: corr = q · target, so the target's largest cells win; cells 2 and 5 tie at 3.
        let source = try DescriptorMap(channels: 1, height: 2, width: 3, values: [1, 1, 1, 1, 1, 1])
        let target = try DescriptorMap(channels: 1, height: 2, width: 3, values: [0, 1, 3, -1, 2, 3])
        let result = try MatchingRules.findDescriptors(keypoints: [0, 0, 4, 2], source: source, target: target, stride: 2)
        #expect(result.matches.map(\.index) == [2, 2])
        #expect(result.matches[0].x == 4 && result.matches[0].y == 0)
        #expect(result.matches[0].top2Gap == 0)
        let clear = try DescriptorMap(channels: 1, height: 2, width: 3, values: [0, 1, 3, -1, 2, 2.5])
        let gap = try MatchingRules.findDescriptors(keypoints: [0, 0], source: source, target: clear, stride: 2).matches[0]
        #expect(gap.index == 2 && gap.top2Gap == 0.5)
    }

    @Test func errorsAreRescaledToA70PixelCrop() {
        #expect(MatchingRules.errorScale(imageWidth: 100, crop: 15) == 1)
        #expect(MatchingRules.errorScale(imageWidth: 136, crop: 20) == 70.0 / 96)
        let e = MatchingRules.pixelError(predicted: (10, 20), truth: (13, 24), scale: 2)
        #expect(e == 10)
    }

    @Test func meanUsesNumpysPairwiseSummation() {
        #expect(MatchingRules.mean([1, 2, 3]) == 2)
        #expect(MatchingRules.mean([]).isNaN)
        // Eight accumulators over a 128-block, then a split at a multiple of 8 below the middle:
        // 0.1 summed 1000 times this way differs from the sequential sum.
        let values = [Double](repeating: 0.1, count: 1000)
        let sequential = values.reduce(0, +) / 1000
        let pairwise = MatchingRules.mean(values)
        #expect(abs(pairwise - 0.1) < abs(sequential - 0.1))
        #expect(abs(pairwise - 0.1) < 1e-15)
    }

    @Test func rejectsBadShapesAndValues() throws {
        #expect(throws: MatchingError.self) { try DescriptorMap(channels: 2, height: 2, width: 2, values: [1, 2, 3]) }
        #expect(throws: MatchingError.self) { try DescriptorMap(channels: 1, height: 1, width: 2, values: [1, .nan]) }
        let map = try DescriptorMap(channels: 1, height: 2, width: 2, values: [1, 2, 3, 4])
        let other = try DescriptorMap(channels: 1, height: 1, width: 4, values: [1, 2, 3, 4])
        #expect(throws: MatchingError.self) { try MatchingRules.findDescriptors(keypoints: [0, 0], source: map, target: other, stride: 2) }
        #expect(throws: MatchingError.self) { try MatchingRules.findDescriptors(keypoints: [.nan, 0], source: map, target: map, stride: 2) }
        #expect(throws: MatchingError.self) { try MatchingRules.findDescriptors(keypoints: [0, 0], source: map, target: map, stride: 0) }
    }
}

@Suite struct DenseMatchTests {
    @Test func upsamplingWithAlignCornersKeepsARampLinear() throws {
        let ramp = Tensor(shape: [1, 1, 4], storage: [0, 3, 6, 9])
        let up = try MatchingRules.upsampleBilinearAlignCorners(ramp, scale: 2)
        #expect(up.shape == [1, 2, 8])
        for (o, v) in up.storage.prefix(8).enumerated() { #expect(abs(v - Float(o) * 9 / 7) < 1e-5) }
        #expect(up.storage[0] == 0 && up.storage[7] == 9)
    }

    @Test func oneHotMapsMatchThemselvesAndTheWarpIsTheIdentity() throws {
        let (h, w) = (4, 5)
        var map = Tensor(shape: [h * w, h, w])
        for cell in 0..<(h * w) { map.storage[cell * h * w + cell] = 1 }
        let match = try MatchingRules.denseDescriptorMatch(source: map, target: map, upscale: 1, linspace: .torch1_13)
        #expect(match.bestSource == Array(0..<(h * w)))
        #expect(match.grid.storage == WarpCoordinates.tpsGrid(height: h, width: w, variant: .torch1_13))
        var rng = SeededGenerator(seed: 3)
        let image = Tensor.uniform(shape: [3, h, w], low: 0, high: 255, using: &rng)
        let warped = try match.warpedSource(image)
        let worst = zip(warped.storage, image.storage).map { abs($0 - $1) }.max() ?? 0
        #expect(worst < 1e-3)
        #expect(throws: MatchingError.self) { try match.warpedSource(Tensor(shape: [3, w, h])) }
    }
}

@Suite struct MatchingProtocolTests {
    /// imwidth 20, crop 3: 14×14 network input, 7×7 positional descriptors, stride 2, error scale 70/14 = 5.
    /// Items 2k+1 have the keypoints of item 2k shifted by (6, 8) px. With identity warps, every source
    /// keypoint (at even cropped coordinates) is found at its own position: same-identity error 0 (up to
    /// the linspace noise of the warped keypoints), different-identity error 5 · ‖(6, 8)‖ = 50.
    @Test func positionalDescriptorsGiveHandComputableErrors() throws {
        let base: [Float] = [5, 5, 7, 9, 11, 15]            // cropped (2, 2), (4, 6), (8, 12)
        let shifted: [Float] = [11, 13, 13, 17, 17, 19]       // base + (6, 8), y capped at 19
        let source = items(size: 20, keypoints: [base, [5 + 6, 5 + 8, 7 + 6, 9 + 8, 11 + 6, 15 - 8], base, shifted, base])
        let net = PositionalDescriptors()
        let options = MatchingOptions(imageWidth: 20, crop: 3, warps: identityWarps(4), pairsPerForward: 1)
        let result = try MatchingProtocol.run(network: net, source: source, options: options)

        #expect(result.pairCount == 2)                  // the fifth item is dropped (drop_last)
        #expect(result.keypointsPerPair == 3 && result.keypointCount == 6)
        #expect(result.warpSource == MatchingWarpSource.file("identity"))
        #expect(result.descriptorShape == [49, 7, 7] && result.stride == 2 && result.errorScale == 5)
        #expect(net.batchSizes == [3, 3])                // A_2k, B_2k, B_2k+1 per pair
        #expect(net.trainingForwards == 0)               // eval mode only
        #expect(result.pairs.map(\.sourceItem) == [0, 2] && result.pairs.map(\.differentItem) == [1, 3])
        #expect(result.pairs[0].keypoints.map(\.query.column) == [1, 2, 4])
        #expect(result.pairs[0].keypoints.map(\.same.index) == [1 * 7 + 1, 3 * 7 + 2, 6 * 7 + 4])
        #expect(result.sameIdentityError < 1e-4)
        #expect(result.sameErrors.allSatisfy { $0 < 1e-4 })
        // Pair 0: shifts (6, 8), (6, 8), (6, −8) → 50 each. Pair 1: (6, 8), (6, 8), (6, 4) (y capped at 19).
        let expected: [Double] = [50, 50, 50, 50, 50, 5 * (36.0 + 16).squareRoot()]
        for (got, want) in zip(result.differentErrors, expected) { #expect(abs(got - want) < 1e-3) }
        #expect(abs(result.differentIdentityError - expected.reduce(0, +) / 6) < 1e-3)
        #expect(result.halfwayQueryCount == 0)
    }

    @Test func batchingAndThreadsDoNotChangeTheResult() throws {
        let source = items(size: 20, keypoints: (0..<6).map { i in [Float(4 + i), 9, 12, Float(5 + 2 * i)] })
        var runs: [[Double]] = []
        for (pairs, threads) in [(1, 1), (16, 2), (2, 2)] {
            let options = MatchingOptions(imageWidth: 20, crop: 3, fallbackSeed: 11, pairsPerForward: pairs)
            let result = try ComputeThreads.withCount(threads) {
                try MatchingProtocol.run(network: PositionalDescriptors(), source: source, options: options)
            }
            #expect(result.warpSource == MatchingWarpSource.seeded(11))
            #expect(!result.warpSource.isReferenceWarps)
            runs.append(result.sameErrors + result.differentErrors)
        }
        #expect(runs[0] == runs[1] && runs[1] == runs[2])
        let other = try MatchingProtocol.run(network: PositionalDescriptors(), source: source,
                                             options: MatchingOptions(imageWidth: 20, crop: 3, fallbackSeed: 12))
        #expect(other.sameErrors + other.differentErrors != runs[0])
    }

    @Test func pairLimitStopsEarly() throws {
        let source = items(size: 20, keypoints: Array(repeating: [8, 8], count: 8))
        let result = try MatchingProtocol.run(network: PositionalDescriptors(), source: source,
                                              options: MatchingOptions(imageWidth: 20, crop: 3, pairLimit: 3))
        #expect(result.pairCount == 3)
        var progress: [Int] = []
        _ = try MatchingProtocol.run(network: PositionalDescriptors(), source: source,
                                     options: MatchingOptions(imageWidth: 20, crop: 3, pairsPerForward: 3)) { progress.append($0.pairsDone) }
        #expect(progress == [3, 4])
    }

    @Test func reportsBadInputsAsTypedErrors() throws {
        let good = items(size: 20, keypoints: Array(repeating: [8, 8], count: 4))
        let options = MatchingOptions(imageWidth: 20, crop: 3)
        func error(_ body: () throws -> Void) -> MatchingError? {
            do { try body(); return nil } catch { return error as? MatchingError }
        }
        func run(_ net: PositionalDescriptors = PositionalDescriptors(), _ source: any EvaluationImageSource = good,
                 _ options: MatchingOptions = options) throws {
            _ = try MatchingProtocol.run(network: net, source: source, options: options)
        }
        if case .tooFewItems(1)? = error({ try run(PositionalDescriptors(), items(size: 20, keypoints: [[8, 8]])) }) {} else { Issue.record("tooFewItems") }
        if case .itemShape(0, "image", _, [3, 20, 20])? = error({ try run(PositionalDescriptors(), good, MatchingOptions(imageWidth: 22, crop: 3)) }) {} else {
            Issue.record("itemShape")
        }
        if case .invalidOption("crop", _, _)? = error({ try run(PositionalDescriptors(), good, MatchingOptions(imageWidth: 20, crop: 10)) }) {} else {
            Issue.record("crop")
        }
        if case .tooFewWarps("identity", 2, 4)? = error({
            try run(PositionalDescriptors(), good, MatchingOptions(imageWidth: 20, crop: 3, warps: identityWarps(2)))
        }) {} else { Issue.record("tooFewWarps") }
        let mismatched = items(size: 20, keypoints: [[8, 8], [8, 8, 9, 9], [8, 8], [8, 8]])
        if case .keypointCountMismatch(1, 2, 0, 1)? = error({ try run(PositionalDescriptors(), mismatched) }) {} else { Issue.record("keypoints") }
        let nanKeypoints = items(size: 20, keypoints: [[8, 8], [8, .nan], [8, 8], [8, 8]])
        if case .nonFinite? = error({ try run(PositionalDescriptors(), nanKeypoints) }) {} else { Issue.record("nan keypoints") }
        let poisoned = PositionalDescriptors()
        poisoned.poison = true
        if case .nonFinite(let what, _)? = error({ try run(poisoned) }) { #expect(what.contains("A_0")) } else { Issue.record("nan output") }
        let short = PositionalDescriptors()
        short.dropOneImage = true
        if case .networkOutput(_, [5, 49, 7, 7])? = error({ try run(short) }) {} else { Issue.record("network output") }
        if case .itemSource(9, _)? = error({ _ = try good.item(at: 9) }) {} else { Issue.record("item index") }
    }
}
