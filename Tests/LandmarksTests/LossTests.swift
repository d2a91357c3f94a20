import Foundation
import Testing
import Tensors
import Landmarks
import TestSupport

/// The two losses, written as literally as possible from losses.md in Float64 loops: no BLAS, no
/// folding, no fused backward. The implementation under test is checked against it.
private func referenceLoss(_ features: [Double], shape: [Int], grid: Tensor, exchange: Bool,
                           normalize: Bool, pow: Double) -> Double {
    let (pairs, c, h, w) = (shape[0] / 2, shape[1], shape[2], shape[3])
    let (hIn, wIn) = (grid.shape[1], grid.shape[2])
    let s = hIn / h, n = h * w
    func descriptors(_ image: Int) -> [[Double]] {   // [channel][cell]
        var f = (0..<c).map { ch in (0..<n).map { features[(image * c + ch) * n + $0] } }
        if normalize {
            for p in 0..<n {
                let norm = (0..<c).reduce(0.0) { $0 + f[$1][p] * f[$1][p] }.squareRoot()
                for ch in 0..<c { f[ch][p] = f[ch][p] / max(norm, 1e-12) * 20 }
            }
        }
        return f
    }
    func softmax(_ z: [Double]) -> [Double] {
        let m = z.max()!
        let e = z.map { Foundation.exp($0 - m) }
        let sum = e.reduce(0, +)
        return e.map { $0 / sum }
    }
    var total = 0.0
    for b in 0..<pairs {
        let f1 = descriptors(2 * b), f2 = descriptors(2 * b + 1), fa = descriptors(2 * ((b + 1) % pairs))
        var source = f1
        if exchange {
            for p in 0..<n {
                let s1 = softmax((0..<n).map { q in (0..<c).reduce(0.0) { $0 + f1[$1][p] * fa[$1][q] } })
                for ch in 0..<c { source[ch][p] = (0..<n).reduce(0.0) { $0 + s1[$1] * fa[ch][$1] } }
            }
        }
        for i in 0..<h {
            for j in 0..<w {
                let g = ((b * hIn + i * s) * wIn + j * s) * 2
                let tx = (Double(grid.storage[g]) + 1) / 2 * Double(wIn - 1)
                let ty = (Double(grid.storage[g + 1]) + 1) / 2 * Double(hIn - 1)
                let p = i * w + j
                let probabilities = softmax((0..<n).map { q in (0..<c).reduce(0.0) { $0 + source[$1][p] * f2[$1][q] } })
                for k in 0..<h {
                    for l in 0..<w {
                        let d = ((tx - Double(l * s)) * (tx - Double(l * s)) + (ty - Double(k * s)) * (ty - Double(k * s))).squareRoot()
                        total += Foundation.pow(d, pow) * probabilities[k * w + l]
                    }
                }
            }
        }
    }
    return total / Double(n * pairs)
}

/// A small problem: B pairs of C×H×W descriptors and a (B, H_in, W_in, 2) grid. Descriptors for the
/// normalised loss are a common vector plus small noise, so the ×20 logits stay within a few units
/// of each other and the softmaxes are not one-hot (otherwise every gradient is ~0 and nothing is
/// tested).
private struct Problem {
    var features: Tensor
    var grid: Tensor

    init(pairs: Int, channels: Int, height: Int, width: Int, gridHeight: Int, gridWidth: Int,
         nearlyParallel: Bool, seed: UInt64) {
        var rng = SeededGenerator(seed: seed)
        let shape = [2 * pairs, channels, height, width]
        features = nearlyParallel ? .normal(shape: shape, mean: 1, std: 0.08, using: &rng)
                                  : .normal(shape: shape, std: 0.7, using: &rng)
        grid = .uniform(shape: [pairs, gridHeight, gridWidth, 2], low: -1.1, high: 1.1, using: &rng)
    }
}

private let variants: [(exchange: Bool, normalize: Bool)] = [(false, false), (false, true), (true, false), (true, true)]

/// (H, W, H_in, W_in): stride 1, and stride 2 with W_in odd (x uses W_in − 1, not H_in − 1).
private let geometries: [(Int, Int, Int, Int)] = [(3, 4, 3, 4), (3, 4, 6, 7)]

