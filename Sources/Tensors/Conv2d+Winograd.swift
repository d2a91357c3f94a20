/// Which arithmetic a `Conv2d` uses.
public enum ConvolutionAlgorithm: Sendable, Equatable {
    /// Winograd for 3×3 kernels with enough channels (`Conv2d.winogradMinimumChannels`), lowering
    /// elsewhere.
    case automatic
    /// im2col and one SGEMM per image, for every shape.
    case lowered
    /// Winograd F(2×2, 3×3) whenever the shape allows it (a kernel of at least 3×3, stride 1, one group,
    /// float32 sums), whatever the channel count; lowering otherwise.
    case winograd
}

/// The Winograd F(2×2, 3×3) path of `Conv2d` (tiles and transforms in `WinogradTiling`).
///
/// Why: SmallNet's convolutions carry almost all of its time and their lowered SGEMMs already run near
/// OpenBLAS's peak, so only fewer multiplications make the network faster: 16 instead of 36 per 2×2
/// output tile and channel pair for conv4 and conv5 (3×3). Larger tiles, F(4×4, 3×3), would save more
/// but need transform points ±2, whose rounding is several times worse; the golden SmallNet-64 loss
/// already sits at 0.4 of its tolerance with F(2×2, 3×3).
///
/// Forward, input gradient and weight gradient are each 16 GEMMs per image in the transformed domain:
/// M = U·V, dU += dM·Vᵀ and dV = Uᵀ·dM, with dM = A·dY·Aᵀ computed once per image for both gradients.
/// Images are spread over the workers as in the lowered path, and the weight gradient's partials are
/// summed per fixed chunk of images in chunk order before the one transform back to the kernels, so the
/// bits do not depend on the thread count.
extension Conv2d {
    /// Below this many input or output channels the transforms cost more than the products they save.
    public static let winogradMinimumChannels = 16

    var usesWinograd: Bool {
        guard kernel >= 3, stride == 1, groups == 1, accumulation == .float32 else { return false }
        switch algorithm {
        case .lowered: return false
        case .winograd: return true
        // Larger kernels stay lowered: split into 2×2 sub-kernels, SmallNet's 5×5 conv3 measured 10 %
        // faster forward but 7 % slower backward, its four shifted input transforms costing memory
        // traffic what the 36 % fewer products save.
        case .automatic: return kernel == 3 && min(inChannels, outChannels) >= Self.winogradMinimumChannels
        }
    }

    /// The arithmetic the next pass will use: `.winograd` or `.lowered`.
    public var algorithmInUse: ConvolutionAlgorithm { usesWinograd ? .winograd : .lowered }

    private func winogradTiling(_ input: Tensor) -> WinogradTiling {
        let (_, c, h, w) = input.nchw
        precondition(c == inChannels, "Conv2d(\(inChannels)→\(outChannels)) got \(c) input channels")
        return WinogradTiling(channels: c, outChannels: outChannels, kernel: kernel, height: h, width: w,
                              padding: padding, dilation: dilation)
    }

    private func refreshWinogradWeights(_ tiling: WinogradTiling) {
        let count = WinogradTiling.positions * outChannels * tiling.inputRows
        if winogradWeights.count != count { winogradWeights = [Float](repeating: 0, count: count) }
        weight.value.withUnsafeBufferPointer { g in
            winogradWeights.withUnsafeMutableBufferPointer { u in tiling.transformWeights(g.baseAddress!, into: u.baseAddress!) }
        }
    }

    func winogradForward(_ input: Tensor) -> Tensor {
        let tiling = winogradTiling(input)
        let n = input.shape[0], cin = inChannels, cout = outChannels, tiles = tiling.tiles, rows = tiling.inputRows
        output.prepare(shape: [n, cout, tiling.outHeight, tiling.outWidth])
        refreshWinogradWeights(tiling)
        let vSize = WinogradTiling.positions * rows * tiles, mSize = WinogradTiling.positions * cout * tiles
        let inPlane = cin * tiling.height * tiling.width, outPlane = cout * tiling.outHeight * tiling.outWidth
        let workers = chunkCount(total: n)
        let biasValues = bias?.value.storage
        ScratchPool.shared.withBuffers(count: workers, size: vSize + mSize + tiling.forwardWorkspace) { scratch in
            input.withUnsafeBufferPointer { x in
                winogradWeights.withUnsafeBufferPointer { u in
                    output.withUnsafeMutableBufferPointer { y in
                        let xs = SharedConstPointer(x.baseAddress!), us = SharedConstPointer(u.baseAddress!)
                        let ys = SharedPointer(y.baseAddress!)
                        parallelChunks(total: n, workers: workers) { worker, images in
                            let v = scratch[worker].pointer, m = v + vSize, padded = m + mSize
                            let lines = padded + tiling.paddedHeight * tiling.paddedWidth
                            let outPadded = lines + tiling.lineWorkspace
                            tiling.clearPadded(padded)
                            for image in images {
                                tiling.transformInput(xs.advanced(by: image * inPlane), into: v, padded: padded, lines: lines)
                                for k in 0..<WinogradTiling.positions {
                                    BLAS.sgemm(transA: false, transB: false, m: cout, n: tiles, k: rows,
                                               alpha: 1, a: us.advanced(by: k * cout * rows), lda: rows,
                                               b: v + k * rows * tiles, ldb: tiles,
                                               beta: 0, c: m + k * cout * tiles, ldc: tiles)
                                }
                                tiling.transformOutput(m, bias: biasValues, into: ys.advanced(by: image * outPlane),
                                                       padded: outPadded, lines: lines)
                            }
                        }
                    }
                }
            }
        }
        return output
    }

