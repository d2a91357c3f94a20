import Tensors

/// A pointer handed to `ParallelWork` workers. Sound because each worker writes only the rows of its
/// own images (or its own partial buffer) and reads inputs nobody writes during the parallel section.
private struct Shared: @unchecked Sendable {
    private let pointer: UnsafeMutablePointer<Float>?
    init(_ buffer: UnsafeMutableBufferPointer<Float>) { pointer = buffer.baseAddress }
    init(_ buffer: UnsafeBufferPointer<Float>) { pointer = buffer.baseAddress.map { UnsafeMutablePointer(mutating: $0) } }
    /// Only read for non-empty buffers.
    var base: UnsafeMutablePointer<Float> { pointer! }
}

/// Calls `body` with the base pointers of `reads` and of `writes`, each valid for the whole call (the
/// nested `withUnsafe…BufferPointer` scopes, flattened). `writes` must be uniquely referenced (moved
/// out of their owners) so that no copy is made.
private func withBases<R>(reading reads: [[Float]], writing writes: inout [[Float]], _ body: ([Shared], [Shared]) -> R) -> R {
    func readLevel(_ i: Int, _ got: [Shared]) -> R {
        if i == reads.count { return writeLevel(0, got, []) }
        return reads[i].withUnsafeBufferPointer { readLevel(i + 1, got + [Shared($0)]) }
    }
    func writeLevel(_ i: Int, _ read: [Shared], _ got: [Shared]) -> R {
        if i == writes.count { return body(read, got) }
        // Moved out, so the scope below holds the only reference and `writes` is not being accessed.
        var item = writes[i]
        writes[i] = []
        defer { writes[i] = item }
        return item.withUnsafeMutableBufferPointer { writeLevel(i + 1, read, got + [Shared($0)]) }
    }
    return readLevel(0, [])
}

/// Moves a tensor's storage out (leaving it empty) so it is uniquely referenced while written.
private func take(_ tensor: inout Tensor) -> [Float] {
    let storage = tensor.storage
    tensor.storage = []
    return storage
}

extension IntermediateKeypointPredictor {
    /// The forward pass over all images (see the type's documentation for the formulas). Per image,
    /// on its worker: one SGEMM `mul·(W · D_b)` (L×C by C×HW, the multiplier applied as SGEMM's alpha,
    /// i.e. to the rounded dot product), a row softmax (`RowKernels.softmaxRows`: max-shift, Cephes exp,
    /// multiply by the reciprocal sum), then the mass and coordinate sums in eight float32 lanes, and
    /// the grouped regression. Sums run in another order than PyTorch's; they agree to ~1e-7 relative.
    func runForward(_ input: Tensor, training: Bool) {
        let (b, c, h, w) = input.nchw
        let hw = h * w, latent = latentPoints, nA = annotatedPoints, row = 2 * intermediatePoints
        let (cellX, cellY) = cellAxes(height: h, width: w)
        intermediate.prepare(shape: [b, nA, intermediatePoints, 2])
        output.prepare(shape: [b, nA, 2])
        if masses.count != b * latent { masses = [Float](repeating: 0, count: b * latent) }
        if training { probabilities.prepare(shape: [b, latent, hw]) }
        guard b > 0 else { return }
        let workers = max(1, min(ComputeThreads.count, b))
        let mul = softargmaxMultiplier
        let weights = innerWeight.value.storage, regression = regressionWeight.value.storage
        var buffers = [take(&probabilities), take(&intermediate), take(&output), masses]
        masses = []
        ScratchPool.shared.withFloatBuffers(count: workers, size: training ? 1 : latent * hw) { scratch in
            let scratchBases = scratch.map { Shared($0) }
            withBases(reading: [input.storage, weights, regression, cellX, cellY], writing: &buffers) { read, write in
                let (x, wt, rw, cx, cy) = (read[0], read[1], read[2], read[3], read[4])
                let (p, points, out, m) = (write[0], write[1], write[2], write[3])
                ParallelWork.chunks(total: b, workers: workers) { worker, images in
                    for image in images {
                        let probs = training ? p.base + image * latent * hw : scratchBases[worker].base
                        BLAS.sgemm(transA: false, transB: false, m: latent, n: hw, k: c, alpha: mul,
                                   a: wt.base, lda: c, b: x.base + image * c * hw, ldb: hw, beta: 0, c: probs, ldc: hw)
                        RowKernels.softmaxRows(probs, rows: latent, columns: hw)
                        let xy = points.base + image * latent * 2
                        for l in 0..<latent {
                            let (mass, sx, sy) = Self.moments(probs + l * hw, cellX: cx.base, cellY: cy.base, count: hw)
                            m.base[image * latent + l] = mass
                            xy[2 * l] = sx / mass
                            xy[2 * l + 1] = sy / mass
                        }
                        for a in 0..<nA {
                            for o in 0..<2 {
                                out.base[(image * nA + a) * 2 + o] = RowKernels.dot(rw.base + (2 * a + o) * row, xy + a * row, count: row)
                            }
                        }
                    }
                }
            }
        }
        probabilities.storage = buffers[0]
        intermediate.storage = buffers[1]
        output.storage = buffers[2]
        masses = buffers[3]
    }

