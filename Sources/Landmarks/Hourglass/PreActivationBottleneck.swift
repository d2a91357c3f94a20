import Tensors

/// `ResidualBottleneckPreactivation(inplanes, planes)` of `model/hourglass.py` (expansion 2):
///
///     h   = conv1(relu(bn1(x)))      1×1, inplanes → planes
///     h   = conv2(relu(bn2(h)))      3×3, pad 1, planes → planes
///     h   = conv3(relu(bn3(h)))      1×1, planes → 2·planes
///     out = h + (downsample(x) if downsample else x)        no activation after the sum
///
/// Every conv has a bias; `downsample` is a 1×1 conv with bias. State keys, in the reference's
/// registration order: `bn1.*, conv1.*, bn2.*, conv2.*, bn3.*, conv3.*, downsample.*`.
///
/// Memory is the point of this type (a 96×96 training step at batch 16 runs 67 of these). It keeps
/// only what backward reads: the BN-ReLU outputs `a1`, `a2`, `a3`, the conv outputs `c1` (and `conv2`'s
/// own), and `out`; `conv3` writes straight onto the skip. Activations and gradient temporaries come
/// from the network's `TensorArena` and go back to it as soon as they are dead, so an eval forward
/// holds two or three of them at a time, not one set per block.
///
/// `backward` returns a tensor taken from the arena; the caller may `recycle` it once consumed.
final class PreActivationBottleneck: Layer, LayerContainer {
    let inChannels: Int
    let planes: Int
    let bn1: BatchNorm2d
    let conv1: Conv2d
    let bn2: BatchNorm2d
    let conv2: Conv2d
    let bn3: BatchNorm2d
    let conv3: Conv2d
    let downsample: Conv2d?
    private let arena: TensorArena

    private var output = Tensor.empty
    /// What a training forward leaves for backward.
    private struct Saved {
        var input: Tensor
        var a1: Tensor, s1: NormalizationStatistics
        var c1: Tensor
        var a2: Tensor, s2: NormalizationStatistics
        var c2: Tensor
        var a3: Tensor, s3: NormalizationStatistics
    }
    private var saved: Saved?

    /// A block with a downsample conv exactly when `inChannels != 2·planes`, as `_make_blocks` builds
    /// the first block of a sequence.
    init(inChannels: Int, planes: Int, arena: TensorArena) {
        self.inChannels = inChannels
        self.planes = planes
        self.arena = arena
        bn1 = BatchNorm2d(channels: inChannels)
        conv1 = Conv2d(inChannels: inChannels, outChannels: planes, kernel: 1)
        bn2 = BatchNorm2d(channels: planes)
        conv2 = Conv2d(inChannels: planes, outChannels: planes, kernel: 3, padding: 1)
        bn3 = BatchNorm2d(channels: planes)
        conv3 = Conv2d(inChannels: planes, outChannels: 2 * planes, kernel: 1)
        downsample = inChannels != 2 * planes ? Conv2d(inChannels: inChannels, outChannels: 2 * planes, kernel: 1) : nil
    }

    var outChannels: Int { 2 * planes }

    var stateEntries: [(key: String, entry: StateEntry)] {
        var entries = prefixed("bn1", bn1.stateEntries) + prefixed("conv1", conv1.stateEntries)
            + prefixed("bn2", bn2.stateEntries) + prefixed("conv2", conv2.stateEntries)
            + prefixed("bn3", bn3.stateEntries) + prefixed("conv3", conv3.stateEntries)
        if let downsample { entries += prefixed("downsample", downsample.stateEntries) }
        return entries
    }

