/// `nn.Conv2d` with square kernels and symmetric stride, padding and dilation, any group count.
///
/// Each image is lowered to columns (im2col) and multiplied by the weight with single-threaded SGEMM;
/// images are spread over `ComputeThreads.count` workers. Weight and bias gradients are accumulated per
/// fixed chunk of images and reduced in chunk order (`parallelReduction`), so results are the same
/// bits for every thread count.
/// A 1×1, stride-1, unpadded convolution multiplies the input directly, with no lowering. A 3×3, stride-1,
/// ungrouped one with enough channels uses Winograd's F(2×2, 3×3) (`Conv2d+Winograd.swift`).
public final class Conv2d: Layer {
    public let inChannels: Int
    public let outChannels: Int
    public let kernel: Int
    public let stride: Int
    public let padding: Int
    public let dilation: Int
    public let groups: Int
    public let weight: Parameter
    public let bias: Parameter?
    /// The first layer of a network can skip the input gradient nobody reads.
    public var computesInputGradient = true
    /// How the forward products are summed. `.float64` is for verification: it makes each output the
    /// correctly rounded value of its exact sum, so a chain of layers lands on the same side of a
    /// LeakyReLU kink as a float64 computation would (see `Accumulation`). Backward always uses SGEMM.
    public var accumulation: Accumulation = .float32

    /// Which arithmetic computes the convolution (see `ConvolutionAlgorithm`).
    public var algorithm: ConvolutionAlgorithm = .automatic

    var output = Tensor.empty
    var gradInput = Tensor.empty
    private var cachedInput: Tensor?
    /// The transformed kernels of the Winograd path, rebuilt from `weight` on every pass.
    var winogradWeights: [Float] = []

    public init(inChannels: Int, outChannels: Int, kernel: Int, stride: Int = 1, padding: Int = 0,
                dilation: Int = 1, groups: Int = 1, bias: Bool = true) {
        precondition(inChannels % groups == 0 && outChannels % groups == 0, "channels not divisible by groups")
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.kernel = kernel
        self.stride = stride
        self.padding = padding
        self.dilation = dilation
        self.groups = groups
        weight = Parameter(Tensor(shape: [outChannels, inChannels / groups, kernel, kernel]))
        self.bias = bias ? Parameter(Tensor(shape: [outChannels])) : nil
    }

    public var stateEntries: [(key: String, entry: StateEntry)] {
        var entries: [(key: String, entry: StateEntry)] = [("weight", .parameter(weight))]
        if let bias { entries.append(("bias", .parameter(bias))) }
        return entries
    }

    public func outputSize(_ inputSize: Int) -> Int {
        (inputSize + 2 * padding - dilation * (kernel - 1) - 1) / stride + 1
    }

    private var isPointwise: Bool { kernel == 1 && stride == 1 && padding == 0 }

