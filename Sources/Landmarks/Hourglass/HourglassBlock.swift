import Tensors

/// One level n of `HourglassBlock` (`model/hourglass.py`, `hg.0`), recursively containing level n−1:
///
///     s   = layer{n}_1(x)            kept: it is BOTH the skip branch and the pool's input (quirk Q15)
///     y   = layer{n}_2(mp{n}(s))     MaxPool2d(2, 2)
///     y   = layer1_4(y) if n == 1 else level(n−1)(y)
///     y   = layer{n}_3(y)
///     out = s + up{n}(y)             nn.Upsample(scale_factor=2), nearest
///
/// Unlike the textbook hourglass, the pool reads `layer{n}_1`'s output rather than the level's input;
/// copying that is what makes the reference's weights mean the same thing here.
///
/// State keys carry no level prefix (the reference sets `layer4_1`, `mp4`, … as attributes of one
/// module) and come in registration order: `layer{n}_1, layer{n}_2`, then the inner level's keys (or
/// `layer1_4`), then `layer{n}_3`. For depth 4 that is `layer4_1, layer4_2, layer3_1, layer3_2, layer2_1,
/// layer2_2, layer1_1, layer1_2, layer1_4, layer1_3, layer2_3, layer3_3, layer4_3`.
final class HourglassLevel: Layer, LayerContainer {
    let level: Int
    let skip: BottleneckStack      // layer{n}_1
    let down: BottleneckStack      // layer{n}_2
    let inner: any Layer           // HourglassLevel(n − 1), or layer1_4 at n == 1
    let up: BottleneckStack        // layer{n}_3
    private let pool = MaxPool2d(kernel: 2)
    private let arena: TensorArena
    private var output = Tensor.empty
    /// Shape of `layer{n}_3`'s output in the last training forward (upsample backward needs it).
    private var upInputShape: [Int]?

    init(level: Int, planes: Int, blocksPerStack: Int, arena: TensorArena) {
        precondition(level >= 1, "hourglass level must be ≥ 1, got \(level)")
        let channels = 2 * planes
        func stack() -> BottleneckStack {
            BottleneckStack(inChannels: channels, planes: planes, count: blocksPerStack, arena: arena)
        }
        self.level = level
        self.arena = arena
        skip = stack()
        down = stack()
        inner = level == 1 ? stack() : HourglassLevel(level: level - 1, planes: planes, blocksPerStack: blocksPerStack, arena: arena)
        up = stack()
    }

    private var innerName: String? { level == 1 ? "layer1_4" : nil }

    var stateEntries: [(key: String, entry: StateEntry)] {
        let n = level
        return prefixed("layer\(n)_1", skip.stateEntries) + prefixed("layer\(n)_2", down.stateEntries)
            + (innerName.map { prefixed($0, inner.stateEntries) } ?? inner.stateEntries)
            + prefixed("layer\(n)_3", up.stateEntries)
    }

    var sublayers: [any Layer] { [skip, down, inner, up] }

    func forward(_ input: Tensor, training: Bool) -> Tensor {
        let s = skip.forward(input, training: training)
        let p = pool.forward(s, training: training)
        let y = up.forward(inner.forward(down.forward(p, training: training), training: training), training: training)
        UpsampleNearest2d.upsample(y, scale: 2, adding: s, into: &output)
        upInputShape = training ? y.shape : nil
        return output
    }

    /// d/d(out) flows unchanged into the skip and, block-summed over each 2×2 cell, into `layer{n}_3`;
    /// the pool's input gradient joins the skip's before `layer{n}_1`. Returns an arena tensor.
    func backward(_ gradOutput: Tensor) -> Tensor {
        guard let shape = upInputShape else { preconditionFailure("hourglass level backward without a training forward") }
        upInputShape = nil
        var gradUp = arena.take(shape: shape)
        UpsampleNearest2d.blockSum(gradOutput, scale: 2, inputShape: shape, into: &gradUp)
        let gradInner = up.backward(gradUp)
        arena.recycle(gradUp)
        let gradDown = inner.backward(gradInner)
        arena.recycle(gradInner)
        let gradPool = down.backward(gradDown)
        arena.recycle(gradDown)
        let gradSkipFromPool = pool.backward(gradPool)
        arena.recycle(gradPool)
        var gradSkip = arena.take(shape: gradOutput.shape)
        Elementwise.add(gradOutput, gradSkipFromPool, into: &gradSkip)
        let gradInput = skip.backward(gradSkip)
        arena.recycle(gradSkip)
        return gradInput
    }
}
