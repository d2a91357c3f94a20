/// Public faces of the internal parallel and scratch machinery, for kernels that live outside
/// `Tensors` (the correlation losses in `Landmarks`). They add nothing but visibility, so every kernel
/// in the package chunks work and reuses memory the same way.
public enum ParallelWork {
    /// Runs `body(worker, range)` over `0..<total` split into at most `workers` contiguous chunks (see
    /// `parallelChunks`): chunk boundaries depend only on `total` and the worker count, so results
    /// stored per index, or reduced per worker in worker order, are reproducible.
    public static func chunks(total: Int, workers: Int = ComputeThreads.count,
                              _ body: @Sendable (_ worker: Int, _ range: Range<Int>) -> Void) {
        parallelChunks(total: total, workers: workers, body)
    }

    /// Runs `body(worker, chunk, range)` over the fixed chunks of a reduction (see
    /// `parallelReduction`): partial sums indexed by `chunk` and reduced in chunk order give the same
    /// bits for every worker count.
    public static func reduction(total: Int, _ body: @Sendable (_ worker: Int, _ chunk: Int, _ range: Range<Int>) -> Void) {
        parallelReduction(total: total, body)
    }
}

extension ScratchPool {
    /// Lends `count` buffers of exactly `size` floats (carved from pooled allocations that only grow)
    /// for the duration of `body`. Contents are unspecified on entry; the buffers must not escape.
    /// Each concurrent caller gets its own buffers.
    public func withFloatBuffers<R>(count: Int, size: Int,
                                    _ body: ([UnsafeMutableBufferPointer<Float>]) throws -> R) rethrows -> R {
        try withBuffers(count: count, size: size) { lent in
            try body(lent.map { UnsafeMutableBufferPointer(start: $0.pointer, count: size) })
        }
    }
}
