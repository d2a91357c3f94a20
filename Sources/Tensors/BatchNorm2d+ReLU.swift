/// `relu(batchNorm(x))` as one kernel, the pre-activation of a residual block (`nn.BatchNorm2d` then
/// `nn.ReLU(inplace=True)`), with caller-owned buffers.
///
/// Why fused: the separate layers would keep three tensors per activation (BN output, ReLU output,
/// and each one's input gradient); PyTorch keeps one, because its ReLU overwrites the BN output. A
/// deep residual network (the 12.6M-parameter hourglass has 179 of these) needs that saving to train
/// in a few GB. The numbers equal `BatchNorm2d.forward` followed by `ReLU()`, element for element:
/// the same Float64 batch sums, the same `(x − mean)·(γ·invStd) + β` in Float32, the same running
/// statistic update (unbiased variance, momentum) and `num_batches_tracked` increment.
///
/// ReLU follows PyTorch: the output is `x` for x > 0, else 0, and NaN stays NaN; the gradient passes
/// where the *output* is > 0 (PyTorch's `threshold_backward` on the result).
extension BatchNorm2d {
    /// Writes `relu(bn(input))` into `output` (reusing its buffer) and returns the statistics used.
    @discardableResult
    public func forwardReLU(_ input: Tensor, training: Bool, into output: inout Tensor) -> NormalizationStatistics {
        let (n, c, h, w) = input.nchw
        precondition(c == channels, "BatchNorm2d(\(channels)) got \(c) channels")
        let statistics = training ? batchStatisticsUpdatingRunningValues(input) : runningStatistics()
        output.prepare(shape: input.shape)
        let plane = h * w
        let gamma = weight.value.storage, beta = bias.value.storage
        let mean = statistics.mean, invStd = statistics.invStd
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                let xs = SharedConstPointer(x.baseAddress!), ys = SharedPointer(y.baseAddress!)
                parallelChunks(total: n * c) { _, planes in
                    for p in planes {
                        let ch = p % c
                        let scale = gamma[ch] * invStd[ch]
                        let mu = mean[ch], shift = beta[ch]
                        let xp = xs.advanced(by: p * plane), yp = ys.advanced(by: p * plane)
                        for i in 0..<plane {
                            let v = (xp[i] - mu) * scale + shift
                            yp[i] = v <= 0 ? 0 : v
                        }
                    }
                }
            }
        }
        return statistics
    }

    /// The backward of a training-mode `forwardReLU`: `gradInput = d/dx` given `gradOutput = d/d(output)`,
    /// and the weight and bias gradients accumulated into `weight.grad` and `bias.grad`.
    /// `input`, `output` and `statistics` are those of the forward.
    public func backwardReLU(input: Tensor, output: Tensor, statistics: NormalizationStatistics,
                             gradOutput: Tensor, into gradInput: inout Tensor) {
        precondition(gradOutput.shape == input.shape && output.shape == input.shape,
                     "BatchNorm2d+ReLU backward: shapes \(input.shape), \(output.shape), \(gradOutput.shape) differ")
        gradInput.prepare(shape: input.shape)
        gradOutput.withUnsafeBufferPointer { gy in
            gradInput.withUnsafeMutableBufferPointer { gx in
                reluBackward(input: input, output: output, statistics: statistics,
                             gradOutput: gy.baseAddress!, gradInput: gx.baseAddress!)
            }
        }
    }

    /// As `backwardReLU(…into:)`, overwriting `gradient` (d/d(output) on entry, d/dx on return), so a
    /// caller holding a buffer it owns needs no second one.
    public func backwardReLU(input: Tensor, output: Tensor, statistics: NormalizationStatistics,
                             gradient: inout Tensor) {
        precondition(gradient.shape == input.shape && output.shape == input.shape,
                     "BatchNorm2d+ReLU backward: shapes \(input.shape), \(output.shape), \(gradient.shape) differ")
        gradient.withUnsafeMutableBufferPointer { g in
            reluBackward(input: input, output: output, statistics: statistics,
                         gradOutput: UnsafePointer(g.baseAddress!), gradInput: g.baseAddress!)
        }
    }

    /// `normalizationBackward` with the gradient passing where the output is > 0.
    private func reluBackward(input: Tensor, output: Tensor, statistics: NormalizationStatistics,
                              gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>) {
        output.withUnsafeBufferPointer { y in
            normalizationBackward(input: input, statistics: statistics, gate: PositiveOutputGate(output: SharedConstPointer(y.baseAddress!)),
                                  gradOutput: gradOutput, gradInput: gradInput)
        }
    }
}

/// `nn.Sequential(nn.BatchNorm2d(C), nn.ReLU())` as one layer with the BatchNorm's state keys
/// (`weight`, `bias`, `running_mean`, `running_var`, `num_batches_tracked`); see the fused kernels above
/// for why. The BatchNorm is exposed as a sublayer so network-wide walks (initialisation) find it.
public final class BatchNormReLU: Layer, LayerContainer {
    public let norm: BatchNorm2d
    private var output = Tensor.empty
    private var gradInput = Tensor.empty
    private var saved: (input: Tensor, statistics: NormalizationStatistics)?

    public init(channels: Int, eps: Float = 1e-5, momentum: Float = 0.1) {
        norm = BatchNorm2d(channels: channels, eps: eps, momentum: momentum)
    }

    public var stateEntries: [(key: String, entry: StateEntry)] { norm.stateEntries }
    public var sublayers: [any Layer] { [norm] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        saved = nil  // drop the old reference to `output` first, so it is rewritten in place
        let statistics = norm.forwardReLU(input, training: training, into: &output)
        if training { saved = (input, statistics) }
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let (input, statistics) = saved else { preconditionFailure("BatchNormReLU.backward without a training forward") }
        saved = nil
        norm.backwardReLU(input: input, output: output, statistics: statistics, gradOutput: gradOutput, into: &gradInput)
        return gradInput
    }
}
