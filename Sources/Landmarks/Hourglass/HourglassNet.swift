import Tensors

/// `HourglassNet` of the DVE reference (`model/hourglass.py`), one stack, as `models.md` §2 and the
/// golden README §4 specify it:
///
///     x = relu(bn1(conv1(x)))             conv1 7×7, stride 2, pad 3, 3 → planesConv1
///     x = layer3(layer2(layer1(x)))       one bottleneck each (see `HourglassWidths`)
///     x = hg.0(x)                         depth-4 hourglass (`HourglassLevel`)
///     y = output_layers.0(x)              [4 bottlenecks] → conv 1×1 → BN → ReLU → conv 1×1 → C
///
/// Output stride 2: a 96×96 input (imwidth 136, crop 20) gives C×48×48. The reference returns the
/// list `[y]`; this returns `y`. State keys are the reference's `state_dict` keys in its order
/// (1 259 entries, 12 609 472 parameters for C = 64), so a checkpoint or the golden file loads by name.
///
/// The input side must be a multiple of 2^(depth+1) (32): `validateInput(shape:)` says so as a typed
/// error; `forward` treats a wrong shape as a programming error.
///
/// Eval-mode forwards of more than `inferenceChunk` images run in chunks of that many, so the memory an
/// evaluation needs does not grow with its batch (every image is independent in eval mode). Training
/// forwards run whole, since batch statistics couple the images.
public final class HourglassNet: Layer, LayerContainer {
    public let widths: HourglassWidths
    public let conv1: Conv2d
    public let bn1: BatchNormReLU
    let layer1: BottleneckStack
    let layer2: BottleneckStack
    let layer3: BottleneckStack
    let hourglass: HourglassLevel
    let headBlocks: BottleneckStack
    let headConv: Conv2d
    let headNorm: BatchNormReLU
    let headOutput: Conv2d
    /// Largest eval batch run in one piece.
    public var inferenceChunk: Int = 8

    private let arena = TensorArena()
    private var lastInputShape: [Int] = []
    private var streamed = Tensor.empty

    public init(widths: HourglassWidths) throws(HourglassError) {
        try widths.validate()
        self.widths = widths
        let expansion = 2
        conv1 = Conv2d(inChannels: 3, outChannels: widths.planesConv1, kernel: 7, stride: 2, padding: 3)
        bn1 = BatchNormReLU(channels: widths.planesConv1)
        layer1 = BottleneckStack(inChannels: widths.planesConv1, planes: widths.planesConv1, count: 1, arena: arena)
        layer2 = BottleneckStack(inChannels: expansion * widths.planesConv1, planes: widths.planesBlock, count: 1, arena: arena)
        layer3 = BottleneckStack(inChannels: expansion * widths.planesBlock, planes: widths.planesHG, count: 1, arena: arena)
        let channels = expansion * widths.planesHG
        hourglass = HourglassLevel(level: widths.depth, planes: widths.planesHG, blocksPerStack: widths.blocksPerStack, arena: arena)
        headBlocks = BottleneckStack(inChannels: channels, planes: widths.planesHG, count: widths.blocksPerStack, arena: arena)
        headConv = Conv2d(inChannels: channels, outChannels: channels, kernel: 1)
        headNorm = BatchNormReLU(channels: channels)
        headOutput = Conv2d(inChannels: channels, outChannels: widths.outputChannels, kernel: 1)
    }

    /// The released configuration: `HourglassNet(num_output_channels=C)`.
    public convenience init(outputChannels: Int = 64) throws(HourglassError) {
        try self.init(widths: .reference(outputChannels: outputChannels))
    }

    public var outputChannels: Int { widths.outputChannels }

    public var stateEntries: [(key: String, entry: StateEntry)] {
        prefixed("conv1", conv1.stateEntries) + prefixed("bn1", bn1.stateEntries)
            + prefixed("layer1", layer1.stateEntries) + prefixed("layer2", layer2.stateEntries)
            + prefixed("layer3", layer3.stateEntries) + prefixed("hg.0", hourglass.stateEntries)
            + prefixed("output_layers.0.0", headBlocks.stateEntries) + prefixed("output_layers.0.1", headConv.stateEntries)
            + prefixed("output_layers.0.2", headNorm.stateEntries) + prefixed("output_layers.0.4", headOutput.stateEntries)
    }

