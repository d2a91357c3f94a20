import Tensors

/// The result of `dense_desc_match(src, target, upscale)`.
public struct DenseDescriptorMatch: Sendable {
    /// Both maps after bilinear upsampling (align_corners=True), (C, H·upscale, W·upscale).
    public var upsampledSource: Tensor
    public var upsampledTarget: Tensor
    /// For each **target** cell t (row-major), the first source cell s maximising `corr[s, t]`.
    public var bestSource: [Int]
    /// `corr[bestSource[t], t]`, float32.
    public var bestCorrelation: [Float]
    /// `corr[best] −` the largest correlation at any other source cell (float64 difference).
    public var top2Gap: [Double]
    /// `tps_grid(H', W')[bestSource]` as (1, H', W', 2): for each target cell, the normalised
    /// (align-corners) position of its best source cell. Feed it to `GridSample.bilinear` to pull the
    /// source image into the target's layout.
    public var grid: Tensor

    /// The `--dense_match` picture: `F.grid_sample(im_source, grid)` (bilinear, zero padding), i.e. the
    /// source image (C, H', W') rearranged into the target's layout. The reference passes no
    /// `align_corners`: `.true` is PyTorch 1.1's behaviour, `.false` PyTorch ≥ 1.3's (quirk Q1).
    public func warpedSource(_ image: Tensor, alignCorners: AlignCorners = .true) throws(MatchingError) -> Tensor {
        let side = grid.shape.count == 4 ? Array(grid.shape[1...2]) : []
        guard image.rank == 3, Array(image.shape.dropFirst()) == side else {
            throw .shapeMismatch(what: "dense match image", expected: "[C, \(side.map(String.init).joined(separator: ", "))]",
                                 got: image.shape)
        }
        do { return try GridSample.bilinear(image, grid: grid, alignCorners: alignCorners) } catch {
            throw .shapeMismatch(what: "dense match grid_sample (\(error))", expected: "[C, H', W']", got: image.shape)
        }
    }
}

extension MatchingRules {
    /// `F.interpolate(t.unsqueeze(0), scale_factor=upscale, mode='bilinear', align_corners=True)` of a
    /// (C, H, W) map, giving (C, H·upscale, W·upscale). Output index `o` reads source position
    /// `o · (in − 1)/(out − 1)` (the ratio in float32, 0 when out = 1), `i0 = ⌊pos⌋` (at most in − 1),
    /// `i1 = i0 + 1` unless `i0` is the last index, `λ1 = pos − i0`, `λ0 = 1 − λ1`, and
    /// `out = λ0y·(λ0x·v00 + λ1x·v01) + λ1y·(λ0x·v10 + λ1x·v11)` in float32 (ATen's CPU kernel; its
    /// summation order may differ in the last bit).
    public static func upsampleBilinearAlignCorners(_ map: Tensor, scale: Int) throws(MatchingError) -> Tensor {
        guard map.rank == 3, map.shape.allSatisfy({ $0 > 0 }) else {
            throw .shapeMismatch(what: "upsampling input", expected: "[C, H, W], all positive", got: map.shape)
        }
        guard scale >= 1, scale <= 64 else {
            throw .invalidOption(field: "upscale", value: "\(scale)", requirement: "must be an integer in 1…64")
        }
        let (c, h, w) = (map.shape[0], map.shape[1], map.shape[2])
        let (oh, ow) = (h * scale, w * scale)
        func taps(_ input: Int, _ output: Int) -> [(Int, Int, Float, Float)] {
            let ratio: Float = output > 1 ? Float(input - 1) / Float(output - 1) : 0
            return (0..<output).map { o in
                let pos = ratio * Float(o)
                let i0 = min(Int(pos), input - 1)
                let i1 = i0 + (i0 < input - 1 ? 1 : 0)
                let l1 = min(max(pos - Float(i0), 0), 1)
                return (i0, i1, 1 - l1, l1)
            }
        }
        let ys = taps(h, oh), xs = taps(w, ow)
        var out = Tensor(shape: [c, oh, ow])
        for ch in 0..<c {
            let base = ch * h * w
            for (oy, (y0, y1, a0, a1)) in ys.enumerated() {
                for (ox, (x0, x1, b0, b1)) in xs.enumerated() {
                    let top = b0 * map.storage[base + y0 * w + x0] + b1 * map.storage[base + y0 * w + x1]
                    let bottom = b0 * map.storage[base + y1 * w + x0] + b1 * map.storage[base + y1 * w + x1]
                    out.storage[(ch * oh + oy) * ow + ox] = a0 * top + a1 * bottom
                }
            }
        }
        return out
    }