@Suite struct CorrelationLossValueTests {
    @Test func aSingleCellCostsItsDistanceAndHasNoGradient() throws {
        // One cell: the softmax is 1 whatever the descriptors, so L = D = ‖(2, 0) − (0, 0)‖^pow.
        var grid = Tensor(shape: [1, 3, 3, 2])
        grid.storage[0] = 1        // x = 1 → pixel (1 + 1)/2 · (3 − 1) = 2
        grid.storage[1] = -1       // y = −1 → pixel 0
        let features = Tensor(shape: [2, 2, 1, 1], storage: [0.3, -1.2, 2.0, 0.5])
        for (exchange, normalize) in variants {
            for (pow, expected) in [(Float(0.5), 2.0.squareRoot()), (1, 2), (2, 4)] {
                let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize, pow: pow)
                let result = try denseCorrelationLoss(features: features, grid: grid, options: options)
                #expect(abs(result.value - expected) <= 1e-6 * expected, "\(options): \(result.value)")
                #expect(result.gradient.storage.allSatisfy { $0 == 0 })
            }
        }
    }

    @Test func twoCellsGiveSigmoidsInClosedForm() throws {
        // H = 1, W = 2, identity grid, C = 1: D = [[0, 1], [1, 0]], f1 = (a, b), f2 = (u, v).
        // Row 0 puts σ(a(v − u)) on the wrong cell, row 1 σ(b(u − v)); L is their mean.
        let (a, b, u, v) = (1.0, 2.0, 0.0, 1.0)
        let grid = Tensor(shape: [1, 1, 2, 2], storage: [-1, -1, 1, -1])
        let features = Tensor(shape: [2, 1, 1, 2], storage: [a, b, u, v].map(Float.init))
        func sigma(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
        func slope(_ x: Double) -> Double { sigma(x) * (1 - sigma(x)) }
        let (z0, z1) = (a * (v - u), b * (u - v))
        let plain = try denseCorrelationLoss(features: features, grid: grid,
                                             options: .init(exchangeDescriptors: false, normalizeVectors: false))
        #expect(abs(plain.value - (sigma(z0) + sigma(z1)) / 2) < 1e-7)
        let expected = [slope(z0) * (v - u), slope(z1) * (u - v),
                        -slope(z0) * a + slope(z1) * b, slope(z0) * a - slope(z1) * b].map { $0 / 2 }
        for (got, want) in zip(plain.gradient.storage, expected) { #expect(abs(Double(got) - want) < 1e-7) }

        // DVE with one pair: the auxiliary is the source itself, R_p = Σ_q softmax_q(f1_p f1_q) f1_q.
        let r0 = (a * Foundation.exp(a * a) + b * Foundation.exp(a * b)) / (Foundation.exp(a * a) + Foundation.exp(a * b))
        let r1 = (a * Foundation.exp(b * a) + b * Foundation.exp(b * b)) / (Foundation.exp(b * a) + Foundation.exp(b * b))
        let dve = try denseCorrelationLossValue(features: features, grid: grid,
                                                options: .init(exchangeDescriptors: true, normalizeVectors: false))
        #expect(abs(dve - (sigma(r0 * (v - u)) + sigma(r1 * (u - v))) / 2) < 1e-7)
    }

    @Test(arguments: [Float(0.5), 1, 1.5])
    func valuesMatchTheLiteralFloat64Reference(pow: Float) throws {
        for (h, w, hIn, wIn) in geometries {
            for (exchange, normalize) in variants {
                for pairs in [1, 3] {
                    let problem = Problem(pairs: pairs, channels: 5, height: h, width: w, gridHeight: hIn, gridWidth: wIn,
                                          nearlyParallel: normalize, seed: 7)
                    let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize, pow: pow)
                    let got = try denseCorrelationLoss(features: problem.features, grid: problem.grid, options: options)
                    let want = referenceLoss(problem.features.storage.map(Double.init), shape: problem.features.shape,
                                             grid: problem.grid, exchange: exchange, normalize: normalize, pow: Double(pow))
                    // The ×20 logits of the normalised DVE loss pass float32 rounding through two softmaxes.
                    let tolerance = exchange && normalize ? 1e-5 : 2e-6
                    #expect(abs(got.value - want) <= tolerance * want, "\(options) B=\(pairs) \(hIn)×\(wIn): \(got.value) vs \(want)")
                    let valueOnly = try denseCorrelationLossValue(features: problem.features, grid: problem.grid, options: options)
                    #expect(valueOnly == got.value)
                }
            }
        }
    }

    @Test func resultsAreBitIdenticalForEveryThreadCount() throws {
        let problem = Problem(pairs: 5, channels: 6, height: 5, width: 5, gridHeight: 10, gridWidth: 10,
                              nearlyParallel: true, seed: 3)
        for (exchange, normalize) in variants {
            let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize)
            let one = try ComputeThreads.withCount(1) { try denseCorrelationLoss(features: problem.features, grid: problem.grid, options: options) }
            let two = try ComputeThreads.withCount(2) { try denseCorrelationLoss(features: problem.features, grid: problem.grid, options: options) }
            #expect(one.value == two.value)
            #expect(one.gradient == two.gradient)
        }
    }

    @Test func aNaNDescriptorGivesANaNLoss() throws {
        var problem = Problem(pairs: 2, channels: 3, height: 3, width: 3, gridHeight: 6, gridWidth: 6, nearlyParallel: false, seed: 5)
        problem.features.storage[40] = .nan
        for (exchange, normalize) in variants {
            let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize)
            #expect(try denseCorrelationLossValue(features: problem.features, grid: problem.grid, options: options).isNaN)
        }
    }

    @Test func targetPixelsAreTheUnnormalisedStridedGrid() throws {
        let problem = Problem(pairs: 2, channels: 1, height: 3, width: 4, gridHeight: 6, gridWidth: 7, nearlyParallel: false, seed: 9)
        let t = try correlationTargetPixels(grid: problem.grid, featureHeight: 3, featureWidth: 4)
        #expect(t.shape == [2, 3, 4, 2])
        let g = problem.grid.storage
        // Pair 1, cell (2, 3) ← grid pixel (4, 6): x scaled by W_in − 1 = 6, y by H_in − 1 = 5.
        let src = ((1 * 6 + 4) * 7 + 6) * 2, dst = ((1 * 3 + 2) * 4 + 3) * 2
        #expect(t.storage[dst] == ((g[src] + 1) / 2) * 6)
        #expect(t.storage[dst + 1] == ((g[src + 1] + 1) / 2) * 5)
    }
}

