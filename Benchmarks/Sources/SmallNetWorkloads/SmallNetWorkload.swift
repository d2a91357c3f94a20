import Landmarks
import Tensors

/// The two SmallNet workloads the benchmark suite and `smallnet-timing` measure, built identically
/// for both so their numbers are comparable with each other and with `torch/smallnet_bench.py`.
///
/// - `forwardEval`: one eval-mode forward pass of a 32×3×70×70 batch.
/// - `trainStep`: one train-mode forward, `zeroGrad()`, and a backward pass of a fixed random
///   gradient of the output's shape (no optimiser update, same as the PyTorch side).
public enum SmallNetWorkloadKind: String, CaseIterable, Sendable {
    case forwardEval = "forward-eval"
    case trainStep = "train-step"

    /// The benchmark name used by the ordo-one suite.
    public func benchmarkName(batch: Int, size: Int, outputChannels: Int) -> String {
        switch self {
        case .forwardEval: "SmallNet-\(outputChannels) forward eval B\(batch) \(size)x\(size)"
        case .trainStep: "SmallNet-\(outputChannels) train step B\(batch) \(size)x\(size)"
        }
    }
}

/// A SmallNet with deterministic, PyTorch-default-scaled random weights, plus a fixed input batch and
/// a fixed output gradient. Not thread-safe: one instance is driven by one caller at a time (the
/// layers themselves spread work over `ComputeThreads.count` workers).
public final class SmallNetWorkload {
    public static let defaultBatch = 32
    public static let defaultSize = 70
    public static let defaultOutputChannels = 64

    public let batch: Int
    public let size: Int
    public let outputChannels: Int
    public let net: SmallNet
    public let input: Tensor
    public let outputGradient: Tensor
    public let outputShape: [Int]

    public init(batch: Int = defaultBatch, size: Int = defaultSize,
                outputChannels: Int = defaultOutputChannels, seed: UInt64 = 2017) {
        self.batch = batch
        self.size = size
        self.outputChannels = outputChannels
        var rng = SeededGenerator(seed: seed)
        net = SmallNet(outputChannels: outputChannels)
        Self.initialiseLikePyTorch(net.network, using: &rng)
        input = Tensor.normal(shape: [batch, 3, size, size], using: &rng)
        // SmallNet has output stride 2 (one 2×2 max-pool; every conv keeps the spatial size).
        outputShape = [batch, outputChannels, size / 2, size / 2]
        outputGradient = Tensor.normal(shape: outputShape, using: &rng)
        // Sanity check once, outside any measurement: the model really produces that shape.
        let probe = SmallNet(outputChannels: outputChannels)
        let out = probe.forward(Tensor(shape: [1, 3, size, size]), training: false)
        precondition(Array(out.shape.dropFirst()) == Array(outputShape.dropFirst()),
                     "SmallNet output \(out.shape) does not match the expected \(outputShape)")
    }

    /// PyTorch's default `Conv2d` initialisation scale: weight and bias ~ U(−1/√fan_in, 1/√fan_in)
    /// (kaiming_uniform with a = √5 gives the same bound). BatchNorm keeps γ = 1, β = 0.
    /// Only the scale matters for timing (no denormals, no all-zero activations).
    static func initialiseLikePyTorch(_ layer: any Layer, using rng: inout SeededGenerator) {
        if let conv = layer as? Conv2d {
            let shape = conv.weight.value.shape
            let fanIn = shape.dropFirst().reduce(1, *)
            let bound = 1 / Float(fanIn).squareRoot()
            conv.weight.value = Tensor.uniform(shape: shape, low: -bound, high: bound, using: &rng)
            if let bias = conv.bias {
                bias.value = Tensor.uniform(shape: bias.value.shape, low: -bound, high: bound, using: &rng)
            }
            conv.weight.zeroGrad()
            conv.bias?.zeroGrad()
        } else if let sequential = layer as? Sequential {
            for child in sequential.children { initialiseLikePyTorch(child.layer, using: &rng) }
        }
    }

    /// Whether the train step computes the gradient with respect to the input image (conv1's input
    /// gradient). SmallNet computes it by default and `backward` returns it; a training loop has no use
    /// for it and can switch it off (`Conv2d.computesInputGradient`), as PyTorch skips it for an input
    /// that does not require grad.
    public var computesInputGradient: Bool {
        get { firstConv?.computesInputGradient ?? true }
        set { firstConv?.computesInputGradient = newValue }
    }

    private var firstConv: Conv2d? { leafLayers.lazy.compactMap { $0.layer as? Conv2d }.first }

    /// Sets the worker count for the kernels (and pins OpenBLAS to one thread).
    public static func setThreads(_ n: Int) { ComputeThreads.set(n) }

    /// One eval-mode forward pass. Returns a checksum-ish element so the work cannot be elided.
    @inline(never)
    public func forwardEval() -> Float {
        let y = net.forward(input, training: false)
        return y.storage[y.count / 2]
    }

    /// One train step without the optimiser: forward (train mode), zeroGrad, backward.
    @inline(never)
    public func trainStep() -> Float {
        let y = net.forward(input, training: true)
        let sample = y.storage[0]
        net.zeroGrad()
        let gx = net.backward(outputGradient)
        return sample + (gx.count > 0 ? gx.storage[0] : 0)
    }

    public func run(_ kind: SmallNetWorkloadKind) -> Float {
        switch kind {
        case .forwardEval: forwardEval()
        case .trainStep: trainStep()
        }
    }

    /// Provenance for reports.
    public static var blasCoreName: String { BLAS.coreName }
    public static var blasConfiguration: String { BLAS.configuration }
}
