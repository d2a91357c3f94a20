import Tensors

/// Which of the reference's two dense-correlation losses to compute, and how.
///
/// - `exchangeDescriptors == false`: `dense_correlation_loss`, the equivariance loss of Thewlis et
///   al. (2017), the paper's "no DVE" rows.
/// - `exchangeDescriptors == true`: `dense_correlation_loss_dve`, descriptor vector exchange: each
///   source descriptor is first rebuilt as a soft match among the descriptors of an auxiliary image,
///   the first image of the *next* pair (cyclic; with one pair, the source image itself).
public struct CorrelationLossOptions: Sendable, Equatable {
    public var exchangeDescriptors: Bool
    /// Scale every descriptor to length 20 first (`F.normalize(f, dim=0) * 20`). The released
    /// SmallNet pre-training configs use `false`; the hourglass and all fine-tuning configs `true`.
    public var normalizeVectors: Bool
    /// Exponent on the pixel distances (`pow` in the reference; every config uses 0.5). Must be
    /// finite and positive.
    public var pow: Float

    public init(exchangeDescriptors: Bool, normalizeVectors: Bool, pow: Float = 0.5) {
        self.exchangeDescriptors = exchangeDescriptors
        self.normalizeVectors = normalizeVectors
        self.pow = pow
    }
}

/// A loss value and its gradient with respect to the features.
public struct LossResult: Sendable {
    /// The loss. Each pair's `Σ D⊙S` is summed in Float64 from Float32 row sums, and the pairs are
    /// summed in pair order, so the value does not depend on the thread count. (The reference sums in
    /// float32 — the DVE loss even in its float64 mode, `L.float().sum()` — which moves the value by
    /// about 1e-7 relative, far inside the golden rel(1e-5).)
    public var value: Double
    /// dL/dfeatures, shape `(2B, C, H, W)` like the features.
    public var gradient: Tensor
}

/// Why the inputs cannot be a batch of pairs and its warp grid.
public enum CorrelationLossError: Error, Equatable, CustomStringConvertible {
    case featuresNotNCHW(shape: [Int])
    case oddImageCount(shape: [Int])
    case emptyFeatures(shape: [Int])
    case gridShape(grid: [Int], expectedPairs: Int)
    case gridDoesNotMatchFeatures(grid: [Int], featureHeight: Int, featureWidth: Int)
    case invalidPower(Float)

    public var description: String {
        switch self {
        case .featuresNotNCHW(let s):
            "correlation loss: features must be (2B, C, H, W), got shape \(s)"
        case .oddImageCount(let s):
            "correlation loss: features must hold pairs [A_0, B_0, A_1, B_1, …], got \(s.first ?? 0) images (shape \(s))"
        case .emptyFeatures(let s):
            "correlation loss: features have an empty dimension: shape \(s)"
        case .gridShape(let g, let b):
            "correlation loss: grid must be (B, H_in, W_in, 2) with B = \(b) pairs, got shape \(g)"
        case .gridDoesNotMatchFeatures(let g, let h, let w):
            "correlation loss: grid \(g) does not sub-sample to the \(h)×\(w) features: with stride s = H_in // H, "
                + "ceil(H_in/s) × ceil(W_in/s) must equal H × W"
        case .invalidPower(let p):
            "correlation loss: pow must be finite and positive, got \(p)"
        }
    }
}

/// `dense_correlation_loss` or `dense_correlation_loss_dve` of the DVE reference (`model/loss.py`),
/// value and gradient, with the backward written out (the folded formulation).
///
/// - Parameters:
///   - features: `(2B, C, H, W)`, pairs interleaved: `features[2b]` is pair b's first image
///     (the doubly-warped A, "source"), `features[2b+1]` its second (B, "target").
///   - grid: `(B, H_in, W_in, 2)`, normalised (x, y) in [−1, 1] (align-corners): for every pixel of
///     A, where it came from in B. The stride is `s = H_in // H`.
///
/// Definition (reference losses.md §1–2), with N = H·W cells per image, f the C×N descriptor blocks,
/// normalised first if requested, and `D[p, q] = ‖t_p − (s·l, s·k)‖^pow` for q = k·W + l, where t_p is
/// the un-normalised grid at pixel (s·i, s·j) of cell p = i·W + j:
///
///     plain:  L_b = Σ_{p,q} D[p,q] · softmax_q(f1ᵀ f2)[p,q]
///     DVE:    R = fa · softmax_q(f1ᵀ fa)ᵀ,   L_b = Σ_{p,q} D[p,q] · softmax_q(Rᵀ f2)[p,q]
///     L = Σ_b L_b / (H · W · B)
///
/// Pairs run in parallel over `ComputeThreads.count` workers, each holding at most two N×N matrices;
/// the result is bit-identical for every thread count.
public func denseCorrelationLoss(features: Tensor, grid: Tensor,
                                 options: CorrelationLossOptions) throws(CorrelationLossError) -> LossResult {
    let run = try CorrelationLossRun(features: features, grid: grid, options: options)
    return run.compute(gradient: true)
}