    /// Forward order; the stem conv comes first (the trainer switches its unused input gradient off).
    public var sublayers: [any Layer] {
        [conv1, bn1, layer1, layer2, layer3, hourglass, headBlocks, headConv, headNorm, headOutput]
    }

    /// Throws unless `shape` is (N, 3, H, W) with N ≥ 1 and H, W positive multiples of 2^(depth+1).
    public func validateInput(shape: [Int]) throws(HourglassError) {
        let m = widths.inputSideMultiple
        guard shape.count == 4, shape[0] >= 1, shape[1] == 3, shape[2] >= m, shape[3] >= m,
              shape[2] % m == 0, shape[3] % m == 0 else {
            throw .inputShape(got: shape, multiple: m)
        }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, tap: nil)
    }

    /// Forward that also reports the stages the golden file summarises: `stem` (after the stem's
    /// ReLU), `layer1`, `layer2`, `layer3`, `hg0` and `output`. Eval inputs larger than
    /// `inferenceChunk` are reported chunk by chunk (the first dimension is the chunk's).
    public func forward(_ input: Tensor, training: Bool, tap: ((String, Tensor) -> Void)?) -> Tensor {
        do { try validateInput(shape: input.shape) } catch { preconditionFailure("\(error)") }
        let n = input.shape[0], chunk = max(1, inferenceChunk)
        guard !training, n > chunk else { return forwardWhole(input, training: training, tap: tap) }
        let imageSize = input.count / n
        var outputShape: [Int] = []
        for first in stride(from: 0, to: n, by: chunk) {
            let count = min(chunk, n - first)
            let part = Tensor(shape: [count] + input.shape.dropFirst(),
                              storage: Array(input.storage[(first * imageSize)..<((first + count) * imageSize)]))
            let y = forwardWhole(part, training: false, tap: tap)
            if outputShape.isEmpty {
                outputShape = [n] + y.shape.dropFirst()
                streamed.prepare(shape: outputShape)
            }
            let size = y.count / count
            streamed.withUnsafeMutableBufferPointer { out in
                y.withUnsafeBufferPointer { src in
                    (out.baseAddress! + first * size).update(from: src.baseAddress!, count: y.count)
                }
            }
        }
        return streamed
    }

    private func forwardWhole(_ input: Tensor, training: Bool, tap: ((String, Tensor) -> Void)?) -> Tensor {
        if input.shape != lastInputShape {
            // Pooled buffers of another batch geometry would never be asked for again.
            arena.removeAll()
            lastInputShape = input.shape
        }
        var x = bn1.forward(conv1.forward(input, training: training), training: training)
        tap?("stem", x)
        x = layer1.forward(x, training: training)
        tap?("layer1", x)
        x = layer2.forward(x, training: training)
        tap?("layer2", x)
        x = layer3.forward(x, training: training)
        tap?("layer3", x)
        x = hourglass.forward(x, training: training)
        tap?("hg0", x)
        x = headBlocks.forward(x, training: training)
        x = headOutput.forward(headNorm.forward(headConv.forward(x, training: training), training: training), training: training)
        tap?("output", x)
        return x
    }

    /// Gradient with respect to the input of the last training forward (empty when the stem conv's
    /// `computesInputGradient` is off, as in training).
    public func backward(_ gradOutput: Tensor) -> Tensor {
        var g = headConv.backward(headNorm.backward(headOutput.backward(gradOutput)))
        for stage in [headBlocks, hourglass, layer3, layer2, layer1] as [any Layer] {
            let next = stage.backward(g)
            if stage !== headBlocks { arena.recycle(g) }
            g = next
        }
        let result = conv1.backward(bn1.backward(g))
        arena.recycle(g)
        return result
    }

    /// Floats currently pooled for reuse (activations between steps, gradient temporaries).
    public var pooledElementCount: Int { arena.pooledElementCount }
}
