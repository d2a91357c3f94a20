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
