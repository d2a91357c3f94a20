import Testing
@testable import Tensors
import TestSupport

/// `BatchNorm2d.backward` and the fused `relu(batchNorm(x))` backward share one kernel
/// (`normalizationBackward`). These tests hold it to the two loops it replaced, written out here as
/// they were, bit for bit: the de-duplication must not move a single gradient.
@Suite struct BatchNormBackwardTests {
    /// The pre-de-duplication loops: `positiveOutput` nil is `BatchNorm2d.backward`, else the fused
    /// ReLU backward (dy passes where the output is > 0). Returns dx, dγ, dβ.
    static func reference(input: [Float], gradOutput: [Float], positiveOutput: [Float]?, n: Int, c: Int, plane: Int,
                          gamma: [Float], statistics: NormalizationStatistics) -> (dx: [Float], dGamma: [Float], dBeta: [Float]) {
        let m = Double(n * plane)
        var dx = [Float](repeating: 0, count: input.count), dGamma = [Float](repeating: 0, count: c), dBeta = dGamma
        for ch in 0..<c {
            let mu = statistics.mean[ch], inv = statistics.invStd[ch]
            var sumDy = 0.0, sumDyXhat = 0.0
            for b in 0..<n {
                let off = (b * c + ch) * plane
                for i in 0..<plane {
                    if let ys = positiveOutput, !(ys[off + i] > 0) { continue }
                    let dy = Double(gradOutput[off + i])
                    sumDy += dy
                    sumDyXhat += dy * Double((input[off + i] - mu) * inv)
                }
            }
            dGamma[ch] = Float(sumDyXhat)
            dBeta[ch] = Float(sumDy)
            let scale = gamma[ch] * inv
            let meanDy = Float(sumDy / m), meanDyXhat = Float(sumDyXhat / m)
            for b in 0..<n {
                let off = (b * c + ch) * plane
                for i in 0..<plane {
                    let xhat = (input[off + i] - mu) * inv
                    if let ys = positiveOutput {
                        let dy: Float = ys[off + i] > 0 ? gradOutput[off + i] : 0
                        dx[off + i] = scale * (dy - meanDy - xhat * meanDyXhat)
                    } else {
                        dx[off + i] = scale * (gradOutput[off + i] - meanDy - xhat * meanDyXhat)
                    }
                }
            }
        }
        return (dx, dGamma, dBeta)
    }

    static func bitsEqual(_ a: [Float], _ b: [Float]) -> Bool {
        a.count == b.count && zip(a, b).allSatisfy { $0.bitPattern == $1.bitPattern }
    }

    func layer(_ channels: Int, seed: UInt64) -> BatchNorm2d {
        var rng = SeededGenerator(seed: seed)
        let bn = BatchNorm2d(channels: channels)
        bn.weight.value = .uniform(shape: [channels], low: 0.5, high: 1.5, using: &rng)
        bn.bias.value = .normal(shape: [channels], std: 0.3, using: &rng)
        return bn
    }

    @Test(arguments: [1, 2, 3])
    func plainBackwardIsTheLoopItReplacedBitForBit(threads: Int) {
        var rng = SeededGenerator(seed: 11)
        let (n, c, h, w) = (3, 5, 7, 6)
        let x = Tensor.normal(shape: [n, c, h, w], mean: 0.3, std: 2, using: &rng)
        let g = Tensor.normal(shape: x.shape, using: &rng)
        let bn = layer(c, seed: 12), twin = layer(c, seed: 12)
        var scratch = Tensor.empty
        let statistics = twin.forwardReLU(x, training: true, into: &scratch)
        ComputeThreads.withCount(threads) {
            _ = bn.forward(x, training: true)
            bn.zeroGrad()
            let dx = bn.backward(g)
            let expected = Self.reference(input: x.storage, gradOutput: g.storage, positiveOutput: nil, n: n, c: c, plane: h * w,
                                          gamma: bn.weight.value.storage, statistics: statistics)
            #expect(Self.bitsEqual(dx.storage, expected.dx))
            #expect(Self.bitsEqual(bn.weight.grad.storage, expected.dGamma) && Self.bitsEqual(bn.bias.grad.storage, expected.dBeta))
        }
    }

    @Test(arguments: [1, 2, 3])
    func fusedReLUBackwardIsTheLoopItReplacedBitForBit(threads: Int) {
        var rng = SeededGenerator(seed: 21)
        let (n, c, h, w) = (2, 4, 5, 9)
        let x = Tensor.normal(shape: [n, c, h, w], mean: -0.2, std: 1.5, using: &rng)
        let g = Tensor.normal(shape: x.shape, using: &rng)
        let bn = layer(c, seed: 22)
        ComputeThreads.withCount(threads) {
            var y = Tensor.empty
            let statistics = bn.forwardReLU(x, training: true, into: &y)
            #expect(y.storage.contains(0) && y.storage.contains { $0 > 0 }, "the gate must both pass and block")
            bn.zeroGrad()
            var dx = Tensor.empty
            bn.backwardReLU(input: x, output: y, statistics: statistics, gradOutput: g, into: &dx)
            let expected = Self.reference(input: x.storage, gradOutput: g.storage, positiveOutput: y.storage, n: n, c: c, plane: h * w,
                                          gamma: bn.weight.value.storage, statistics: statistics)
            #expect(Self.bitsEqual(dx.storage, expected.dx))
            #expect(Self.bitsEqual(bn.weight.grad.storage, expected.dGamma) && Self.bitsEqual(bn.bias.grad.storage, expected.dBeta))
        }
    }
}
