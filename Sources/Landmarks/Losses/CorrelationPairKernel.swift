import Tensors

/// The forward and explicit backward of one pair, in the "folded" formulation of the reference's
/// `model/folded_correlation*.py`: only N×N matrices (N = H·W) and C×N blocks, never the C×N×N
/// tensor the reference's autograd version materialises for the DVE reconstruction.
///
/// Every block is row-major: descriptors C×N (`f[c·N + p]`), matrices N×N (`M[p·N + q]`, row p a
/// source cell, column q a target cell). All products go through `BLAS.sgemm`.
///
/// D is never stored: each of its rows is generated when needed (`DistanceRows`), and because the
/// upstream gradient of the loss is the constant `1/(H·W·B)`, the same row also turns the
/// probabilities into dL/dZ on the spot. The N×N matrices themselves are only held a block of rows
/// at a time (`rowBlock`).
struct CorrelationPairKernel {
    let channels: Int
    let cells: Int
    let distances: DistanceRows
    /// dL/dS = `gradientScale · D`: the loss is `Σ_b Σ D⊙S / (H·W·B)`.
    let gradientScale: Float

    /// Descriptor blocks of one pair (already normalised when requested), its target pixels (N×2),
    /// and where the gradients go (nil: forward only). Gradients are with respect to the blocks given,
    /// i.e. the normalised descriptors; the caller applies the normalisation's backward.
    struct Operands {
        var source: UnsafePointer<Float>
        var target: UnsafePointer<Float>
        var auxiliary: UnsafePointer<Float>
        var targetPixels: UnsafePointer<Float>
        var sourceGradient: UnsafeMutablePointer<Float>?
        var targetGradient: UnsafeMutablePointer<Float>?
        var auxiliaryGradient: UnsafeMutablePointer<Float>?
        var wantsGradient: Bool { sourceGradient != nil }
    }

    /// Source rows handled at once. Every step of both losses is row-local in the source cell p
    /// (softmaxes, distances and their backward run along rows; products either produce rows of an
    /// N×N matrix or consume them), so the N×N matrices are only ever needed a block of rows at a
    /// time. A block of about 256 KB stays in a core's L2 cache between the product that writes it
    /// and the row passes that read it; the whole matrix (6 MB at 35×35, 21 MB at 48×48) did not,
    /// and those passes ran at memory speed. A function of N alone, so the order in which the
    /// per-block products are summed never depends on the thread count.
    static func rowBlock(cells n: Int) -> Int {
        let rows = (256 * 1024 / MemoryLayout<Float>.size) / max(1, n)
        return min(n, max(8, rows - rows % 8))
    }

    /// Floats of workspace one worker needs.
    static func workspaceSize(cells n: Int, channels c: Int, exchange: Bool) -> Int {
        let block = rowBlock(cells: n)
        return exchange ? 2 * block * n + 2 * c * n + n : block * n + n
    }