    /// `dense_desc_match(src, target, upscale)` of `test_matching.py` (the `--dense_match`
    /// visualisation; never used for reported numbers):
    /// 1. upsample both (C, h, w) maps with `upsampleBilinearAlignCorners` to (C, H, W);
    /// 2. `corr[s, t] = Σ_c src[c, s] · target[c, t]` over all H·W × H·W cell pairs (float32 SGEMM,
    ///    computed in blocks of target cells so memory stays at 256·H·W floats);
    /// 3. for each target cell t, the first s maximising `corr[s, t]` (row-major order);
    /// 4. `grid = tps_grid(H, W)[best]` with `linspace` noise of the chosen PyTorch version.
    public static func denseDescriptorMatch(source: Tensor, target: Tensor, upscale: Int = 2,
                                            linspace: Linspace.Variant = .torch1_1) throws(MatchingError) -> DenseDescriptorMatch {
        guard source.shape == target.shape else {
            throw .shapeMismatch(what: "dense match target", expected: "\(source.shape) like the source", got: target.shape)
        }
        for (name, t) in [("dense match source", source), ("dense match target", target)] {
            if let bad = t.storage.firstIndex(where: { !$0.isFinite }) {
                throw .nonFinite(what: name, where: "flat index \(bad)")
            }
        }
        let src = try upsampleBilinearAlignCorners(source, scale: upscale)
        let tgt = try upsampleBilinearAlignCorners(target, scale: upscale)
        let (c, h, w) = (src.shape[0], src.shape[1], src.shape[2])
        let cells = h * w
        var best = [Int](repeating: 0, count: cells)
        var bestValue = [Float](repeating: 0, count: cells)
        var gaps = [Double](repeating: 0, count: cells)
        let block = 256
        var corr = [Float](repeating: 0, count: min(block, cells) * cells)
        var t0 = 0
        while t0 < cells {
            let rows = min(block, cells - t0)
            // corrT[t − t0, s] = Σ_c target[c, t] · src[c, s]: op(A) = targetᵀ (rows × C), B = src (C × cells).
            tgt.storage.withUnsafeBufferPointer { tp in
                src.storage.withUnsafeBufferPointer { sp in
                    corr.withUnsafeMutableBufferPointer { cp in
                        BLAS.sgemm(transA: true, transB: false, m: rows, n: cells, k: c, alpha: 1,
                                   a: tp.baseAddress! + t0, lda: cells, b: sp.baseAddress!, ldb: cells,
                                   beta: 0, c: cp.baseAddress!, ldc: cells)
                    }
                }
            }
            for r in 0..<rows {
                let m = firstArgmax(corr[r * cells ..< (r + 1) * cells])
                best[t0 + r] = m.index
                bestValue[t0 + r] = corr[r * cells + m.index]
                gaps[t0 + r] = m.gap
            }
            t0 += rows
        }
        let points = WarpCoordinates.tpsGrid(height: h, width: w, variant: linspace)
        var grid = Tensor(shape: [1, h, w, 2])
        for t in 0..<cells {
            grid.storage[2 * t] = points[2 * best[t]]
            grid.storage[2 * t + 1] = points[2 * best[t] + 1]
        }
        return DenseDescriptorMatch(upsampledSource: src, upsampledTarget: tgt, bestSource: best,
                                    bestCorrelation: bestValue, top2Gap: gaps, grid: grid)
    }
}
