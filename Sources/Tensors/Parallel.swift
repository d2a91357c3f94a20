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

/// The most partial sums a reduction over images keeps. A reduction (a weight gradient summed over a
/// batch) splits its images into `reductionChunkCount(total:)` contiguous chunks, a number that depends
/// on the batch alone, and sums the chunks' partials in chunk order. Which worker ran a chunk never
/// enters the arithmetic, so `--threads 1`, `2` and `4` give the same bits. Eight keeps both cores of a
/// small machine (and four of a larger one) evenly busy at the cost of eight partial buffers.
public let reductionChunkLimit = 8

/// How many chunks a reduction over `total` items uses: a function of `total` only.
public func reductionChunkCount(total: Int) -> Int { max(1, min(reductionChunkLimit, total)) }

/// Runs `body(worker, chunk, range)` for each of `reductionChunkCount(total:)` fixed chunks of
/// `0..<total`, on at most `ComputeThreads.count` workers (worker w takes chunks w, w + workers, …).
/// `worker` indexes per-worker workspaces (im2col columns); `chunk` indexes the partial sums, which the
/// caller must reduce in chunk order.
func parallelReduction(total: Int, workers requested: Int = ComputeThreads.count,
                       _ body: @Sendable (_ worker: Int, _ chunk: Int, _ range: Range<Int>) -> Void) {
    let chunks = reductionChunkCount(total: total)
    let workers = reductionWorkerCount(total: total, workers: requested)
    guard total > 0 else { return }
    if workers == 1 {
        for chunk in 0..<chunks { body(0, chunk, total * chunk / chunks..<total * (chunk + 1) / chunks) }
        return
    }
    DispatchQueue.concurrentPerform(iterations: workers) { worker in
        for chunk in stride(from: worker, to: chunks, by: workers) {
            let lo = total * chunk / chunks, hi = total * (chunk + 1) / chunks
            if lo < hi { body(worker, chunk, lo..<hi) }
        }
    }
}

/// How many workers `parallelReduction(total:)` uses, for sizing per-worker workspaces.
func reductionWorkerCount(total: Int, workers requested: Int = ComputeThreads.count) -> Int {
    max(1, min(requested, reductionChunkCount(total: total)))
}
