import Testing
import Tensors
import TestSupport

@Suite struct BatchNormTests {
    func makeBN(seed: UInt64) -> (BatchNorm2d, Tensor) {
        var rng = SeededGenerator(seed: seed)
        let bn = BatchNorm2d(channels: 3)
        bn.weight.value = .uniform(shape: [3], low: 0.5, high: 1.5, using: &rng)
        bn.bias.value = .normal(shape: [3], std: 0.2, using: &rng)
        bn.runningMean.value = .normal(shape: [3], std: 0.1, using: &rng)
        bn.runningVar.value = .uniform(shape: [3], low: 0.5, high: 1.5, using: &rng)
        let x = Tensor.normal(shape: [4, 3, 5, 6], mean: 0.3, std: 2, using: &rng)
        return (bn, x)
    }

    @Test func trainModeUsesBatchStatisticsAndUpdatesRunningStats() {
        let (bn, x) = makeBN(seed: 1)
        let rm0 = bn.runningMean.value, rv0 = bn.runningVar.value
        let y = bn.forward(x, training: true)
        let m = 4 * 5 * 6
        for c in 0..<3 {
            var values: [Double] = []
            for b in 0..<4 { for i in 0..<30 { values.append(Double(x[flat: (b * 3 + c) * 30 + i])) } }
            let mean = values.reduce(0, +) / Double(m)
            let biased = values.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(m)
            let gamma = Double(bn.weight.value[flat: c]), beta = Double(bn.bias.value[flat: c])
            for b in 0..<4 {
                for i in 0..<30 {
                    let idx = (b * 3 + c) * 30 + i
                    let expected = (Double(x[flat: idx]) - mean) / (biased + 1e-5).squareRoot() * gamma + beta
                    #expect(abs(Double(y[flat: idx]) - expected) < 1e-5)
                }
            }
            let expectedMean = 0.9 * Double(rm0[flat: c]) + 0.1 * mean
            let expectedVar = 0.9 * Double(rv0[flat: c]) + 0.1 * biased * Double(m) / Double(m - 1)
            #expect(abs(Double(bn.runningMean.value[flat: c]) - expectedMean) < 1e-6)
            #expect(abs(Double(bn.runningVar.value[flat: c]) - expectedVar) < 1e-5)
        }
        #expect(bn.numBatchesTracked.value == 1)
    }

    @Test func evalModeUsesRunningStatistics() {
        let (bn, x) = makeBN(seed: 2)
        let y = bn.forward(x, training: false)
        for idx in 0..<x.count {
            let c = (idx / 30) % 3
            let expected = (Double(x[flat: idx]) - Double(bn.runningMean.value[flat: c]))
                / (Double(bn.runningVar.value[flat: c]) + 1e-5).squareRoot()
                * Double(bn.weight.value[flat: c]) + Double(bn.bias.value[flat: c])
            #expect(abs(Double(y[flat: idx]) - expected) < 1e-5)
        }
        #expect(bn.numBatchesTracked.value == 0)
    }

    @Test func trainBackwardMatchesFiniteDifferences() {
        let (bn, x) = makeBN(seed: 3)
        for (key, report) in GradientCheck(epsilon: 1e-2, samples: 40).run(bn, input: x) {
            #expect(report.worstScaledError < 2e-3, "d/d\(key): \(report)")
        }
    }
}

@Suite struct ActivationAndPoolingTests {
    /// Values on a shuffled grid with spacing 0.1, so no element is within ε of a kink or a tie.
    func spacedInput(shape: [Int], seed: UInt64) -> Tensor {
        var rng = SeededGenerator(seed: seed)
        let n = shape.reduce(1, *)
        var values = (0..<n).map { Float($0 - n / 2) * 0.1 + 0.05 }
        values.shuffle(using: &rng)
        return Tensor(shape: shape, storage: values)
    }

    @Test func leakyReLUForwardAndBackward() {
        let layer = LeakyReLU(negativeSlope: 0.2)
        let x = spacedInput(shape: [2, 3, 4, 5], seed: 1)
        let y = layer.forward(x, training: false)
        for i in 0..<x.count { #expect(y[flat: i] == (x[flat: i] > 0 ? x[flat: i] : x[flat: i] * 0.2)) }
        let report = GradientCheck(epsilon: 1e-2).run(layer, input: x)["input"]!
        #expect(report.worstScaledError < 1e-4, "\(report)")
    }

    @Test func reluGradientIsZeroAtZero() {
        let layer = ReLU()
        let x = Tensor(shape: [1, 1, 1, 3], storage: [-1, 0, 2])
        _ = layer.forward(x, training: true)
        let g = layer.backward(Tensor(shape: [1, 1, 1, 3], storage: [1, 1, 1]))
        #expect(g.storage == [0, 0, 1])
    }

    @Test func maxPoolPicksFirstMaximumAndFloorsOddSizes() {
        let pool = MaxPool2d(kernel: 2)
        let x = Tensor(shape: [1, 1, 3, 5], storage: [1, 4, 2, 2, 9,
                                                      4, 3, 2, 1, 9,
                                                      7, 7, 7, 7, 7])
        let y = pool.forward(x, training: true)
        #expect(y.shape == [1, 1, 1, 2])
        #expect(y.storage == [4, 2])
        let g = pool.backward(Tensor(shape: [1, 1, 1, 2], storage: [10, 20]))
        #expect(g.storage == [0, 10, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    }

    @Test func maxPoolBackwardMatchesFiniteDifferences() {
        let pool = MaxPool2d(kernel: 2)
        let x = spacedInput(shape: [2, 3, 6, 7], seed: 2)
        let report = GradientCheck(epsilon: 1e-2).run(pool, input: x)["input"]!
        #expect(report.worstScaledError < 1e-4, "\(report)")
    }

    @Test func sequentialChainsBackwardThroughEveryLayer() {
        var rng = SeededGenerator(seed: 9)
        let conv = Conv2d(inChannels: 2, outChannels: 3, kernel: 3, padding: 1)
        conv.weight.value = .normal(shape: conv.weight.value.shape, std: 0.5, using: &rng)
        let bn = BatchNorm2d(channels: 3)
        let net = Sequential(indexed: [conv, bn, LeakyReLU(negativeSlope: 0.2)])
        #expect(net.stateEntries.map(\.key) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                                                 "1.running_var", "1.num_batches_tracked"])
        let x = Tensor.normal(shape: [3, 2, 5, 5], using: &rng)
        for (key, report) in GradientCheck(epsilon: 1e-3, samples: 30).run(net, input: x) where key != "0.bias" {
            #expect(report.worstScaledError < 5e-3, "d/d\(key): \(report)")
        }
        // A bias in front of a train-mode BatchNorm is cancelled by the mean subtraction: its true
        // gradient is 0, so only rounding noise may remain.
        let biasGrad = conv.bias!.grad.storage.map(abs).max()!
        let bnBiasGrad = bn.bias.grad.storage.map(abs).max()!
        #expect(biasGrad <= 1e-4 * bnBiasGrad, "conv bias grad \(biasGrad) vs BN bias grad \(bnBiasGrad)")
    }
}