    func winogradBackward(input: Tensor, gradOutput: Tensor) -> Tensor {
        let tiling = winogradTiling(input)
        let n = input.shape[0], cout = outChannels, tiles = tiling.tiles, rows = tiling.inputRows
        precondition(gradOutput.shape == [n, cout, tiling.outHeight, tiling.outWidth],
                     "Conv2d backward: gradient \(gradOutput.shape) for output [\(n), \(cout), \(tiling.outHeight), \(tiling.outWidth)]")
        refreshWinogradWeights(tiling)
        let wantInput = computesInputGradient
        if wantInput { gradInput.prepare(shape: input.shape) }
        let positions = WinogradTiling.positions
        let vSize = positions * rows * tiles, mSize = positions * cout * tiles
        let paddedSize = tiling.paddedHeight * tiling.paddedWidth
        let workspace = vSize + mSize + (wantInput ? vSize : 0) + paddedSize + tiling.lineWorkspace
            + tiling.paddedOutHeight * tiling.paddedOutWidth
        let uCount = positions * cout * rows, partialSize = uCount + cout
        let inPlane = inChannels * tiling.height * tiling.width, outPixels = tiling.outHeight * tiling.outWidth
        let workers = reductionWorkerCount(total: n), chunks = reductionChunkCount(total: n)
        ScratchPool.shared.withBuffers(count: workers, size: workspace) { work in
          ScratchPool.shared.withBuffers(count: chunks, size: partialSize) { partials in
            input.withUnsafeBufferPointer { x in
                gradOutput.withUnsafeBufferPointer { gy in
                    winogradWeights.withUnsafeBufferPointer { u in
                        gradInput.withUnsafeMutableBufferPointer { gx in
                            let xs = SharedConstPointer(x.baseAddress!), gys = SharedConstPointer(gy.baseAddress!)
                            let us = SharedConstPointer(u.baseAddress!)
                            let gxs = wantInput ? SharedPointer(gx.baseAddress!) : nil
                            parallelReduction(total: n, workers: workers) { worker, chunk, images in
                                let v = work[worker].pointer, dm = v + vSize, dv = dm + mSize
                                let padded = dv + (wantInput ? vSize : 0), lines = padded + paddedSize
                                let outPadded = lines + tiling.lineWorkspace
                                let dU = partials[chunk].pointer, dB = dU + uCount
                                dU.update(repeating: 0, count: partialSize)
                                for image in images {
                                    tiling.clearPadded(padded)
                                    tiling.transformInput(xs.advanced(by: image * inPlane), into: v, padded: padded, lines: lines)
                                    let gyi = gys.advanced(by: image * cout * outPixels)
                                    tiling.transformOutputGradient(gyi, into: dm, padded: outPadded, lines: lines)
                                    for k in 0..<positions {
                                        BLAS.sgemm(transA: false, transB: true, m: cout, n: rows, k: tiles,
                                                   alpha: 1, a: dm + k * cout * tiles, lda: tiles,
                                                   b: v + k * rows * tiles, ldb: tiles,
                                                   beta: 1, c: dU + k * cout * rows, ldc: rows)
                                    }
                                    Conv2d.addPlaneSums(gyi, planes: cout, pixels: outPixels, onto: dB)
                                    guard let gxs else { continue }
                                    for k in 0..<positions {
                                        BLAS.sgemm(transA: true, transB: false, m: rows, n: tiles, k: cout,
                                                   alpha: 1, a: us.advanced(by: k * cout * rows), lda: rows,
                                                   b: dm + k * cout * tiles, ldb: tiles,
                                                   beta: 0, c: dv + k * rows * tiles, ldc: tiles)
                                    }
                                    tiling.inputGradient(dv, into: gxs.advanced(by: image * inPlane), padded: padded, lines: lines)
                                }
                            }
                        }
                    }
                }
            }
            // Chunk order, then one transform back: the same sums for every worker count.
            let total = partials[0].pointer
            for chunk in 1..<chunks {
                let partial = partials[chunk].pointer
                for i in 0..<partialSize { total[i] += partial[i] }
            }
            weight.grad.withUnsafeMutableBufferPointer { gw in tiling.addWeightGradient(total, onto: gw.baseAddress!) }
            if let bias {
                bias.grad.withUnsafeMutableBufferPointer { gb in
                    for o in 0..<cout { gb[o] += total[uCount + o] }
                }
            }
          }
        }
        return wantInput ? gradInput : Tensor.empty
    }
}
