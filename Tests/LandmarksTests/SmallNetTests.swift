import Testing
import Tensors
import Landmarks
import TestSupport

@Suite struct SmallNetTests {
    @Test(arguments: [(3, 334_875), (16, 338_216), (32, 342_328), (64, 350_552)])
    func parameterCountsMatchThePaper(channels: Int, expected: Int) {
        #expect(SmallNet(outputChannels: channels).parameterCount == expected)
    }

    @Test func stateKeysFollowPyTorchOrder() {
        let keys = SmallNet(outputChannels: 16).stateEntries.map(\.key)
        #expect(keys.count == 37)
        #expect(keys.prefix(7) == ["conv1.0.weight", "conv1.0.bias", "conv1.1.weight", "conv1.1.bias",
                                   "conv1.1.running_mean", "conv1.1.running_var", "conv1.1.num_batches_tracked"])
        #expect(keys.suffix(2) == ["conv6.weight", "conv6.bias"])
    }

    @Test func outputHasStrideTwo() {
        var rng = SeededGenerator(seed: 1)
        let net = SmallNet(outputChannels: 3)
        let y = net.forward(.normal(shape: [1, 3, 70, 70], using: &rng), training: false)
        #expect(y.shape == [1, 3, 35, 35])
        let odd = net.forward(.normal(shape: [2, 3, 21, 15], using: &rng), training: false)
        #expect(odd.shape == [2, 3, 10, 7])
    }

    @Test func loadingReportsEveryMissingUnexpectedAndMisShapedKey() {
        let source = SmallNet(outputChannels: 16).stateDict()
        var dict = source
        dict["conv2.0.weight"] = nil
        dict["conv6.weight"] = .float(Tensor(shape: [8, 256, 1, 1]))
        dict["module.extra"] = .float(Tensor(shape: [1]))
        dict["conv1.1.num_batches_tracked"] = .float(Tensor(shape: []))
        let net = SmallNet(outputChannels: 16)
        let before = net.stateDict()
        #expect(throws: StateDictMismatch.self) { try net.load(dict, source: "test.h5") }
        do {
            try net.load(dict, source: "test.h5")
        } catch {
            #expect(error.missing == ["conv2.0.weight"])
            #expect(error.unexpected == ["module.extra"])
            #expect(error.misShaped.map(\.key) == ["conv6.weight"])
            #expect(error.wrongKind.map(\.key) == ["conv1.1.num_batches_tracked"])
            #expect(error.description.contains("test.h5"))
            #expect(error.description.contains("conv6.weight: model expects shape [16, 256, 1, 1], file has [8, 256, 1, 1]"))
        }
        // A failed load changes nothing.
        #expect(net.stateDict().keys == before.keys)
        for key in before.keys { #expect(net.stateDict()[key] == before[key]) }
    }

    @Test func stateDictRoundTrips() throws {
        var rng = SeededGenerator(seed: 4)
        let a = SmallNet(outputChannels: 3)
        for (_, p) in a.namedParameters { p.value = .normal(shape: p.value.shape, using: &rng) }
        let b = SmallNet(outputChannels: 3)
        try b.load(a.stateDict(), source: "memory")
        let x = Tensor.normal(shape: [1, 3, 20, 20], using: &rng)
        #expect(a.forward(x, training: false) == b.forward(x, training: false))
    }

    @Test func trainingStepIsDeterministicForAThreadCount() {
        var rng = SeededGenerator(seed: 8)
        let x = Tensor.normal(shape: [3, 3, 30, 30], using: &rng)
        let r = Tensor.normal(shape: [3, 16, 15, 15], using: &rng)
        func step() -> [Float] {
            let net = SmallNet(outputChannels: 16)
            var init_ = SeededGenerator(seed: 2)
            for (_, p) in net.namedParameters { p.value = .normal(shape: p.value.shape, std: 0.1, using: &init_) }
            _ = net.forward(x, training: true)
            net.zeroGrad()
            _ = net.backward(r)
            return net.namedParameters.flatMap { $0.parameter.grad.storage }
        }
        ComputeThreads.withCount(2) {
            let first = step(), second = step()
            #expect(first.count == 338_216)
            #expect(first == second, "gradients differ between two identical steps")
        }
    }
}
