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
/// probabilities into dL/dZ on the spot. That leaves one N×N matrix for the plain loss and two for
/// DVE (6 MB each at 35×35).
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

    /// Floats of workspace one worker needs.
    static func workspaceSize(cells n: Int, channels c: Int, exchange: Bool) -> Int {
        exchange ? 2 * n * n + 2 * c * n + n : n * n + n
    }

    /// `C = op(A)·op(B)` (+ C when `accumulate`) for the block shapes used here; `lda`/`ldb`/`ldc`
    /// are the row lengths of the operands as stored.
    @inline(__always)
    private func gemm(_ transA: Bool, _ transB: Bool, m: Int, n: Int, k: Int,
                      _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                      accumulate: Bool = false) {
        BLAS.sgemm(transA: transA, transB: transB, m: m, n: n, k: k, alpha: 1,
                   a: a, lda: transA ? m : k, b: b, ldb: transB ? k : n,
                   beta: accumulate ? 1 : 0, c: c, ldc: n)
    }

    /// Σ_q D[p,q]·S[p,q] for every row p (returned summed, in Float64, over rows), and when
    /// `backward` turns S in place into `dZ = gradientScale · S ⊙ (D − Σ_q D⊙S)`, the softmax backward
    /// of dL/dS = gradientScale·D.
    private func distanceWeightedRows(_ s: UnsafeMutablePointer<Float>, targetPixels t: UnsafePointer<Float>,
                                      row: UnsafeMutablePointer<Float>, backward: Bool) -> Double {
        var total = 0.0
        for p in 0..<cells {
            distances.fill(row, tx: t[2 * p], ty: t[2 * p + 1])
            let sp = s + p * cells
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
    /// Backward: `dZ = S ⊙ (G − rowsum(G⊙S))` with G = c·D, then `df1 = f2·dZᵀ`, `df2 = f1·dZ`.
    /// Workspace: one N×N matrix and one N-row.
    func plain(_ o: Operands, workspace: UnsafeMutablePointer<Float>) -> Double {
        let n = cells, c = channels
        let z = workspace, row = workspace + n * n
        gemm(true, false, m: n, n: n, k: c, o.source, o.target, z)          // Z = f1ᵀ f2
        RowKernels.softmaxRows(z, rows: n, columns: n)                       // S
        let loss = distanceWeightedRows(z, targetPixels: o.targetPixels, row: row, backward: o.wantsGradient)
        if let df1 = o.sourceGradient, let df2 = o.targetGradient {
            gemm(false, true, m: c, n: n, k: n, o.target, z, df1)             // df1 = f2 · dZᵀ
            gemm(false, false, m: c, n: n, k: n, o.source, z, df2)            // df2 = f1 · dZ
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
    /// Workspace: two N×N matrices (S1; S2, then dZ2, then dS1 and dZ1 in the same place), R, dR
    /// and one N-row.
    func exchange(_ o: Operands, workspace: UnsafeMutablePointer<Float>) -> Double {
        let n = cells, c = channels
        let s1 = workspace, s2 = s1 + n * n, r = s2 + n * n, dr = r + c * n, row = dr + c * n
        gemm(true, false, m: n, n: n, k: c, o.source, o.auxiliary, s1)       // Z1 = f1ᵀ fa
        RowKernels.softmaxRows(s1, rows: n, columns: n)                       // S1
        gemm(false, true, m: c, n: n, k: n, o.auxiliary, s1, r)               // R = fa · S1ᵀ
        gemm(true, false, m: n, n: n, k: c, r, o.target, s2)                  // Z2 = Rᵀ f2
        RowKernels.softmaxRows(s2, rows: n, columns: n)                       // S2
        let loss = distanceWeightedRows(s2, targetPixels: o.targetPixels, row: row, backward: o.wantsGradient)
        guard let df1 = o.sourceGradient, let df2 = o.targetGradient, let dfa = o.auxiliaryGradient else {
            return loss
        }
        let dz2 = s2
        gemm(false, true, m: c, n: n, k: n, o.target, dz2, dr)                // dR = f2 · dZ2ᵀ
        gemm(false, false, m: c, n: n, k: n, r, dz2, df2)                     // df2 = R · dZ2
        let dz1 = s2                                                          // dZ2 is spent
        gemm(true, false, m: n, n: n, k: c, dr, o.auxiliary, dz1)             // dS1 = dRᵀ fa
        gemm(false, false, m: c, n: n, k: n, dr, s1, dfa)                     // dfa = dR · S1
        for p in 0..<n {
            let g = dz1 + p * n, s = s1 + p * n
            let centre = RowKernels.dot(g, s, count: n)
            RowKernels.softmaxBackward(upstream: g, probabilities: s, centre: centre, scale: 1, into: g, count: n)
        }
        gemm(false, true, m: c, n: n, k: n, o.auxiliary, dz1, df1)            // df1 = fa · dZ1ᵀ
        gemm(false, false, m: c, n: n, k: n, o.source, dz1, dfa, accumulate: true) // dfa += f1 · dZ1
        return loss
    }
}