/// The loss value alone (no backward, no gradient buffers), for evaluation and finite differences.
public func denseCorrelationLossValue(features: Tensor, grid: Tensor,
                                      options: CorrelationLossOptions) throws(CorrelationLossError) -> Double {
    try CorrelationLossRun(features: features, grid: grid, options: options).compute(gradient: false).value
}

/// `grid_unnormalize(grid, H_in, W_in)[:, ::s, ::s]`, shape `(B, H, W, 2)`: the pixel of each pair's
/// second image that every feature cell of its first image maps to (the reference's `batch_grid_u`).
public func correlationTargetPixels(grid: Tensor, featureHeight: Int,
                                    featureWidth: Int) throws(CorrelationLossError) -> Tensor {
    guard featureHeight > 0, featureWidth > 0 else {
        throw .emptyFeatures(shape: [grid.shape.first ?? 0, 0, featureHeight, featureWidth])
    }
    let g = try CorrelationGeometry(pairs: grid.shape.first ?? 0, channels: 1, height: featureHeight,
                                    width: featureWidth, grid: grid.shape)
    return Tensor(shape: [g.pairs, g.height, g.width, 2], storage: g.targetPixels(grid.storage))
}

/// A pointer handed to `ParallelWork` workers. Sound because each worker writes only the blocks of
/// its own pairs (or images) and reads shared inputs nobody writes during the parallel section.
private struct SharedBuffer: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
}

/// One validated call: the inputs, their geometry, and the batch-level steps around the pair kernels
/// (normalisation, parallel pairs, gradient assembly).
private struct CorrelationLossRun: Sendable {
    let features: Tensor
    let grid: Tensor
    let options: CorrelationLossOptions
    let geometry: CorrelationGeometry

    init(features: Tensor, grid: Tensor, options: CorrelationLossOptions) throws(CorrelationLossError) {
        guard options.pow.isFinite, options.pow > 0 else { throw .invalidPower(options.pow) }
        geometry = try CorrelationGeometry(features: features.shape, grid: grid.shape)
        self.features = features
        self.grid = grid
        self.options = options
    }

    /// Workspace offsets of the batch-level buffers, carved from one pooled allocation.
    private struct BatchLayout {
        var normalized = 0, norms = 0, auxiliary = 0, scratch = 0, total = 0
    }

    func compute(gradient wantsGradient: Bool) -> LossResult {
        let g = geometry, images = 2 * g.pairs
        let exchange = options.exchangeDescriptors, normalize = options.normalizeVectors
        // Normalised descriptors and their norms; the auxiliary gradients (added to the next pair's
        // source image afterwards, so no two workers ever write one block); 2·N scratch per image for
        // the normalisation backward.
        var layout = BatchLayout()
        layout.norms = normalize ? images * g.imageSize : 0
        layout.auxiliary = layout.norms + (normalize ? images * g.cells : 0)
        layout.scratch = layout.auxiliary + (exchange && wantsGradient ? g.pairs * g.imageSize : 0)
        layout.total = layout.scratch + (normalize && wantsGradient ? images * 2 * g.cells : 0)

        let targets = g.targetPixels(grid.storage)
        var pairLoss = [Double](repeating: 0, count: g.pairs)
        var gradient = [Float](repeating: 0, count: wantsGradient ? images * g.imageSize : 0)
        ScratchPool.shared.withFloatBuffers(count: 1, size: layout.total + 1) { batch in
            let work = SharedBuffer(base: batch[0].baseAddress!)
            features.withUnsafeBufferPointer { raw in
                let raw = SharedBuffer(base: UnsafeMutablePointer(mutating: raw.baseAddress!))
                if normalize { normalizeAll(raw, into: work, norms: SharedBuffer(base: work.base + layout.norms)) }
                targets.withUnsafeBufferPointer { t in
                    pairLoss.withUnsafeMutableBufferPointer { losses in
                        gradient.withUnsafeMutableBufferPointer { grad in
                            let out = wantsGradient ? SharedBuffer(base: grad.baseAddress!) : nil
                            runPairs(descriptors: normalize ? work : raw,
                                     targets: SharedBuffer(base: UnsafeMutablePointer(mutating: t.baseAddress!)),
                                     losses: SharedDoubles(base: losses.baseAddress!), gradient: out,
                                     auxiliary: SharedBuffer(base: work.base + layout.auxiliary))
                            if let out {
                                assembleGradient(out, raw: raw, work: work, layout: layout)
                            }
                        }
                    }
                }
            }
        }
        return LossResult(value: pairLoss.reduce(0, +) / Double(g.cells * g.pairs),
                          gradient: wantsGradient ? Tensor(shape: features.shape, storage: gradient) : .empty)
    }

