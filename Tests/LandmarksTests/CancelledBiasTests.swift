import Testing
@testable import Landmarks
import Tensors

/// `DescriptorNetworks.biasesCancelledByBatchNorm` names the biases the trajectory gate leaves out
/// because their true gradient is zero. The claim is checked numerically: in a training-mode
/// backward, each named bias gets a gradient at rounding level next to its own layer's weights,
/// while the biases it does not name get real gradients.
@Suite struct CancelledBiasTests {
    /// (largest |gradient| of each cancelled bias / largest |gradient| of its convolution's weight),
    /// and the same ratio for the biases not named.
    static func gradientRatios(_ network: any DescriptorNetwork, input: [Int]) -> (cancelled: [String: Float], kept: [String: Float]) {
        var generator = SeededGenerator(seed: 5)
        let x = Tensor.normal(shape: input, using: &generator)
        let y = network.forward(x, training: true)
        network.zeroGrad()
        _ = network.backward(Tensor.normal(shape: y.shape, using: &generator))
        let parameters = Dictionary(uniqueKeysWithValues: network.namedParameters.map { ($0.key, $0.parameter) })
        let cancelled = DescriptorNetworks.biasesCancelledByBatchNorm(in: network)
        var ratios: (cancelled: [String: Float], kept: [String: Float]) = ([:], [:])
        for (key, parameter) in parameters where key.hasSuffix(".bias") {
            guard let weight = parameters[String(key.dropLast("bias".count)) + "weight"], weight.value.shape.count == 4 else { continue }
            let ratio = parameter.grad.storage.map(abs).max()! / max(weight.grad.storage.map(abs).max()!, .leastNormalMagnitude)
            if cancelled.contains(key) { ratios.cancelled[key] = ratio } else { ratios.kept[key] = ratio }
        }
        return ratios
    }

    @Test func smallNetBiasesBeforeBatchNormGetRoundingNoise() {
        let ratios = Self.gradientRatios(SmallNet(outputChannels: 16), input: [4, 3, 70, 70])
        #expect(Set(ratios.cancelled.keys) == ["conv1.0.bias", "conv2.0.bias", "conv3.0.bias", "conv4.0.bias", "conv5.0.bias"])
        for (key, ratio) in ratios.cancelled { #expect(ratio < 1e-4, "\(key): \(ratio)") }
        #expect(ratios.kept["conv6.bias"].map { $0 > 1e-2 } == true, "\(ratios.kept)")
    }

    @Test func hourglassBiasesBeforeBatchNormGetRoundingNoise() throws {
        let network = try HourglassNet(outputChannels: 16)
        var generator = SeededGenerator(seed: 1)
        network.initialize(using: &generator)
        let ratios = Self.gradientRatios(network, input: [2, 3, 64, 64])
        // Every convolution bias of the trunk, the bottlenecks' residual branches included: constants
        // travel along the skip paths to the head's BatchNorm.
        #expect(ratios.cancelled.count > 100 && ratios.cancelled["conv1.bias"] != nil)
        #expect(ratios.cancelled["layer1.0.conv3.bias"] != nil && ratios.cancelled["layer1.0.downsample.bias"] != nil)
        for (key, ratio) in ratios.cancelled { #expect(ratio < 1e-4, "\(key): \(ratio)") }
        #expect(Set(ratios.kept.keys) == ["output_layers.0.4.bias"])
        #expect(ratios.kept["output_layers.0.4.bias"].map { $0 > 1e-2 } == true, "\(ratios.kept)")
    }
}
