import Tensors

/// SmallNet, the descriptor network of Thewlis et al. (NeurIPS 2017) as the DVE reference defines it
/// (`model/smallnet.py`): five Conv→BatchNorm→LeakyReLU(0.2) blocks with a 2×2 max-pool after the first,
/// then a 1×1 conv to `outputChannels` with no activation. Output stride 2: a 70×70 crop gives 35×35
/// descriptors. State keys are the reference's: `conv1.0.weight` (conv), `conv1.1.*` (BN), …,
/// `conv6.weight`.
public final class SmallNet: Layer, LayerContainer {
    public let outputChannels: Int
    public let network: Sequential

    /// (name, in, out, kernel, padding, dilation) of the five normalised blocks.
    static let blocks: [(String, Int, Int, Int, Int, Int)] = [
        ("conv1", 3, 20, 5, 2, 1),
        ("conv2", 20, 48, 5, 2, 1),
        ("conv3", 48, 64, 5, 4, 2),
        ("conv4", 64, 80, 3, 4, 4),
        ("conv5", 80, 256, 3, 2, 2),
    ]

    public init(outputChannels: Int) {
        self.outputChannels = outputChannels
        var children: [(name: String, layer: any Layer)] = []
        for (name, cin, cout, k, pad, dil) in Self.blocks {
            let block = Sequential(indexed: [
                Conv2d(inChannels: cin, outChannels: cout, kernel: k, padding: pad, dilation: dil),
                BatchNorm2d(channels: cout),
                LeakyReLU(negativeSlope: 0.2),
            ])
            children.append((name, block))
            if name == "conv1" { children.append(("mp", MaxPool2d(kernel: 2))) }
        }
        children.append(("conv6", Conv2d(inChannels: 256, outChannels: outputChannels, kernel: 1)))
        network = Sequential(children)
    }

    public var stateEntries: [(key: String, entry: StateEntry)] { network.stateEntries }
    public var sublayers: [any Layer] { [network] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        network.forward(input, training: training)
    }

    /// Forward that also reports each block's output (`conv1`, `mp`, `conv2` … `conv6`).
    public func forward(_ input: Tensor, training: Bool, tap: (String, Tensor) -> Void) -> Tensor {
        withoutActuallyEscaping(tap) { network.forward(input, training: training, tap: $0) }
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        network.backward(gradOutput)
    }
}