@Suite struct CorrelationLossGradientTests {
    /// Central differences `(L(x + εe) − L(x − εe)) / 2ε` at every coordinate of a tiny problem,
    /// against the analytic gradient, scaled by the largest numeric derivative.
    private func worstScaledError(_ problem: Problem, _ analytic: Tensor, epsilon: Double,
                                  loss: ([Double]) throws -> Double) rethrows -> Double {
        var x = problem.features.storage.map(Double.init)
        var worst = 0.0, scale = 0.0
        for i in x.indices {
            let keep = x[i]
            x[i] = keep + epsilon
            let plus = try loss(x)
            x[i] = keep - epsilon
            let minus = try loss(x)
            x[i] = keep
            let numeric = (plus - minus) / (2 * epsilon)
            worst = max(worst, abs(numeric - Double(analytic.storage[i])))
            scale = max(scale, abs(numeric))
        }
        #expect(scale > 1e-3, "degenerate problem: every derivative is ~0")
        return worst / scale
    }

    @Test(arguments: [1, 2])
    func gradientMatchesFiniteDifferencesOfTheFloat64Reference(pairs: Int) throws {
        for (h, w, hIn, wIn) in geometries {
            for (exchange, normalize) in variants {
                let problem = Problem(pairs: pairs, channels: 3, height: h, width: w, gridHeight: hIn, gridWidth: wIn,
                                      nearlyParallel: normalize, seed: 11)
                let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize)
                let analytic = try denseCorrelationLoss(features: problem.features, grid: problem.grid, options: options).gradient
                let error = worstScaledError(problem, analytic, epsilon: 1e-5) { x in
                    referenceLoss(x, shape: problem.features.shape, grid: problem.grid, exchange: exchange,
                                  normalize: normalize, pow: 0.5)
                }
                // Float32 logits near ±400 (×20 normalisation) carry ~1e-5 relative rounding into the softmaxes.
                #expect(error < (normalize ? 1e-4 : 5e-6), "\(options) B=\(pairs) \(hIn)×\(wIn): \(error)")
            }
        }
    }

    @Test(arguments: [1, 2])
    func gradientMatchesFiniteDifferencesOfItsOwnValue(pairs: Int) throws {
        // The implementation's own Float32 loss (summed in Float64): ε must dwarf its ~1e-7 rounding.
        for (h, w, hIn, wIn) in geometries {
            for (exchange, normalize) in variants {
                let problem = Problem(pairs: pairs, channels: 3, height: h, width: w, gridHeight: hIn, gridWidth: wIn,
                                      nearlyParallel: normalize, seed: 12)
                let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize)
                let analytic = try denseCorrelationLoss(features: problem.features, grid: problem.grid, options: options).gradient
                let error = try worstScaledError(problem, analytic, epsilon: normalize ? 3e-3 : 1e-2) { x in
                    try denseCorrelationLossValue(features: Tensor(shape: problem.features.shape, storage: x.map(Float.init)),
                                                  grid: problem.grid, options: options)
                }
                #expect(error < 5e-3, "\(options) B=\(pairs) \(hIn)×\(wIn): \(error)")
            }
        }
    }
}

