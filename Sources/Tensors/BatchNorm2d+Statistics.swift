// BatchNorm2d's statistics, in one place for its own forward and the fused `relu(batchNorm(x))`
// kernels, so the two cannot drift apart.

/// Per-channel statistics a normalisation used: the batch mean and 1/√(biased var + eps) in training,
/// the running ones in evaluation. A training forward's statistics are what its backward needs.
public struct NormalizationStatistics: Sendable, Equatable {
    public var mean: [Float]
    public var invStd: [Float]
}

extension BatchNorm2d {
    /// The running statistics as evaluation uses them.
    func runningStatistics() -> NormalizationStatistics {
        var mean = [Float](repeating: 0, count: channels), invStd = mean
        for ch in 0..<channels {
            mean[ch] = runningMean.value[flat: ch]
            invStd[ch] = 1 / (runningVar.value[flat: ch] + eps).squareRoot()
        }
        return NormalizationStatistics(mean: mean, invStd: invStd)
    }

    /// Mean and biased variance over (N, H, W) summed in Float64, then the running update with the
    /// unbiased variance and the counter increment — `forward(_:training: true)`'s arithmetic.
    func batchStatisticsUpdatingRunningValues(_ input: Tensor) -> NormalizationStatistics {
        let (n, c, h, w) = input.nchw
        let plane = h * w
        var mean = [Float](repeating: 0, count: c)
        var invStd = [Float](repeating: 0, count: c)
        var unbiasedVar = [Float](repeating: 0, count: c)
        let count = Double(n * plane)
        let eps = Double(self.eps)
        input.withUnsafeBufferPointer { x in
            mean.withUnsafeMutableBufferPointer { meanBuf in
                invStd.withUnsafeMutableBufferPointer { invBuf in
                    unbiasedVar.withUnsafeMutableBufferPointer { varBuf in
                        let xs = SharedConstPointer(x.baseAddress!)
                        let ms = SharedPointer(meanBuf.baseAddress!), ss = SharedPointer(invBuf.baseAddress!)
                        let vs = SharedPointer(varBuf.baseAddress!)
                        parallelChunks(total: c) { _, channels in
                            for ch in channels {
                                var sum = 0.0
                                for b in 0..<n {
                                    let p = xs.advanced(by: (b * c + ch) * plane)
                                    for i in 0..<plane { sum += Double(p[i]) }
                                }
                                let mu = sum / count
                                var sq = 0.0
                                for b in 0..<n {
                                    let p = xs.advanced(by: (b * c + ch) * plane)
                                    for i in 0..<plane { let d = Double(p[i]) - mu; sq += d * d }
                                }
                                let biased = sq / count
                                ms[ch] = Float(mu)
                                ss[ch] = Float(1.0 / (biased + eps).squareRoot())
                                vs[ch] = Float(count > 1 ? sq / (count - 1) : biased)
                            }
                        }
                    }
                }
            }
        }
        let mom = momentum
        for ch in 0..<c {
            runningMean.value[flat: ch] = (1 - mom) * runningMean.value[flat: ch] + mom * mean[ch]
            runningVar.value[flat: ch] = (1 - mom) * runningVar.value[flat: ch] + mom * unbiasedVar[ch]
        }
        numBatchesTracked.value += 1
        return NormalizationStatistics(mean: mean, invStd: invStd)
    }
}