    /// The backward pass. With g = dL/dpred:
    /// ```
    /// dL/dreg_conv[2a+o, j]     += Σ_b g[b,a,o] · intermediate[b,a,j]                  (j = 2n+e)
    /// gI[b,a,j]                  = Σ_o reg_conv[2a+o, j] · g[b,a,o]                    (gX, gY per l)
    /// dL/dP[b,l,(i,j)]           = (gX·(xs[j] − X) + gY·(ys[i] − Y)) / M
    /// dL/dcorr[b,l,p]            = mul · P[b,l,p] · dL/dP[b,l,p]
    /// dL/dinner_conv[l,c]       += Σ_b Σ_p dL/dcorr[b,l,p] · D[b,c,p]                  (SGEMM per image)
    /// ```
    /// The softmax backward's centring term `Σ_p P·dL/dP` is identically zero here, because
    /// `Σ_p P·(xs − X) = Σ_p P·xs − X·M = 0` by the definition of X (and likewise for Y), so it is
    /// omitted. The mass M appears because the reference divides by it. P is overwritten by dL/dcorr.
    func runBackward(_ input: Tensor, _ gradOutput: Tensor) {
        let (b, c, h, w) = input.nchw
        let hw = h * w, latent = latentPoints, nA = annotatedPoints, row = 2 * intermediatePoints
        guard b > 0 else { return }
        let (cellX, cellY) = cellAxes(height: h, width: w)
        let mul = softargmaxMultiplier
        // The grouped regression: tiny, done serially in a fixed order.
        var gradPoints = [Float](repeating: 0, count: b * latent * 2)
        let reg = regressionWeight.value.storage, points = intermediate.storage
        regressionWeight.grad.withUnsafeMutableBufferPointer { gr in
            for image in 0..<b {
                for a in 0..<nA {
                    for o in 0..<2 {
                        let g = gradOutput[flat: (image * nA + a) * 2 + o]
                        let weightRow = (2 * a + o) * row, pointRow = (image * latent + a * intermediatePoints) * 2
                        for j in 0..<row {
                            gr[weightRow + j] += g * points[pointRow + j]
                            gradPoints[pointRow + j] += reg[weightRow + j] * g
                        }
                    }
                }
            }
        }
        // Partials per fixed chunk of images, reduced in chunk order: the same bits for every thread count.
        let chunks = reductionChunkCount(total: b)
        let weightCount = latent * c
        var buffers = [take(&probabilities)]
        ScratchPool.shared.withFloatBuffers(count: chunks, size: weightCount) { partials in
            let partialBases = partials.map { Shared($0) }
            for partial in partialBases { partial.base.update(repeating: 0, count: weightCount) }
            withBases(reading: [input.storage, points, gradPoints, masses, cellX, cellY], writing: &buffers) { read, write in
                let (x, xy, gxy, m, cx, cy) = (read[0], read[1], read[2], read[3], read[4], read[5])
                let p = write[0]
                ParallelWork.reduction(total: b) { _, chunk, images in
                    let dW = partialBases[chunk].base
                    for image in images {
                        let probs = p.base + image * latent * hw
                        for l in 0..<latent {
                            let k = image * latent + l
                            let ax = gxy.base[2 * k] / m.base[k], ay = gxy.base[2 * k + 1] / m.base[k]
                            let centre = -(ax * xy.base[2 * k] + ay * xy.base[2 * k + 1])
                            Self.probabilityGradient(probs + l * hw, cellX: cx.base, cellY: cy.base, count: hw,
                                                     ax: ax, ay: ay, centre: centre, mul: mul)
                        }
                        BLAS.sgemm(transA: false, transB: true, m: latent, n: c, k: hw, alpha: 1,
                                   a: probs, lda: hw, b: x.base + image * c * hw, ldb: hw, beta: 1, c: dW, ldc: c)
                    }
                }
            }
            innerWeight.grad.withUnsafeMutableBufferPointer { g in
                for chunk in 0..<chunks {
                    let dW = partialBases[chunk].base
                    for i in 0..<weightCount { g[i] += dW[i] }
                }
            }
        }
        probabilities.storage = buffers[0]
    }

