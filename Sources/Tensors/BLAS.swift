import CBLAS

/// The single seam to OpenBLAS. Row-major throughout.
public enum BLAS {
    /// C = alpha * op(A) * op(B) + beta * C, with op(A) m×k, op(B) k×n, C m×n, all row-major.
    @inlinable
    public static func sgemm(
        transA: Bool, transB: Bool, m: Int, n: Int, k: Int,
        alpha: Float, a: UnsafePointer<Float>, lda: Int,
        b: UnsafePointer<Float>, ldb: Int,
        beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int
    ) {
        pinToOneThread()
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
    }

    /// C = A·B for row-major, unstrided A (m×k), B (k×n), C (m×n), with the products summed in Float64
    /// and each result rounded once to Float32. Several times slower than `sgemm`; for verification.
    public static func gemmAccumulatingInFloat64(m: Int, n: Int, k: Int, a: UnsafePointer<Float>,
                                                 b: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>) {
        let a64 = UnsafeMutableBufferPointer<Double>.allocate(capacity: m * k)
        let b64 = UnsafeMutableBufferPointer<Double>.allocate(capacity: k * n)
        let c64 = UnsafeMutableBufferPointer<Double>.allocate(capacity: m * n)
        defer { a64.deallocate(); b64.deallocate(); c64.deallocate() }
        for i in 0..<(m * k) { a64[i] = Double(a[i]) }
        for i in 0..<(k * n) { b64[i] = Double(b[i]) }
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(m), Int32(n), Int32(k), 1,
                    a64.baseAddress, Int32(k), b64.baseAddress, Int32(n), 0, c64.baseAddress, Int32(n))
        for i in 0..<(m * n) { c[i] = Float(c64[i]) }
    }

    public static func setThreadCount(_ n: Int) { openblas_set_num_threads(Int32(n)) }

    /// OpenBLAS starts with one thread per core, and its thread count changes how sgemm splits a
    /// product and so the bits of the result. Pinning it to one before the first product makes every
    /// result independent of whether (or when) anything in the process called `ComputeThreads.set`.
    @usableFromInline static let pinnedToOneThread: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    @inlinable public static func pinToOneThread() { _ = pinnedToOneThread }
    public static var threadCount: Int { Int(openblas_get_num_threads()) }

    /// The kernel family OpenBLAS picked for this CPU (e.g. "Haswell"), for provenance.
    public static var coreName: String { openblas_get_corename().map { String(cString: $0) } ?? "unknown" }
    /// OpenBLAS's build configuration string, for provenance.
    public static var configuration: String { openblas_get_config().map { String(cString: $0) } ?? "unknown" }
}
