// The backward pass of a training-mode normalisation, in one place for `BatchNorm2d.backward` and the
// fused `relu(batchNorm(x))` backward, so the two cannot drift apart (as `+Statistics` does for the
// forward).

/// Which elements of d/d(output) reach the normalisation: every one for `BatchNorm2d`, those whose
/// ReLU output is positive for the fused kernel (PyTorch's `threshold_backward` on the result).
protocol NormalizationGradientGate: Sendable {
    func passes(_ index: Int) -> Bool
}

/// `BatchNorm2d` alone: the gradient reaches every element.
struct UngatedGradient: NormalizationGradientGate {
    @inline(__always) func passes(_ index: Int) -> Bool { true }
}

/// `relu(batchNorm(x))`: the gradient passes where the output is > 0 (a NaN output blocks it).
struct PositiveOutputGate: NormalizationGradientGate {
    let output: SharedConstPointer<Float>
    @inline(__always) func passes(_ index: Int) -> Bool { output[index] > 0 }
}

extension BatchNorm2d {
    /// dx = γ·invStd·(dŷ − mean(dŷ) − x̂·mean(dŷ·x̂)), with x̂ the normalised input and dŷ = dy where
    /// `gate` passes, else 0; dγ = Σ dŷ·x̂ and dβ = Σ dŷ (summed in Float64) are added to
    /// `weight.grad` and `bias.grad`. `gradOutput` and `gradInput` may be the same memory: each
    /// element is read before it is written.
    ///
    /// Generic over the gate (not a closure or an optional mask) so each caller gets its own
    /// specialised loop: the plain one has no test at all, and the arithmetic, hence every bit, is
    /// what each kernel computed on its own.
    func normalizationBackward<Gate: NormalizationGradientGate>(
        input: Tensor, statistics: NormalizationStatistics, gate: Gate,
        gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>
    ) {
        let (n, c, h, w) = input.nchw
        let plane = h * w
        let m = Double(n * plane)
        var dGamma = [Float](repeating: 0, count: c)
        var dBeta = [Float](repeating: 0, count: c)
        let gamma = weight.value.storage
        let mean = statistics.mean, invStd = statistics.invStd
        let gys = SharedConstPointer(gradOutput), gxs = SharedPointer(gradInput)
        input.withUnsafeBufferPointer { x in
            dGamma.withUnsafeMutableBufferPointer { dg in
                dBeta.withUnsafeMutableBufferPointer { db in
                    let xs = SharedConstPointer(x.baseAddress!)
                    let dgs = SharedPointer(dg.baseAddress!), dbs = SharedPointer(db.baseAddress!)
                    parallelChunks(total: c) { _, channels in
                        for ch in channels {
                            let mu = mean[ch], inv = invStd[ch]
                            var sumDy = 0.0, sumDyXhat = 0.0
                            for b in 0..<n {
                                let off = (b * c + ch) * plane
                                for i in 0..<plane where gate.passes(off + i) {
                                    let dy = Double(gys[off + i])
                                    sumDy += dy
                                    sumDyXhat += dy * Double((xs[off + i] - mu) * inv)
                                }
                            }
                            dgs[ch] = Float(sumDyXhat)
                            dbs[ch] = Float(sumDy)
                            let scale = gamma[ch] * inv
                            let meanDy = Float(sumDy / m), meanDyXhat = Float(sumDyXhat / m)
                            for b in 0..<n {
                                let off = (b * c + ch) * plane
                                for i in 0..<plane {
                                    let dy: Float = gate.passes(off + i) ? gys[off + i] : 0
                                    let xhat = (xs[off + i] - mu) * inv
                                    gxs[off + i] = scale * (dy - meanDy - xhat * meanDyXhat)
                                }
                            }
                        }
                    }
                }
            }
        }
        for ch in 0..<c {
            weight.grad[flat: ch] += dGamma[ch]
            bias.grad[flat: ch] += dBeta[ch]
        }
    }
}
