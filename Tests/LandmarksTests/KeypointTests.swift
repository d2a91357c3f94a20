import Testing
import Tensors
import Landmarks
import TestSupport

/// The keypoint regressor, `regressionLoss` and `interOcularError`: state layout, initialisation,
/// finite-difference gradients on tiny shapes and hand-computable cases.
@Suite struct KeypointTests {
    static func regressor(c: Int = 3, nA: Int = 2, nI: Int = 3, mul: Float = 100, seed: UInt64 = 1) throws -> IntermediateKeypointPredictor {
        let r = try IntermediateKeypointPredictor(descriptorDimension: c, annotatedPoints: nA, intermediatePoints: nI, softargmaxMultiplier: mul)
        var rng = SeededGenerator(seed: seed)
        r.initialize(using: &rng)
        return r
    }

    @Test func stateKeysFollowTheReferenceAndDescriptorsAliasesInnerConv() throws {
        let r = try Self.regressor(c: 4, nA: 3, nI: 5)
        #expect(r.stateEntries.map(\.key) == ["descriptors", "inner_conv.weight", "reg_conv.weight",
                                               "linear.0.weight", "linear.1.weight", "linear.2.weight"])
        #expect(r.stateEntries.map(\.entry.shape) == [[15, 4, 1, 1], [15, 4, 1, 1], [6, 10, 1, 1], [2, 10], [2, 10], [2, 10]])
        guard case .parameter(let d) = r.stateEntries[0].entry, case .parameter(let w) = r.stateEntries[1].entry else {
            Issue.record("descriptors / inner_conv.weight are not parameters"); return
        }
        #expect(d === w)
        #expect(r.parametersWithoutGradient == ["descriptors", "linear.0.weight", "linear.1.weight", "linear.2.weight"])
        #expect(r.optimizerParameters.map(\.key) == ["inner_conv.weight", "reg_conv.weight", "linear.0.weight", "linear.1.weight", "linear.2.weight"])
        #expect(r.skippedByOptimizer == ["linear.0.weight", "linear.1.weight", "linear.2.weight"])
    }

    @Test func loadingAcceptsBothAliasKeysAndInnerConvWins() throws {
        let source = try Self.regressor(c: 4, nA: 3, nI: 5, seed: 2)
        var dict = source.stateDict()
        #expect(IntermediateKeypointPredictor.aliasDivergence(in: dict) == 0)
        // A GPU-trained checkpoint: `descriptors` kept its initial values.
        dict["descriptors"] = .float(Tensor(shape: [15, 4, 1, 1], repeating: 7))
        #expect(IntermediateKeypointPredictor.aliasDivergence(in: dict) ?? 0 > 1)
        let target = try Self.regressor(c: 4, nA: 3, nI: 5, seed: 3)
        try target.load(dict, source: "test")
        #expect(target.innerWeight.value == source.innerWeight.value)
        #expect(target.stateDict()["descriptors"] == .float(source.innerWeight.value))
        dict["descriptors"] = nil
        #expect(throws: StateDictMismatch.self) { try target.load(dict, source: "test") }
    }

    @Test func initialisationWiresTheReferenceTranspositionAndTheLinearCopy() throws {
        let (c, nA, nI) = (3, 2, 4)
        let r = try Self.regressor(c: c, nA: nA, nI: nI, seed: 9)
        var rng = SeededGenerator(seed: 9)
        let w = Tensor.normal(shape: [c, nA, nI], using: &rng)   // the same first draws
        for ci in 0..<c {
            for a in 0..<nA {
                for n in 0..<nI {
                    #expect(r.innerWeight.value[flat: (a * nI + n) * c + ci] == w[flat: (ci * nA + a) * nI + n])
                }
            }
        }
        #expect(r.regressionWeight.value.storage == r.linearWeights.flatMap(\.value.storage))
        let bound = Float(1 / (8.0).squareRoot())
        #expect(r.linearWeights.allSatisfy { $0.value.storage.allSatisfy { abs($0) <= bound } })
        #expect(r.linearWeights[0].value != r.linearWeights[1].value)
    }

    /// Descriptors whose scale keeps `100·corr` in a few units, so the softmax is smooth.
    static func smallDescriptors(b: Int = 2, c: Int = 3, h: Int = 4, w: Int = 5, seed: UInt64 = 4) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        return .normal(shape: [b, c, h, w], std: 0.01, using: &rng)
    }

    /// Σ pred·R in Double for a fixed R.
    static func probe(_ r: IntermediateKeypointPredictor, _ x: Tensor, _ weights: Tensor) -> Double {
        let pred = r.forward(x, training: false)
        return (0..<pred.count).reduce(0.0) { $0 + Double(pred[flat: $1]) * Double(weights[flat: $1]) }
    }

    @Test func backwardMatchesFiniteDifferencesOnTinyShapes() throws {
        for (h, w, mul) in [(4, 5, Float(100)), (3, 3, Float(30)), (1, 6, Float(100))] {
            let r = try Self.regressor(c: 3, nA: 2, nI: 3, mul: mul)
            let x = Self.smallDescriptors(h: h, w: w)
            var rng = SeededGenerator(seed: 5)
            let weights = Tensor.normal(shape: [2, 2, 2], using: &rng)
            _ = r.forward(x, training: true)
            r.zeroGrad()
            #expect(r.backward(weights).count == 0, "the input is detached")
            for (name, parameter) in [("inner_conv.weight", r.innerWeight), ("reg_conv.weight", r.regressionWeight)] {
                let analytic = parameter.grad
                var worst = 0.0, scale = 0.0
                for i in 0..<parameter.value.count {
                    let eps: Float = 1e-3
                    let saved = parameter.value[flat: i]
                    parameter.value[flat: i] = saved + eps
                    let plus = Self.probe(r, x, weights)
                    parameter.value[flat: i] = saved - eps
                    let minus = Self.probe(r, x, weights)
                    parameter.value[flat: i] = saved
                    let numeric = (plus - minus) / (2 * Double(eps))
                    worst = max(worst, abs(numeric - Double(analytic[flat: i])))
                    scale = max(scale, abs(numeric))
                }
                #expect(scale > 1e-3, "\(name) has a gradient to check")
                #expect(worst <= 2e-3 * scale, "\(name) at \(h)×\(w), mul \(mul): worst \(worst), scale \(scale)")
            }
        }
    }

    @Test func gradientsAccumulateAndWorkerCountDoesNotChangeTheForward() throws {
        let r = try Self.regressor()
        let x = Self.smallDescriptors(b: 5)
        let one = ComputeThreads.withCount(1) { r.forward(x, training: false) }
        let two = ComputeThreads.withCount(2) { r.forward(x, training: false) }
        #expect(one == two)
        let g = Tensor(shape: [5, 2, 2], repeating: 0.5)
        r.zeroGrad()
        _ = r.forward(x, training: true); _ = r.backward(g)
        let first = r.innerWeight.grad
        _ = r.forward(x, training: true); _ = r.backward(g)
        for i in 0..<first.count { #expect(abs(r.innerWeight.grad[flat: i] - 2 * first[flat: i]) <= 1e-6 * max(1, abs(first[flat: i]))) }
    }

    /// One-hot descriptors (C = H·W, cell p carries 3·e_p) and virtual keypoint (a, n) tuned to cell
    /// `cells[a][n]` with weight 10: 100·corr is 3000 at that cell and 0 elsewhere, so the softmax is
    /// one-hot and the soft-argmax lands on the cell centre. The regressor copies point 0 of each group.
    @Test func identityRegressorOnPerfectIntermediatePointsGivesZeroError() throws {
        let (h, w, nA, nI) = (6, 6, 5, 2)
        let r = try IntermediateKeypointPredictor(descriptorDimension: h * w, annotatedPoints: nA, intermediatePoints: nI)
        let cells = [[(1, 1), (0, 0)], [(1, 4), (5, 5)], [(3, 2), (2, 2)], [(4, 1), (0, 3)], [(4, 4), (3, 3)]]   // (row, col)
        var inner = Tensor(shape: [nA * nI, h * w, 1, 1])
        for a in 0..<nA { for n in 0..<nI { inner[flat: (a * nI + n) * h * w + cells[a][n].0 * w + cells[a][n].1] = 10 } }
        r.innerWeight.value = inner
        var reg = Tensor(shape: [2 * nA, 2 * nI, 1, 1])
        for a in 0..<nA { reg[flat: (2 * a) * 2 * nI] = 1; reg[flat: (2 * a + 1) * 2 * nI + 1] = 1 }
        r.regressionWeight.value = reg
        var x = Tensor(shape: [1, h * w, h, w])
        for p in 0..<(h * w) { x[flat: p * h * w + p] = 3 }
        let (pred, _) = try r.predict(x)
        // The keypoints in pixels of an image whose pixels are the feature cells, normalised.
        var pixels = Tensor(shape: [1, nA, 2])
        for a in 0..<nA { pixels[flat: 2 * a] = Float(cells[a][0].1); pixels[flat: 2 * a + 1] = Float(cells[a][0].0) }
        let gt = try normalizedKeypoints(pixels, height: h, width: w)
        let error = try interOcularError(predictions: pred, targets: gt, eyes: .fivePoint)
        #expect(error.value < 1e-4)
        #expect(try regressionLoss(predictions: pred, targets: gt).value < 1e-10)
    }

    @Test func interOcularErrorOnAHandExample() throws {
        // Eyes 5 apart; keypoint 0 off by 3 → 60 %, keypoint 1 exact, keypoint 2 off by (0, 1) → 20 %.
        let gt = Tensor(shape: [1, 3, 2], storage: [0, 0, 3, 4, 1, 1])
        let pred = Tensor(shape: [1, 3, 2], storage: [3, 0, 3, 4, 1, 2])
        let result = try interOcularError(predictions: pred, targets: gt, eyes: EyeIndices(0, 1))
        #expect(abs(result.value - 80.0 / 3) < 1e-9)
        #expect(result.perKeypoint.map { ($0 * 1e9).rounded() / 1e9 } == [60, 0, 20])
        #expect(result.perImage.count == 1)
        // Two images: each image's own iod; the mean is over all keypoints.
        let gt2 = Tensor(shape: [2, 2, 2], storage: [0, 0, 2, 0, 0, 0, 0, 10])
        let pred2 = Tensor(shape: [2, 2, 2], storage: [1, 0, 2, 0, 0, 0, 0, 5])
        #expect(abs(try interOcularError(predictions: pred2, targets: gt2, eyes: EyeIndices(1, 0)).value - 25) < 1e-9)
        #expect(EyeIndices.standard(forKeypointCount: 68) == EyeIndices(36, 45))
        #expect(EyeIndices.standard(forKeypointCount: 5) == EyeIndices(0, 1))
        #expect(EyeIndices.standard(forKeypointCount: 7) == nil)
        #expect(throws: KeypointError.eyeIndices(left: 36, right: 45, keypointCount: 3)) {
            try interOcularError(predictions: gt, targets: gt, eyes: .sixtyEightPoint)
        }
        #expect(throws: KeypointError.self) { try interOcularError(predictions: pred2, targets: gt, eyes: .fivePoint) }
    }

    @Test func regressionLossAndNormalisationOnHandExamples() throws {
        // d = 10·0.05 = 0.5 → 0.125; d = 10·0.3 = 3 → 2.5; d = −10·0.2 = −2 → 1.5; d = 0 → 0.
        let pred = Tensor(shape: [1, 2, 2], storage: [0.05, 0.3, 0, 0.1])
        let gt = Tensor(shape: [1, 2, 2], storage: [0, 0, 0.2, 0.1])
        let loss = try regressionLoss(predictions: pred, targets: gt)
        #expect(abs(loss.value - (0.125 + 2.5 + 1.5) / 4) < 1e-6)
        let expected: [Float] = [10 * 0.5 / 4, 10.0 / 4, -10.0 / 4, 0]
        for i in 0..<4 { #expect(abs(loss.gradient[flat: i] - expected[i]) < 1e-5) }
        #expect(throws: KeypointError.self) { try regressionLoss(predictions: pred, targets: Tensor(shape: [2, 2])) }

        let pixels = Tensor(shape: [3, 2], storage: [0, 69, 34.5, 0, 69, 10])
        let normal = try normalizedKeypoints(pixels, height: 70, width: 70)
        #expect(Array(normal.storage.prefix(4)) == [-1, 1, 0, -1])
        #expect(normal[flat: 5] == 2 * 10 / Float(69) - 1)
        #expect(throws: KeypointError.self) { try normalizedKeypoints(pixels, height: 1, width: 70) }
    }

    @Test func invalidSizesAndInputsAreTypedErrors() throws {
        #expect(throws: KeypointError.self) { try IntermediateKeypointPredictor(descriptorDimension: 0, annotatedPoints: 5) }
        #expect(throws: KeypointError.self) { try IntermediateKeypointPredictor(descriptorDimension: 4, annotatedPoints: 5, softargmaxMultiplier: .nan) }
        let r = try Self.regressor()
        #expect(throws: KeypointError.self) { try r.predict(Tensor(shape: [1, 4, 3, 3])) }
        #expect(throws: KeypointError.self) { try r.predict(Tensor(shape: [1, 3, 0, 3])) }
        #expect(try r.predict(Tensor(shape: [0, 3, 2, 2])).pred.shape == [0, 2, 2])
    }
}
