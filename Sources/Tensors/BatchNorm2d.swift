/// `nn.BatchNorm2d(C, eps, momentum)`, affine, tracking running statistics.
///
/// Training mode normalises with the batch mean and the *biased* variance over (N, H, W), then updates
/// `running_mean ← (1 − m)·running_mean + m·mean` and `running_var ← (1 − m)·running_var + m·var·n/(n − 1)`
/// (unbiased, n = N·H·W) and increments `num_batches_tracked`, as PyTorch does. Evaluation mode uses
/// the running statistics. Batch sums are taken in Float64 so the result does not depend on the
/// summation order beyond float32 rounding of the final values.
public final class BatchNorm2d: Layer {
    public let channels: Int
    public let eps: Float
    public let momentum: Float
    public let weight: Parameter
    public let bias: Parameter
    public let runningMean: Buffer
    public let runningVar: Buffer
    public let numBatchesTracked: Counter

    private var output = Tensor.empty
    private var gradInput = Tensor.empty
    private var saved: (input: Tensor, statistics: NormalizationStatistics)?

    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        self.channels = channels
        self.eps = eps
        self.momentum = momentum
        weight = Parameter(Tensor(shape: [channels], repeating: 1))
        bias = Parameter(Tensor(shape: [channels]))
        runningMean = Buffer(Tensor(shape: [channels]))
        runningVar = Buffer(Tensor(shape: [channels], repeating: 1))
        numBatchesTracked = Counter(0)
    }

    public var stateEntries: [(key: String, entry: StateEntry)] {
        [("weight", .parameter(weight)), ("bias", .parameter(bias)),
         ("running_mean", .buffer(runningMean)), ("running_var", .buffer(runningVar)),
         ("num_batches_tracked", .counter(numBatchesTracked))]
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (n, c, h, w) = input.nchw
        precondition(c == channels, "BatchNorm2d(\(channels)) got \(c) channels")
        output.prepare(shape: input.shape)
        let plane = h * w
        let statistics = training ? batchStatisticsUpdatingRunningValues(input) : runningStatistics()
        normalise(input, mean: statistics.mean, invStd: statistics.invStd, n: n, c: c, plane: plane)
        saved = training ? (input, statistics) : nil
        return output
    }

    private func normalise(_ input: Tensor, mean: [Float], invStd: [Float], n: Int, c: Int, plane: Int) {
        let gamma = weight.value.storage, beta = bias.value.storage
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                let xs = SharedConstPointer(x.baseAddress!), ys = SharedPointer(y.baseAddress!)
                parallelChunks(total: n * c) { _, planes in
                    for p in planes {
                        let ch = p % c
                        let scale = gamma[ch] * invStd[ch]
                        let mu = mean[ch], shift = beta[ch]
                        let xp = xs.advanced(by: p * plane), yp = ys.advanced(by: p * plane)
                        for i in 0..<plane { yp[i] = (xp[i] - mu) * scale + shift }
                    }
                }
            }
        }
    }

    /// dx = γ·invStd · (dy − mean(dy) − x̂·mean(dy·x̂)), with x̂ the normalised input (batch statistics).
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (input, statistics) = saved else {
            preconditionFailure("BatchNorm2d.backward without a training forward")
        }
        saved = nil
        gradInput.prepare(shape: input.shape)
        gradOutput.withUnsafeBufferPointer { gy in
            gradInput.withUnsafeMutableBufferPointer { gx in
                normalizationBackward(input: input, statistics: statistics, gate: UngatedGradient(),
                                      gradOutput: gy.baseAddress!, gradInput: gx.baseAddress!)
            }
        }
        return gradInput
    }
}
