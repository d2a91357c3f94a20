/// Elementwise kernels for residual networks: the sums `x + f(x)` and the copies they need, written
/// into caller-owned buffers so a network can decide which tensors persist.
///
/// Work is split over contiguous ranges with `parallelChunks`; each element is computed independently,
/// so the result does not depend on the thread count.
public enum Elementwise {
    /// `output = a + b` (same shapes), reusing `output`'s buffer when its size fits.
    public static func add(_ a: Tensor, _ b: Tensor, into output: inout Tensor) {
        precondition(a.shape == b.shape, "cannot add \(a.shape) and \(b.shape)")
        output.prepare(shape: a.shape)
        a.withUnsafeBufferPointer { x in
            b.withUnsafeBufferPointer { y in
                output.withUnsafeMutableBufferPointer { z in
                    let xs = SharedConstPointer(x.baseAddress!), ys = SharedConstPointer(y.baseAddress!)
                    let zs = SharedPointer(z.baseAddress!)
                    forRanges(a.count) { range in
                        for i in range { zs[i] = xs[i] + ys[i] }
                    }
                }
            }
        }
    }

    /// `target += addend` (same shapes).
    public static func addInPlace(_ addend: Tensor, to target: inout Tensor) {
        precondition(addend.shape == target.shape, "cannot add \(addend.shape) to \(target.shape)")
        addend.withUnsafeBufferPointer { x in
            target.withUnsafeMutableBufferPointer { z in
                let xs = SharedConstPointer(x.baseAddress!), zs = SharedPointer(z.baseAddress!)
                forRanges(addend.count) { range in
                    for i in range { zs[i] += xs[i] }
                }
            }
        }
    }

    /// `output = source`, reusing `output`'s buffer (assigning the tensor would share `source`'s
    /// storage, and the next in-place write would then copy it).
    public static func copy(_ source: Tensor, into output: inout Tensor) {
        output.prepare(shape: source.shape)
        source.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { z in
                guard let dst = z.baseAddress, let src = x.baseAddress else { return }
                dst.update(from: src, count: x.count)
            }
        }
    }

    /// Splits `0..<count` into chunks of at least 64 Ki elements (small tensors stay on one thread).
    private static func forRanges(_ count: Int, _ body: @Sendable (Range<Int>) -> Void) {
        let grain = 1 << 16
        let pieces = max(1, min(ComputeThreads.count, count / grain))
        parallelChunks(total: pieces, workers: pieces) { _, chunks in
            for piece in chunks {
                body((count * piece / pieces)..<(count * (piece + 1) / pieces))
            }
        }
    }
}

/// Reusable tensors for intermediate results whose lifetime a network manages itself: a free list per
/// element count.
///
/// Why: touching fresh pages costs about 0.65 ms per MB, so buffers should be reused, but a layer that
/// owns every intermediate it produces keeps all of them alive at once. A network that knows when an
/// intermediate is dead (an activation after its backward, a gradient after its consumer ran) returns
/// it here, and the next request of that size gets it back without allocating.
///
/// Value semantics keep this safe: `take` hands out a tensor nobody else references, and a recycled
/// tensor that someone still holds is copied on the next write instead of being overwritten (only the
/// reuse is lost). Not thread-safe: one arena belongs to one network, used from one thread at a time.
public final class TensorArena {
    private var free: [Int: [Tensor]] = [:]

    public init() {}

    /// A tensor of `shape` with unspecified contents.
    public func take(shape: [Int]) -> Tensor {
        let count = shape.reduce(1, *)
        if var tensor = free[count]?.popLast() {
            tensor.prepare(shape: shape)
            return tensor
        }
        return Tensor(shape: shape)
    }

    /// Gives `tensor`'s buffer back for reuse. Empty tensors are ignored.
    public func recycle(_ tensor: Tensor) {
        guard tensor.count > 0 else { return }
        free[tensor.count, default: []].append(tensor)
    }

    /// Drops every pooled buffer (for example when the batch size changes, so buffers of the old size
    /// would never be asked for again).
    public func removeAll() { free.removeAll() }

    /// Floats held in pooled buffers (for memory reports and tests).
    public var pooledElementCount: Int { free.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1.count } } }
}
