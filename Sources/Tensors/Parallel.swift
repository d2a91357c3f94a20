import Dispatch
import Synchronization

/// How many workers the kernels use. Kernels split work across images (or channels) with
/// `concurrentPerform` and keep OpenBLAS single-threaded, because OpenBLAS's own two-thread split
/// scales poorly on conv-shaped GEMMs on this class of machine; never both for the same work.
public enum ComputeThreads {
    private static let storage = Atomic<Int>(1)
    @TaskLocal private static var scoped: Int?

    /// The worker count in effect: a `withCount` scope's, else the process-wide setting.
    public static var count: Int {
        BLAS.pinToOneThread()
        return scoped ?? storage.load(ordering: .relaxed)
    }

    /// Runs `body` with `n` workers on this thread (and tasks it starts), leaving the process-wide
    /// setting alone, so concurrent callers (tests, say) cannot change each other's chunking.
    public static func withCount<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        BLAS.setThreadCount(1)
        return try $scoped.withValue(max(1, n), operation: body)
    }

    /// Sets the worker count (at least 1) and pins OpenBLAS to one thread.
    public static func set(_ n: Int) {
        storage.store(max(1, n), ordering: .relaxed)
        BLAS.setThreadCount(1)
    }
}

/// A pointer that crosses into `concurrentPerform` workers. Safe only because every worker touches a
/// disjoint range of it, which each call site arranges.
@usableFromInline
struct SharedPointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafeMutablePointer<T>
    @inlinable init(_ base: UnsafeMutablePointer<T>) { self.base = base }
    @inlinable subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
    @inlinable func advanced(by n: Int) -> UnsafeMutablePointer<T> { base + n }
}

@usableFromInline
struct SharedConstPointer<T>: @unchecked Sendable {
    @usableFromInline let base: UnsafePointer<T>
    @inlinable init(_ base: UnsafePointer<T>) { self.base = base }
    @inlinable subscript(i: Int) -> T { base[i] }
    @inlinable func advanced(by n: Int) -> UnsafePointer<T> { base + n }
}

/// Runs `body(worker, range)` over `0..<total` split into at most `ComputeThreads.count` contiguous
/// chunks. Chunk boundaries depend only on `total` and the worker count, so per-worker partial sums
/// reduced in worker order give the same bits on every run with the same thread count.
func parallelChunks(total: Int, workers requested: Int = ComputeThreads.count,
                    _ body: @Sendable (_ worker: Int, _ range: Range<Int>) -> Void) {
    let workers = max(1, min(requested, total))
    if workers == 1 {
        if total > 0 { body(0, 0..<total) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        let lo = total * w / workers
        let hi = total * (w + 1) / workers
        if lo < hi { body(w, lo..<hi) }
    }
}

func chunkCount(total: Int, workers requested: Int = ComputeThreads.count) -> Int {
    max(1, min(requested, total))
}
