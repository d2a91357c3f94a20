/// Eigen-decomposition of a small real symmetric matrix by the cyclic Jacobi method (Golub & Van Loan
/// §8.5): plane rotations zero the off-diagonal entries one at a time until their norm is negligible.
/// Chosen over power iteration because it yields every eigenpair at once, to full precision, whatever
/// the gaps between eigenvalues — and for C ≤ 64 (descriptor channels) its O(C³) per sweep is nothing.
enum SymmetricEigen {
    /// Eigenvalues in descending order and the matching unit eigenvectors (`vectors[k]` belongs to
    /// `values[k]`). `matrix` is row-major n×n and is read as symmetric (only its upper triangle is used
    /// after symmetrisation). Returns empty arrays for n = 0.
    static func decompose(_ matrix: [Double], n: Int) -> (values: [Double], vectors: [[Double]]) {
        precondition(matrix.count == n * n, "SymmetricEigen: \(matrix.count) entries for \(n)×\(n)")
        guard n > 0 else { return ([], []) }
        var a = matrix
        for i in 0..<n { for j in i + 1 ..< n { let m = (a[i * n + j] + a[j * n + i]) / 2; a[i * n + j] = m; a[j * n + i] = m } }
        var v = [Double](repeating: 0, count: n * n)
        for i in 0..<n { v[i * n + i] = 1 }
        let scale = a.reduce(0) { $0 + $1 * $1 }
        for _ in 0..<100 {
            var off = 0.0
            for i in 0..<n { for j in i + 1 ..< n { off += 2 * a[i * n + j] * a[i * n + j] } }
            if off <= scale * 1e-30 || off == 0 { break }
            for p in 0..<n {
                for q in p + 1 ..< n where a[p * n + q] != 0 {
                    rotate(&a, &v, n: n, p: p, q: q)
                }
            }
        }
        let order = (0..<n).sorted { a[$0 * n + $0] > a[$1 * n + $1] }
        return (order.map { a[$0 * n + $0] }, order.map { k in (0..<n).map { v[$0 * n + k] } })
    }

    /// Zeroes a[p][q] (and a[q][p]) with the rotation of Golub & Van Loan's `sym.schur2`, applied as
    /// A ← JᵀAJ, V ← VJ; the stable choice of t keeps |θ| ≤ π/4.
    private static func rotate(_ a: inout [Double], _ v: inout [Double], n: Int, p: Int, q: Int) {
        let apq = a[p * n + q]
        let tau = (a[q * n + q] - a[p * n + p]) / (2 * apq)
        let t = (tau >= 0 ? 1 : -1) / (abs(tau) + (1 + tau * tau).squareRoot())
        let c = 1 / (1 + t * t).squareRoot(), s = t * c
        for k in 0..<n {
            let akp = a[k * n + p], akq = a[k * n + q]
            a[k * n + p] = c * akp - s * akq
            a[k * n + q] = s * akp + c * akq
        }
        for k in 0..<n {
            let apk = a[p * n + k], aqk = a[q * n + k]
            a[p * n + k] = c * apk - s * aqk
            a[q * n + k] = s * apk + c * aqk
        }
        for k in 0..<n {
            let vkp = v[k * n + p], vkq = v[k * n + q]
            v[k * n + p] = c * vkp - s * vkq
            v[k * n + q] = s * vkp + c * vkq
        }
    }
}