@Suite struct CorrelationLossErrorTests {
    private let options = CorrelationLossOptions(exchangeDescriptors: true, normalizeVectors: false)

    private func error(features: [Int], grid: [Int], pow: Float = 0.5) -> CorrelationLossError? {
        var o = options
        o.pow = pow
        do {
            _ = try denseCorrelationLoss(features: Tensor(shape: features), grid: Tensor(shape: grid), options: o)
            return nil
        } catch {
            return error
        }
    }

    @Test func shapesThatAreNotPairsAndTheirGridAreRejected() {
        #expect(error(features: [4, 2, 3, 3], grid: [2, 6, 6, 2]) == nil)
        #expect(error(features: [2, 3, 3], grid: [1, 3, 3, 2]) == .featuresNotNCHW(shape: [2, 3, 3]))
        #expect(error(features: [3, 2, 3, 3], grid: [1, 6, 6, 2]) == .oddImageCount(shape: [3, 2, 3, 3]))
        #expect(error(features: [0, 2, 3, 3], grid: [0, 6, 6, 2]) == .oddImageCount(shape: [0, 2, 3, 3]))
        #expect(error(features: [2, 0, 3, 3], grid: [1, 6, 6, 2]) == .emptyFeatures(shape: [2, 0, 3, 3]))
        #expect(error(features: [4, 2, 3, 3], grid: [3, 6, 6, 2]) == .gridShape(grid: [3, 6, 6, 2], expectedPairs: 2))
        #expect(error(features: [4, 2, 3, 3], grid: [2, 6, 6, 3]) == .gridShape(grid: [2, 6, 6, 3], expectedPairs: 2))
        #expect(error(features: [4, 2, 3, 3], grid: [2, 6, 6]) == .gridShape(grid: [2, 6, 6], expectedPairs: 2))
        // Smaller than the features, and 7 // 3 = 2 with ceil(7 / 2) = 4 ≠ 3 (the reference's slices
        // would not line up either).
        #expect(error(features: [4, 2, 3, 3], grid: [2, 2, 6, 2]) == .gridDoesNotMatchFeatures(grid: [2, 2, 6, 2], featureHeight: 3, featureWidth: 3))
        #expect(error(features: [4, 2, 3, 3], grid: [2, 7, 6, 2]) == .gridDoesNotMatchFeatures(grid: [2, 7, 6, 2], featureHeight: 3, featureWidth: 3))
        #expect(error(features: [4, 2, 3, 3], grid: [2, 6, 9, 2]) == .gridDoesNotMatchFeatures(grid: [2, 6, 9, 2], featureHeight: 3, featureWidth: 3))
        if case .invalidPower(let p)? = error(features: [4, 2, 3, 3], grid: [2, 6, 6, 2], pow: .nan) {
            #expect(p.isNaN)
        } else {
            Issue.record("a NaN pow is accepted")
        }
        #expect(error(features: [4, 2, 3, 3], grid: [2, 6, 6, 2], pow: .infinity) == .invalidPower(.infinity))
        #expect(error(features: [4, 2, 3, 3], grid: [2, 6, 6, 2], pow: 0) == .invalidPower(0))
        #expect(error(features: [4, 2, 3, 3], grid: [2, 6, 6, 2], pow: -1) == .invalidPower(-1))
    }

    @Test func messagesNameTheOffendingShapes() {
        let message = error(features: [4, 2, 3, 3], grid: [3, 6, 6, 2])?.description ?? ""
        #expect(message.contains("[3, 6, 6, 2]"))
        #expect(message.contains("B = 2"))
        #expect(throws: CorrelationLossError.self) {
            try correlationTargetPixels(grid: Tensor(shape: [1, 5, 5, 2]), featureHeight: 3, featureWidth: 3)
        }
    }
}
