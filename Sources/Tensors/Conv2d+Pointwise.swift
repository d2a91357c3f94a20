/// How a kernel writes its result into a caller's buffer.
public enum WriteMode: Sendable, Equatable {
    /// The buffer takes the result's shape and is overwritten.
    case overwrite
    /// The result is added onto the buffer's current contents (it must already have the result's shape).
    case accumulate
}

/// The 1×1 convolution as a per-image matrix product, with caller-owned buffers.
///
/// Why: a pre-activation bottleneck ends in `out = conv3(a) + skip` and, in backward, the input
/// gradient is `bn-relu backward(conv1ᵀ·g) + (skip's gradient)`. With `Conv2d`'s own buffers each of
/// those sums needs an extra full-size tensor per block; writing the product straight onto the skip
/// (`.accumulate`, SGEMM's β = 1) needs none. The arithmetic is `Conv2d`'s pointwise path: one SGEMM
/// per image, images split over `ComputeThreads.count` workers, weight and bias gradients summed per
/// fixed chunk of images and reduced in chunk order (the same bits for every thread count), and `accumulation`
/// honoured in forward. The parameters stay those of this `Conv2d`, so state keys, initialisation and
/// optimiser grouping see an ordinary convolution.
extension Conv2d {
    /// The kernels below apply: a 1×1 kernel, stride 1, no padding, a single group.
    public var isPlainPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 && groups == 1 }

    /// `W·x + b` for every image, written into `output` or added onto it (`mode`).
    public func pointwiseForward(_ input: Tensor, into output: inout Tensor, mode: WriteMode = .overwrite) {
        precondition(isPlainPointwise, "pointwiseForward needs a 1×1, stride-1, unpadded, ungrouped Conv2d")
        let (n, c, h, w) = input.nchw
        precondition(c == inChannels, "Conv2d(\(inChannels)→\(outChannels)) got \(c) input channels")
        let shape = [n, outChannels, h, w]
        switch mode {
        case .overwrite: output.prepare(shape: shape)
        case .accumulate: precondition(output.shape == shape, "cannot accumulate \(shape) onto \(output.shape)")
        }
        let p = h * w, cout = outChannels, cin = inChannels
        let workers = chunkCount(total: n)
        let precise = accumulation == .float64
        let beta: Float = mode == .accumulate ? 1 : 0
        ScratchPool.shared.withBuffers(count: workers, size: precise ? cout * p : 1) { scratch in
            input.withUnsafeBufferPointer { x in
                weight.value.withUnsafeBufferPointer { wt in
                    output.withUnsafeMutableBufferPointer { y in
                        let xs = SharedConstPointer(x.baseAddress!), ws = SharedConstPointer(wt.baseAddress!)
                        let ys = SharedPointer(y.baseAddress!)
                        let biasValues = bias?.value.storage
                        parallelChunks(total: n, workers: workers) { worker, images in
                            for image in images {
                                let xi = xs.advanced(by: image * cin * p), yi = ys.advanced(by: image * cout * p)
                                if precise {
                                    let tmp = scratch[worker].pointer
                                    BLAS.gemmAccumulatingInFloat64(m: cout, n: p, k: cin, a: ws.base, b: xi, c: tmp)
                                    if beta == 0 { yi.update(from: tmp, count: cout * p) } else { for i in 0..<(cout * p) { yi[i] += tmp[i] } }
                                } else {
                                    BLAS.sgemm(transA: false, transB: false, m: cout, n: p, k: cin, alpha: 1, a: ws.base, lda: cin,
                                               b: xi, ldb: p, beta: beta, c: yi, ldc: p)
                                }
                                if let biasValues {
                                    for o in 0..<cout {
                                        let b = biasValues[o], row = yi + o * p
                                        for i in 0..<p { row[i] += b }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Backward of `pointwiseForward`: adds dL/dW = Σ g·xᵀ and dL/db = Σ g to `weight.grad` and
    /// `bias.grad`, and writes or adds (`inputGradient`) Wᵀ·g into `gradInput`; `nil` skips the input
    /// gradient. `input` is the forward's input, `gradOutput` = dL/d(output).
    public func pointwiseBackward(input: Tensor, gradOutput: Tensor, gradInput: inout Tensor, inputGradient: WriteMode?) {
        precondition(isPlainPointwise, "pointwiseBackward needs a 1×1, stride-1, unpadded, ungrouped Conv2d")
        let (n, cin, h, w) = input.nchw
        let cout = outChannels, p = h * w
        precondition(cin == inChannels && gradOutput.shape == [n, cout, h, w],
                     "Conv2d(\(inChannels)→\(outChannels)) backward: input \(input.shape), gradient \(gradOutput.shape)")
        switch inputGradient {
        case .overwrite?: gradInput.prepare(shape: input.shape)
        case .accumulate?: precondition(gradInput.shape == input.shape, "cannot accumulate \(input.shape) onto \(gradInput.shape)")
        case nil: break
        }
        let wCount = cout * cin
        let chunks = reductionChunkCount(total: n)
        let beta: Float = inputGradient == .accumulate ? 1 : 0
        let wantInput = inputGradient != nil
        ScratchPool.shared.withBuffers(count: chunks, size: wCount + cout) { scratch in
            input.withUnsafeBufferPointer { x in
                gradOutput.withUnsafeBufferPointer { gy in
                    weight.value.withUnsafeBufferPointer { wt in
                        let xs = SharedConstPointer(x.baseAddress!), gys = SharedConstPointer(gy.baseAddress!)
                        let ws = SharedConstPointer(wt.baseAddress!)
                        let body: (SharedPointer<Float>?) -> Void = { gxs in
                            parallelReduction(total: n) { _, chunk, images in
                                let dW = scratch[chunk].pointer, dB = dW + wCount
                                dW.update(repeating: 0, count: wCount + cout)
                                for image in images {
                                    let xi = xs.advanced(by: image * cin * p), gi = gys.advanced(by: image * cout * p)
                                    BLAS.sgemm(transA: false, transB: true, m: cout, n: cin, k: p, alpha: 1, a: gi, lda: p,
                                               b: xi, ldb: p, beta: 1, c: dW, ldc: cin)
                                    Conv2d.addPlaneSums(gi, planes: cout, pixels: p, onto: dB)
                                    if let gxs {
                                        BLAS.sgemm(transA: true, transB: false, m: cin, n: p, k: cout, alpha: 1, a: ws.base, lda: cin,
                                                   b: gi, ldb: p, beta: beta, c: gxs.advanced(by: image * cin * p), ldc: p)
                                    }
                                }
                            }
                        }
                        if wantInput {
                            gradInput.withUnsafeMutableBufferPointer { body(SharedPointer($0.baseAddress!)) }
                        } else {
                            body(nil)
                        }
                    }
                }
            }
            weight.grad.withUnsafeMutableBufferPointer { gw in
                for chunk in 0..<chunks {
                    let dW = scratch[chunk].pointer
                    for i in 0..<wCount { gw[i] += dW[i] }
                }
            }
            if let bias {
                bias.grad.withUnsafeMutableBufferPointer { gb in
                    for chunk in 0..<chunks {
                        let dB = scratch[chunk].pointer + wCount
                        for i in 0..<cout { gb[i] += dB[i] }
                    }
                }
            }
        }
    }
}