    private func geometry(_ input: Tensor) -> ConvGeometry {
        let (_, c, h, w) = input.nchw
        precondition(c == inChannels, "Conv2d(\(inChannels)→\(outChannels)) got \(c) input channels")
        return ConvGeometry(channels: inChannels / groups, height: h, width: w, kernel: kernel,
                            stride: stride, padding: padding, dilation: dilation,
                            outHeight: outputSize(h), outWidth: outputSize(w))
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        if usesWinograd {
            cachedInput = training ? input : nil
            return winogradForward(input)
        }
        let n = input.shape[0]
        let g = geometry(input)
        let coutG = outChannels / groups
        let k = g.columnRows, p = g.columnCols
        output.prepare(shape: [n, outChannels, g.outHeight, g.outWidth])
        let workers = chunkCount(total: n)
        let pointwise = isPointwise
        let groups = self.groups, inPlane = g.channels * g.height * g.width
        let outChannels = self.outChannels
        let accumulation = self.accumulation
        ScratchPool.shared.withBuffers(count: workers, size: pointwise ? 1 : k * p) { scratch in
            input.withUnsafeBufferPointer { x in
                weight.value.withUnsafeBufferPointer { wt in
                    output.withUnsafeMutableBufferPointer { y in
                        let xs = SharedConstPointer(x.baseAddress!), ws = SharedConstPointer(wt.baseAddress!)
                        let ys = SharedPointer(y.baseAddress!)
                        let biasValues = bias?.value.storage
                        parallelChunks(total: n, workers: workers) { worker, images in
                            let col = scratch[worker].pointer
                            for image in images {
                                for grp in 0..<groups {
                                    let xg = xs.advanced(by: (image * groups + grp) * inPlane)
                                    let src: UnsafePointer<Float>
                                    if pointwise { src = xg } else { g.lower(xg, into: col); src = UnsafePointer(col) }
                                    let yg = ys.advanced(by: (image * outChannels + grp * coutG) * p)
                                    if accumulation == .float64 {
                                        BLAS.gemmAccumulatingInFloat64(m: coutG, n: p, k: k, a: ws.advanced(by: grp * coutG * k),
                                                                       b: src, c: yg)
                                    } else {
                                        BLAS.sgemm(transA: false, transB: false, m: coutG, n: p, k: k,
                                                   alpha: 1, a: ws.advanced(by: grp * coutG * k), lda: k,
                                                   b: src, ldb: p, beta: 0, c: yg, ldc: p)
                                    }
                                    if let biasValues {
                                        for o in 0..<coutG {
                                            let b = biasValues[grp * coutG + o]
                                            let row = yg + o * p
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
        cachedInput = training ? input : nil
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let input = cachedInput else { preconditionFailure("Conv2d.backward without a training forward") }
        cachedInput = nil
        if usesWinograd { return winogradBackward(input: input, gradOutput: gradOutput) }
        let n = input.shape[0]
        let g = geometry(input)
        let coutG = outChannels / groups
        let k = g.columnRows, p = g.columnCols
        let wCount = weight.value.count
        let workers = reductionWorkerCount(total: n), chunks = reductionChunkCount(total: n)
        let pointwise = isPointwise
        let wantInput = computesInputGradient
        let groups = self.groups, inPlane = g.channels * g.height * g.width, outChannels = self.outChannels
        if wantInput {
            if pointwise { gradInput.prepare(shape: input.shape) } else { gradInput.prepareZeroed(shape: input.shape) }
        }
        let columnSize = pointwise ? 0 : k * p
        // Per worker: columns and column gradient. Per chunk: the weight- and bias-gradient partials,
        // summed in chunk order afterwards so the worker count never changes the bits.
        let partialSize = wCount + outChannels
        ScratchPool.shared.withBuffers(count: workers, size: max(1, 2 * columnSize)) { columns in
          ScratchPool.shared.withBuffers(count: chunks, size: partialSize) { partials in
            input.withUnsafeBufferPointer { x in
                gradOutput.withUnsafeBufferPointer { gy in
                    weight.value.withUnsafeBufferPointer { wt in
                        gradInput.withUnsafeMutableBufferPointer { gx in
                            let xs = SharedConstPointer(x.baseAddress!), gys = SharedConstPointer(gy.baseAddress!)
                            let ws = SharedConstPointer(wt.baseAddress!)
                            let gxs = wantInput ? SharedPointer(gx.baseAddress!) : nil
                            parallelReduction(total: n, workers: workers) { worker, chunk, images in
                                let col = columns[worker].pointer
                                let dcol = col + columnSize
                                let dW = partials[chunk].pointer
                                let dB = dW + wCount
                                dW.update(repeating: 0, count: partialSize)
                                for image in images {
                                    for grp in 0..<groups {
                                        let xg = xs.advanced(by: (image * groups + grp) * inPlane)
                                        let src: UnsafePointer<Float>
                                        if pointwise { src = xg } else { g.lower(xg, into: col); src = UnsafePointer(col) }
                                        let gyg = gys.advanced(by: (image * outChannels + grp * coutG) * p)
                                        BLAS.sgemm(transA: false, transB: true, m: coutG, n: k, k: p,
                                                   alpha: 1, a: gyg, lda: p, b: src, ldb: p,
                                                   beta: 1, c: dW + grp * coutG * k, ldc: k)
                                        Conv2d.addPlaneSums(gyg, planes: coutG, pixels: p, onto: dB + grp * coutG)
                                        guard let gxs else { continue }
                                        let gxg = gxs.advanced(by: (image * groups + grp) * inPlane)
                                        let target = pointwise ? gxg : dcol
                                        BLAS.sgemm(transA: true, transB: false, m: k, n: p, k: coutG,
                                                   alpha: 1, a: ws.advanced(by: grp * coutG * k), lda: k,
                                                   b: gyg, ldb: p, beta: 0, c: target, ldc: p)
                                        if !pointwise { g.raise(UnsafePointer(dcol), addingInto: gxg) }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            weight.grad.withUnsafeMutableBufferPointer { gw in
                for chunk in 0..<chunks {
                    let dW = partials[chunk].pointer
                    for i in 0..<wCount { gw[i] += dW[i] }
                }
            }
            if let bias {
                bias.grad.withUnsafeMutableBufferPointer { gb in
                    for chunk in 0..<chunks {
                        let dB = partials[chunk].pointer + wCount
                        for i in 0..<outChannels { gb[i] += dB[i] }
                    }
                }
            }
          }
        }
        return wantInput ? gradInput : Tensor.empty
    }

    /// Adds the sum of each of `planes` consecutive planes of `pixels` values onto `sums` (a bias
    /// gradient: one output channel's gradient summed over its pixels, in pixel order).
    static func addPlaneSums(_ values: UnsafePointer<Float>, planes: Int, pixels: Int,
                             onto sums: UnsafeMutablePointer<Float>) {
        for plane in 0..<planes {
            var s: Float = 0
            let row = values + plane * pixels
            for i in 0..<pixels { s += row[i] }
            sums[plane] += s
        }
    }
}
