import Testing
import Tensors
import TestSupport

/// The fused pieces residual networks use (`BatchNorm2d+ReLU`, the 1×1 convolution into caller
/// buffers, elementwise sums, `TensorArena`) agree with the plain layers they replace.
@Suite struct ResidualPiecesTests {
    func randomBN(_ channels: Int, seed: UInt64) -> BatchNorm2d {
        var rng = SeededGenerator(seed: seed)
        let bn = BatchNorm2d(channels: channels)
        bn.weight.value = .uniform(shape: [channels], low: 0.5, high: 1.5, using: &rng)
        bn.bias.value = .normal(shape: [channels], std: 0.3, using: &rng)
        bn.runningMean.value = .normal(shape: [channels], std: 0.2, using: &rng)
        bn.runningVar.value = .uniform(shape: [channels], low: 0.5, high: 1.5, using: &rng)
        return bn
    }

    func copyState(_ from: BatchNorm2d, _ to: BatchNorm2d) throws {
        try to.load(from.stateDict(), source: "copy")
    }

    @Test(arguments: [true, false])
    func batchNormReLUEqualsBatchNormThenReLU(training: Bool) throws {
        var rng = SeededGenerator(seed: 1)
        let x = Tensor.normal(shape: [3, 4, 5, 6], mean: 0.2, std: 1.5, using: &rng)
        let plain = randomBN(4, seed: 2), relu = ReLU()
        let fused = BatchNormReLU(channels: 4)
        try copyState(plain, fused.norm)
        let expected = relu.forward(plain.forward(x, training: training), training: training)
        let got = fused.forward(x, training: training)
        #expect(got.shape == expected.shape)
        for i in 0..<got.count { #expect(got[flat: i] == expected[flat: i], "element \(i)") }
        #expect(fused.stateDict()["running_mean"] == plain.stateDict()["running_mean"])
        #expect(fused.stateDict()["running_var"] == plain.stateDict()["running_var"])
        #expect(fused.norm.numBatchesTracked.value == plain.numBatchesTracked.value)
        guard training else { return }
        let g = Tensor.normal(shape: x.shape, using: &rng)
        plain.zeroGrad(); fused.zeroGrad()
        let gPlain = plain.backward(relu.backward(g))
        let gFused = fused.backward(g)
        for i in 0..<g.count { #expect(gFused[flat: i] == gPlain[flat: i], "grad element \(i)") }
        #expect(fused.norm.weight.grad == plain.weight.grad)
        #expect(fused.norm.bias.grad == plain.bias.grad)
    }

    @Test func batchNormReLUInPlaceBackwardEqualsTheOutOfPlaceOne() {
        var rng = SeededGenerator(seed: 3)
        let x = Tensor.normal(shape: [2, 3, 4, 4], using: &rng)
        let bn = randomBN(3, seed: 4)
        var y = Tensor.empty
        let stats = bn.forwardReLU(x, training: true, into: &y)
        let g = Tensor.normal(shape: x.shape, using: &rng)
        var outOfPlace = Tensor.empty
        bn.backwardReLU(input: x, output: y, statistics: stats, gradOutput: g, into: &outOfPlace)
        var inPlace = g
        bn.backwardReLU(input: x, output: y, statistics: stats, gradient: &inPlace)
        #expect(inPlace == outOfPlace)
        #expect(g != inPlace, "the caller's copy of the gradient must not change")
    }

    @Test func batchNormReLUBackwardMatchesFiniteDifferences() throws {
        var rng = SeededGenerator(seed: 5)
        let layer = BatchNormReLU(channels: 3)
        try copyState(randomBN(3, seed: 6), layer.norm)
        let x = Tensor.normal(shape: [4, 3, 5, 5], using: &rng)
        for (key, report) in GradientCheck(epsilon: 1e-3, samples: 30).run(layer, input: x) {
            #expect(report.worstScaledError < 1e-2, "d/d\(key): \(report)")
        }
    }

    @Test func pointwiseKernelsEqualConv2d() {
        var rng = SeededGenerator(seed: 7)
        let conv = Conv2d(inChannels: 5, outChannels: 4, kernel: 1)
        conv.weight.value = .normal(shape: conv.weight.value.shape, using: &rng)
        conv.bias!.value = .normal(shape: [4], using: &rng)
        let x = Tensor.normal(shape: [3, 5, 4, 6], using: &rng)
        let g = Tensor.normal(shape: [3, 4, 4, 6], using: &rng)
        ComputeThreads.withCount(2) {
            let expected = conv.forward(x, training: true)
            var got = Tensor.empty
            conv.pointwiseForward(x, into: &got)
            #expect(got == expected)

            conv.zeroGrad()
            let gx = conv.backward(g)
            let (dW, dB) = (conv.weight.grad, conv.bias!.grad)
            conv.zeroGrad()
            var gotGx = Tensor.empty
            conv.pointwiseBackward(input: x, gradOutput: g, gradInput: &gotGx, inputGradient: .overwrite)
            #expect(gotGx == gx)
            #expect(conv.weight.grad == dW)
            #expect(conv.bias!.grad == dB)

            // Accumulating modes add onto what is there.
            var base = Tensor.normal(shape: expected.shape, using: &rng)
            let start = base
            conv.pointwiseForward(x, into: &base, mode: .accumulate)
            for i in 0..<base.count { #expect(abs(base[flat: i] - (start[flat: i] + expected[flat: i])) <= 1e-5 * (1 + abs(base[flat: i]))) }
            var gradBase = Tensor.normal(shape: x.shape, using: &rng)
            let gradStart = gradBase
            conv.pointwiseBackward(input: x, gradOutput: g, gradInput: &gradBase, inputGradient: .accumulate)
            for i in 0..<gradBase.count { #expect(abs(gradBase[flat: i] - (gradStart[flat: i] + gx[flat: i])) <= 1e-5 * (1 + abs(gradBase[flat: i]))) }
            // No input gradient: parameters still accumulate.
            conv.zeroGrad()
            var unused = Tensor.empty
            conv.pointwiseBackward(input: x, gradOutput: g, gradInput: &unused, inputGradient: nil)
            #expect(unused.count == 0)
            #expect(conv.weight.grad == dW)
        }
    }

    @Test func pointwiseForwardHonoursFloat64Accumulation() {
        var rng = SeededGenerator(seed: 8)
        let conv = Conv2d(inChannels: 6, outChannels: 3, kernel: 1)
        conv.weight.value = .normal(shape: conv.weight.value.shape, using: &rng)
        let x = Tensor.normal(shape: [2, 6, 3, 3], using: &rng)
        conv.accumulation = .float64
        let expected = conv.forward(x, training: false)
        var got = Tensor.empty
        conv.pointwiseForward(x, into: &got)
        #expect(got == expected)
    }

    @Test func elementwiseSumsAndCopies() {
        let a = Tensor(shape: [2, 2], storage: [1, 2, 3, 4]), b = Tensor(shape: [2, 2], storage: [10, 20, 30, 40])
        var sum = Tensor.empty
        Elementwise.add(a, b, into: &sum)
        #expect(sum.storage == [11, 22, 33, 44])
        Elementwise.addInPlace(a, to: &sum)
        #expect(sum.storage == [12, 24, 36, 48])
        var copy = Tensor(shape: [4], repeating: 7)
        Elementwise.copy(b, into: &copy)
        #expect(copy == b)
        // Large enough to be split over workers.
        let big = Tensor(shape: [300_000], storage: (0..<300_000).map { Float($0 % 1000) })
        var twice = Tensor.empty
        ComputeThreads.withCount(2) { Elementwise.add(big, big, into: &twice) }
        #expect(twice.storage == big.storage.map { $0 * 2 })
    }

    @Test func arenaReusesRecycledBuffersAndNeverOverwritesAHeldOne() {
        let arena = TensorArena()
        var t = arena.take(shape: [2, 3])
        t.withUnsafeMutableBufferPointer { $0.update(repeating: 5) }
        let address = t.withUnsafeBufferPointer { $0.baseAddress }
        arena.recycle(t)
        #expect(arena.pooledElementCount == 6)
        // Same element count, other shape: the same buffer comes back.
        var u = arena.take(shape: [6])
        #expect(u.shape == [6])
        #expect(u.withUnsafeBufferPointer { $0.baseAddress } == address)
        #expect(arena.pooledElementCount == 0)
        // `t` still holds the buffer, so writing through `u` copies instead of changing `t`.
        u.withUnsafeMutableBufferPointer { $0.update(repeating: 1) }
        #expect(t.storage.allSatisfy { $0 == 5 })
        arena.recycle(u)
        arena.removeAll()
        #expect(arena.pooledElementCount == 0)
        #expect(arena.take(shape: [3]).shape == [3])
    }
}