    /// `(Σ_p P, Σ_p P·xs[j], Σ_p P·ys[i])` over one H·W probability map (p = i·W + j), in eight lanes.
    @inline(__always)
    static func moments(_ map: UnsafePointer<Float>, cellX: UnsafePointer<Float>, cellY: UnsafePointer<Float>,
                        count: Int) -> (Float, Float, Float) {
        typealias V = RowKernels.Vector
        let lanes = RowKernels.lanes, body = count - count % lanes
        var m = V.zero, sx = V.zero, sy = V.zero
        var q = 0
        while q < body {
            let p = RowKernels.load(map + q)
            m += p
            sx += p * RowKernels.load(cellX + q)
            sy += p * RowKernels.load(cellY + q)
            q += lanes
        }
        var (mass, x, y) = (m.sum(), sx.sum(), sy.sum())
        while q < count { mass += map[q]; x += map[q] * cellX[q]; y += map[q] * cellY[q]; q += 1 }
        return (mass, x, y)
    }

    /// `map[p] ← mul · map[p] · (ax·xs[j] + ay·ys[i] + centre)` in eight lanes: dL/dcorr from P, with
    /// `ax = gX/M`, `ay = gY/M`, `centre = −(ax·X + ay·Y)`.
    @inline(__always)
    static func probabilityGradient(_ map: UnsafeMutablePointer<Float>, cellX: UnsafePointer<Float>, cellY: UnsafePointer<Float>,
                                    count: Int, ax: Float, ay: Float, centre: Float, mul: Float) {
        let lanes = RowKernels.lanes, body = count - count % lanes
        var q = 0
        while q < body {
            let g = RowKernels.load(cellX + q) * ax + RowKernels.load(cellY + q) * ay + centre
            RowKernels.store(RowKernels.load(map + q) * g * mul, map + q)
            q += lanes
        }
        while q < count { map[q] = map[q] * (ax * cellX[q] + ay * cellY[q] + centre) * mul; q += 1 }
    }

    /// The axes of an H×W map tiled over its cells: `xs[p % W]` and `ys[p / W]` (cached per size).
    func cellAxes(height: Int, width: Int) -> (cellX: [Float], cellY: [Float]) {
        _ = coordinateAxes(height: height, width: width)
        return (axes?.cellX ?? [], axes?.cellY ?? [])
    }
}
