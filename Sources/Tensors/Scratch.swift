import Synchronization

/// A raw Float allocation owned by `ScratchPool`. It is handed to one borrower at a time, which is
/// what makes the unchecked Sendable conformance sound.
struct ScratchBuffer: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<Float>
    let capacity: Int
}

/// Reusable Float workspaces (im2col columns and the like) shared by all layers.
///
/// Layers run one after another, so a handful of buffers that only ever grow serve a whole network;
/// reusing them avoids touching fresh pages on every call. Buffers are checked out under a lock, so two
/// networks running at once each get their own.
public final class ScratchPool: Sendable {
    public static let shared = ScratchPool()

    private let free = Mutex<[ScratchBuffer]>([])

    public init() {}

    /// Lends `count` buffers of at least `size` floats each for the duration of `body`.
    /// Contents are unspecified on entry.
    func withBuffers<R>(count: Int, size: Int, _ body: ([ScratchBuffer]) throws -> R) rethrows -> R {
        var lent: [ScratchBuffer] = free.withLock { pool in
            let n = min(count, pool.count)
            pool.sort { $0.capacity < $1.capacity }
            let taken = Array(pool.suffix(n))
            pool.removeLast(n)
            return taken
        }
        for i in lent.indices where lent[i].capacity < size {
            lent[i].pointer.deallocate()
            lent[i] = ScratchBuffer(pointer: .allocate(capacity: size), capacity: size)
        }
        while lent.count < count {
            lent.append(ScratchBuffer(pointer: .allocate(capacity: max(size, 1)), capacity: max(size, 1)))
        }
        defer { free.withLock { $0.append(contentsOf: lent) } }
        return try body(lent)
    }

    deinit {
        free.withLock { pool in pool.forEach { $0.pointer.deallocate() } }
    }
}
