import Tensors

/// Process-wide compute settings and the facts about them that provenance records.
public enum Runtime {
    /// Sets the kernel worker count; OpenBLAS stays single-threaded (see `ComputeThreads`).
    public static func configure(threads: Int) {
        ComputeThreads.set(threads)
    }

    public static var threads: Int { ComputeThreads.count }
    public static var blasCore: String { BLAS.coreName }
    public static var blasConfiguration: String { BLAS.configuration }
    public static var blasThreads: Int { BLAS.threadCount }
}