    /// `C = op(A)·op(B)` (+ C when `accumulate`); `lda`, `ldb` and `ldc` are the row lengths of the
    /// operands as stored, so a block of columns of a C×N descriptor block is addressed in place.
    @inline(__always)
    private func gemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
                      _ a: UnsafePointer<Float>, lda: Int, _ b: UnsafePointer<Float>, ldb: Int,
                      _ c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool = false) {
        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                   a: a, lda: lda, b: b, ldb: ldb, beta: accumulate ? 1 : 0, c: c, ldc: ldc)
    }

    /// Σ_q D[p,q]·S[p,q] for the rows `p0 ..< p0 + rows` of S (stored from `s`), summed in Float64
    /// over rows; with `backward` turns those rows in place into `dZ = gradientScale · S ⊙ (D − Σ_q D⊙S)`,
    /// the softmax backward of dL/dS = gradientScale·D.
    private func distanceWeightedRows(_ s: UnsafeMutablePointer<Float>, first p0: Int, rows: Int,
                                      targetPixels t: UnsafePointer<Float>, row: UnsafeMutablePointer<Float>,
                                      backward: Bool) -> Double {
        var total = 0.0
        for i in 0..<rows {
            let p = p0 + i
            distances.fill(row, tx: t[2 * p], ty: t[2 * p + 1])
            let sp = s + i * cells
            let expected = RowKernels.dot(row, sp, count: cells)
            total += Double(expected)
            if backward {
                RowKernels.softmaxBackward(upstream: row, probabilities: sp, centre: expected,
                                           scale: gradientScale, into: sp, count: cells)
            }
        }
        return total
    }

    /// `dense_correlation_loss` for one pair: `Σ D ⊙ softmax_rows(f1ᵀ f2)`.
    ///
    /// Backward: `dZ = S ⊙ (G − rowsum(G⊙S))` with G = c·D, then `df1 = f2·dZᵀ`, `df2 = f1·dZ`; by
    /// blocks P of source rows: `df1[:,P] = f2·dZ[P,:]ᵀ` and `df2 += f1[:,P]·dZ[P,:]`.
    /// Workspace: one block of rows and one N-row.
    func plain(_ o: Operands, workspace: UnsafeMutablePointer<Float>) -> Double {
        let n = cells, c = channels, block = Self.rowBlock(cells: n)
        let z = workspace, row = workspace + block * n
        var loss = 0.0
        for p0 in stride(from: 0, to: n, by: block) {
            let rows = min(block, n - p0)
            gemm(true, false, m: rows, n: n, k: c, o.source + p0, lda: n, o.target, ldb: n, z, ldc: n)   // Z[P,:] = f1[:,P]ᵀ f2
            RowKernels.softmaxRows(z, rows: rows, columns: n)                                              // S[P,:]
            loss += distanceWeightedRows(z, first: p0, rows: rows, targetPixels: o.targetPixels, row: row,
                                         backward: o.wantsGradient)
            if let df1 = o.sourceGradient, let df2 = o.targetGradient {
                gemm(false, true, m: c, n: rows, k: n, o.target, lda: n, z, ldb: n, df1 + p0, ldc: n)       // df1[:,P] = f2 · dZ[P,:]ᵀ
                gemm(false, false, m: c, n: n, k: rows, o.source + p0, lda: n, z, ldb: n, df2, ldc: n,
                     accumulate: p0 > 0)                                                                     // df2 += f1[:,P] · dZ[P,:]
            }
        }
        return loss
    }

    /// `dense_correlation_loss_dve` for one pair: the source descriptors are first rebuilt from the
    /// auxiliary image, `R = fa · softmax_rows(f1ᵀ fa)ᵀ` (a soft nearest neighbour of each source
    /// descriptor among fa's; R is not re-normalised), then `Σ D ⊙ softmax_rows(Rᵀ f2)`.
    ///
    /// Backward (folded_correlation_dve.py), with S1 and S2 the two softmaxes:
    /// `dZ2 = S2 ⊙ (G − rowsum(G⊙S2))`, `dR = f2·dZ2ᵀ`, `df2 = R·dZ2`, `dS1 = dRᵀ·fa`,
    /// `dfa = dR·S1 + f1·dZ1` with `dZ1 = S1 ⊙ (dS1 − rowsum(dS1⊙S1))`, `df1 = fa·dZ1ᵀ`.
    /// Column p of R and dR, and rows p of S1, S2, dZ2, dS1 and dZ1, depend on source cell p alone,
    /// so all of it runs by blocks P of source rows; `df2` and `dfa` sum their blocks' products.
    /// Workspace: two blocks of rows (S1; S2, then dZ2, then dS1 and dZ1 in the same place), R, dR
    /// and one N-row.
    func exchange(_ o: Operands, workspace: UnsafeMutablePointer<Float>) -> Double {
        let n = cells, c = channels, block = Self.rowBlock(cells: n)
        let s1 = workspace, s2 = s1 + block * n, r = s2 + block * n, dr = r + c * n, row = dr + c * n
        var loss = 0.0
        for p0 in stride(from: 0, to: n, by: block) {
            let rows = min(block, n - p0)
            gemm(true, false, m: rows, n: n, k: c, o.source + p0, lda: n, o.auxiliary, ldb: n, s1, ldc: n) // Z1[P,:] = f1[:,P]ᵀ fa
            RowKernels.softmaxRows(s1, rows: rows, columns: n)                                               // S1[P,:]
            gemm(false, true, m: c, n: rows, k: n, o.auxiliary, lda: n, s1, ldb: n, r + p0, ldc: n)          // R[:,P] = fa · S1[P,:]ᵀ
            gemm(true, false, m: rows, n: n, k: c, r + p0, lda: n, o.target, ldb: n, s2, ldc: n)             // Z2[P,:] = R[:,P]ᵀ f2
            RowKernels.softmaxRows(s2, rows: rows, columns: n)                                               // S2[P,:]
            loss += distanceWeightedRows(s2, first: p0, rows: rows, targetPixels: o.targetPixels, row: row,
                                         backward: o.wantsGradient)
            guard let df1 = o.sourceGradient, let df2 = o.targetGradient, let dfa = o.auxiliaryGradient else { continue }
            let dz2 = s2, first = p0 == 0
            gemm(false, true, m: c, n: rows, k: n, o.target, lda: n, dz2, ldb: n, dr + p0, ldc: n)          // dR[:,P] = f2 · dZ2[P,:]ᵀ
            gemm(false, false, m: c, n: n, k: rows, r + p0, lda: n, dz2, ldb: n, df2, ldc: n, accumulate: !first) // df2 += R[:,P] · dZ2[P,:]
            let dz1 = s2                                                                                      // dZ2 is spent
            gemm(true, false, m: rows, n: n, k: c, dr + p0, lda: n, o.auxiliary, ldb: n, dz1, ldc: n)        // dS1[P,:] = dR[:,P]ᵀ fa
            gemm(false, false, m: c, n: n, k: rows, dr + p0, lda: n, s1, ldb: n, dfa, ldc: n, accumulate: !first) // dfa += dR[:,P] · S1[P,:]
            for i in 0..<rows {
                let g = dz1 + i * n, s = s1 + i * n
                let centre = RowKernels.dot(g, s, count: n)
                RowKernels.softmaxBackward(upstream: g, probabilities: s, centre: centre, scale: 1, into: g, count: n)
            }
            gemm(false, true, m: c, n: rows, k: n, o.auxiliary, lda: n, dz1, ldb: n, df1 + p0, ldc: n)      // df1[:,P] = fa · dZ1[P,:]ᵀ
            gemm(false, false, m: c, n: n, k: rows, o.source + p0, lda: n, dz1, ldb: n, dfa, ldc: n,
                 accumulate: true)                                                                            // dfa += f1[:,P] · dZ1[P,:]
        }
        return loss
    }
}
