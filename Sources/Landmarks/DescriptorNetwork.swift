import Tensors

/// The descriptor architectures of the paper, by the reference's `arch.type` names.
public enum Architecture: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case smallNet = "SmallNet"
    case hourglass = "HourglassNet"

    public var description: String { rawValue }
}

/// A network mapping normalised images (N, 3, H, W) to dense descriptors (N, C, H/2, W/2), trainable
/// and loadable by PyTorch state_dict keys.
public protocol DescriptorNetwork: Layer, LayerContainer {
    var architecture: Architecture { get }
    var outputChannels: Int { get }
    /// The reference's initialisation, drawn from `generator`.
    func initialize(using generator: inout SeededGenerator)
}

extension SmallNet: DescriptorNetwork {
    public var architecture: Architecture { .smallNet }
}

/// Why a descriptor network could not be built.
public struct UnsupportedArchitecture: Error, CustomStringConvertible, Sendable {
    public var architecture: Architecture
    public var description: String { "architecture \(architecture) is not available in this build" }
}

public enum DescriptorNetworks {
    /// A freshly built, initialised network of `architecture` with `outputChannels` descriptor channels.
    public static func make(_ architecture: Architecture, outputChannels: Int,
                            using generator: inout SeededGenerator) throws(UnsupportedArchitecture) -> any DescriptorNetwork {
        let network: any DescriptorNetwork
        switch architecture {
        case .smallNet: network = SmallNet(outputChannels: outputChannels)
        case .hourglass:
            // Only an absurd channel count (outside 1...65536) fails here; the trainer validates it first.
            guard let hourglass = try? HourglassNet(outputChannels: outputChannels) else {
                throw UnsupportedArchitecture(architecture: architecture)
            }
            network = hourglass
        }
        network.initialize(using: &generator)
        return network
    }
}

extension DescriptorNetworks {
    /// The state-dict keys of biases whose true gradient is exactly zero in training: every
    /// convolution bias except the output convolution's. A training-mode BatchNorm subtracts each
    /// channel's batch mean, and with it any per-channel constant, so what such a bias receives is
    /// rounding noise; Adam turns noise into steps of about ±lr. Its values carry no signal about the
    /// loss, the network or the optimiser, and it cannot change any output.
    ///
    /// - SmallNet: `conv1.0` … `conv5.0` each feed their BatchNorm directly.
    /// - Hourglass: a per-channel constant passes unchanged through what lies between a bias and the
    ///   head's BatchNorm (`output_layers.0.2`): residual sums, max-pooling, upsampling and 1×1
    ///   convolutions carry it along, and every nonlinearity of the trunk sits behind a BatchNorm that
    ///   removes it. Only the head's last convolution (`output_layers.0.4`) comes after that BatchNorm.
    public static func biasesCancelledByBatchNorm(in network: any DescriptorNetwork) -> Set<String> {
        let output: String
        switch network.architecture {
        case .smallNet: output = "conv6.bias"
        case .hourglass: output = "output_layers.0.4.bias"
        }
        let parameters = Dictionary(uniqueKeysWithValues: network.namedParameters.map { ($0.key, $0.parameter.value.shape) })
        return Set(parameters.keys.filter { key in
            guard key.hasSuffix(".bias"), key != output else { return false }
            return parameters[String(key.dropLast("bias".count)) + "weight"]?.count == 4
        })
    }
}