    private func normalizeAll(_ raw: SharedBuffer, into normalized: SharedBuffer, norms: SharedBuffer) {
        let g = geometry
        ParallelWork.chunks(total: 2 * g.pairs) { _, range in
            for i in range {
                DescriptorNormalization.forward(raw.base + i * g.imageSize, into: normalized.base + i * g.imageSize,
                                                norms: norms.base + i * g.cells, channels: g.channels, cells: g.cells)
            }
        }
    }

    /// Every pair's loss into `losses[b]`; with `gradient`, dL/d(normalised descriptors) of the pair's
    /// source and target into their blocks of `gradient`, and of its auxiliary into `auxiliary[b]`.
    private func runPairs(descriptors f: SharedBuffer, targets t: SharedBuffer, losses: SharedDoubles,
                          gradient: SharedBuffer?, auxiliary: SharedBuffer) {
        let g = geometry, block = g.imageSize, exchange = options.exchangeDescriptors
        let kernel = CorrelationPairKernel(channels: g.channels, cells: g.cells,
                                           distances: DistanceRows(height: g.height, width: g.width,
                                                                   stride: g.stride, pow: options.pow),
                                           gradientScale: 1 / Float(g.cells * g.pairs))
        let workspace = CorrelationPairKernel.workspaceSize(cells: g.cells, channels: g.channels, exchange: exchange)
        ParallelWork.chunks(total: g.pairs) { _, range in
            ScratchPool.shared.withFloatBuffers(count: 1, size: workspace) { ws in
                for b in range {
                    let o = CorrelationPairKernel.Operands(
                        source: f.base + 2 * b * block,
                        target: f.base + (2 * b + 1) * block,
                        auxiliary: f.base + 2 * ((b + 1) % g.pairs) * block,
                        targetPixels: t.base + b * g.cells * 2,
                        sourceGradient: gradient.map { $0.base + 2 * b * block },
                        targetGradient: gradient.map { $0.base + (2 * b + 1) * block },
                        auxiliaryGradient: gradient != nil && exchange ? auxiliary.base + b * block : nil)
                    losses.base[b] = exchange ? kernel.exchange(o, workspace: ws[0].baseAddress!)
                                              : kernel.plain(o, workspace: ws[0].baseAddress!)
                }
            }
        }
    }

    /// Per image: add the auxiliary gradient the previous pair sent to this source image (DVE), then
    /// map the gradient back through the normalisation. Fixed order per image, so the result does not
    /// depend on how pairs were spread over workers.
    private func assembleGradient(_ grad: SharedBuffer, raw: SharedBuffer, work: SharedBuffer, layout: BatchLayout) {
        let g = geometry, block = g.imageSize
        let exchange = options.exchangeDescriptors, normalize = options.normalizeVectors
        ParallelWork.chunks(total: 2 * g.pairs) { _, range in
            for i in range {
                let gi = grad.base + i * block
                if exchange, i % 2 == 0 {
                    let from = work.base + layout.auxiliary + ((i / 2 + g.pairs - 1) % g.pairs) * block
                    for k in 0..<block { gi[k] += from[k] }
                }
                if normalize {
                    DescriptorNormalization.backward(gi, x: raw.base + i * block, norms: work.base + layout.norms + i * g.cells,
                                                     scratch: work.base + layout.scratch + i * 2 * g.cells,
                                                     channels: g.channels, cells: g.cells)
                }
            }
        }
    }
}

private struct SharedDoubles: @unchecked Sendable {
    let base: UnsafeMutablePointer<Double>
}