    var sublayers: [any Layer] { [bn1, conv1, bn2, conv2, bn3, conv3] + (downsample.map { [$0] } ?? []) }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        releaseSaved()
        let (n, c, h, w) = input.nchw
        precondition(c == inChannels, "bottleneck(\(inChannels)→\(outChannels)) got \(c) input channels")
        let inner = [n, planes, h, w]
        var a1 = arena.take(shape: input.shape)
        let s1 = bn1.forwardReLU(input, training: training, into: &a1)
        var c1 = arena.take(shape: inner)
        conv1.pointwiseForward(a1, into: &c1)
        var a2 = arena.take(shape: inner)
        let s2 = bn2.forwardReLU(c1, training: training, into: &a2)
        let c2 = conv2.forward(a2, training: training)
        var a3 = arena.take(shape: inner)
        let s3 = bn3.forwardReLU(c2, training: training, into: &a3)
        if let downsample {
            downsample.pointwiseForward(input, into: &output)
        } else {
            Elementwise.copy(input, into: &output)
        }
        conv3.pointwiseForward(a3, into: &output, mode: .accumulate)
        if training {
            saved = Saved(input: input, a1: a1, s1: s1, c1: c1, a2: a2, s2: s2, c2: c2, a3: a3, s3: s3)
        } else {
            for t in [a1, c1, a2, a3] { arena.recycle(t) }
        }
        return output
    }

    func backward(_ gradOutput: Tensor) -> Tensor {
        guard let s = saved else { preconditionFailure("bottleneck backward without a training forward") }
        saved = nil
        // out = conv3(a3) + skip: conv3's part.
        var t = arena.take(shape: s.a3.shape)
        conv3.pointwiseBackward(input: s.a3, gradOutput: gradOutput, gradInput: &t, inputGradient: .overwrite)
        bn3.backwardReLU(input: s.c2, output: s.a3, statistics: s.s3, gradient: &t)
        let gradA2 = conv2.backward(t)
        bn2.backwardReLU(input: s.c1, output: s.a2, statistics: s.s2, gradOutput: gradA2, into: &t)
        var gradInput = arena.take(shape: s.input.shape)
        conv1.pointwiseBackward(input: s.a1, gradOutput: t, gradInput: &gradInput, inputGradient: .overwrite)
        bn1.backwardReLU(input: s.input, output: s.a1, statistics: s.s1, gradient: &gradInput)
        // The skip's part.
        if let downsample {
            downsample.pointwiseBackward(input: s.input, gradOutput: gradOutput, gradInput: &gradInput, inputGradient: .accumulate)
        } else {
            Elementwise.addInPlace(gradOutput, to: &gradInput)
        }
        for x in [t, s.a1, s.c1, s.a2, s.a3] { arena.recycle(x) }
        return gradInput
    }

    /// A training forward that was never followed by backward (a loss probe) leaves activations
    /// behind; they go back to the arena before the next forward takes new ones.
    private func releaseSaved() {
        guard let s = saved else { return }
        saved = nil
        for x in [s.a1, s.c1, s.a2, s.a3] { arena.recycle(x) }
    }
}

/// `nn.Sequential` of bottlenecks (`_make_blocks`): keys `0.*`, `1.*`, …; the first block gets the
/// downsample conv when the channel count changes.
///
/// Backward hands each intermediate gradient back to the arena once the next block has consumed it.
final class BottleneckStack: Layer, LayerContainer {
    let blocks: [PreActivationBottleneck]
    private let arena: TensorArena

    init(inChannels: Int, planes: Int, count: Int, arena: TensorArena) {
        var blocks: [PreActivationBottleneck] = []
        var channels = inChannels
        for _ in 0..<count {
            blocks.append(PreActivationBottleneck(inChannels: channels, planes: planes, arena: arena))
            channels = 2 * planes
        }
        self.blocks = blocks
        self.arena = arena
    }

    var stateEntries: [(key: String, entry: StateEntry)] {
        blocks.enumerated().flatMap { prefixed(String($0.offset), $0.element.stateEntries) }
    }

    var sublayers: [any Layer] { blocks }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        var x = input
        for block in blocks { x = block.forward(x, training: training) }
        return x
    }

    /// Returns a tensor from the arena (every block's input gradient is).
    func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        var fromArena = false
        for block in blocks.reversed() {
            let next = block.backward(g)
            if fromArena { arena.recycle(g) }
            g = next
            fromArena = true
        }
        return g
    }
}
