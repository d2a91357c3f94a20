/// A dense Float32 tensor in row-major (C) order; image batches are NCHW.
///
/// Storage is a Swift array, so copies are cheap until written. Layers keep their output tensors and
/// write into them again on the next call; when the caller has let go of the previous result the write
/// happens in place, which matters here because touching fresh pages costs about 0.65 ms per MB.
public struct Tensor: Sendable, Equatable {
    public private(set) var shape: [Int]
    public var storage: [Float]

    public init(shape: [Int], repeating value: Float = 0) {
        precondition(shape.allSatisfy { $0 >= 0 }, "negative dimension in \(shape)")
        self.shape = shape
        self.storage = [Float](repeating: value, count: shape.reduce(1, *))
    }

    /// Wraps `storage`; the element count must equal the product of `shape` (a programming error otherwise).
    public init(shape: [Int], storage: [Float]) {
        precondition(shape.reduce(1, *) == storage.count, "shape \(shape) does not hold \(storage.count) elements")
        self.shape = shape
        self.storage = storage
    }

    public static let empty = Tensor(shape: [0])

    public var count: Int { storage.count }
    public var rank: Int { shape.count }

    /// The same elements under another shape with the same element count.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        Tensor(shape: newShape, storage: storage)
    }

    /// Gives this tensor `newShape`, keeping its buffer when the element count already fits.
    /// Contents are unspecified afterwards; callers overwrite every element.
    public mutating func prepare(shape newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if storage.count != n {
            storage = [Float](repeating: 0, count: n)
        }
        shape = newShape
    }

    /// Like `prepare(shape:)` but every element is zero afterwards (for gradients that accumulate).
    public mutating func prepareZeroed(shape newShape: [Int]) {
        let n = newShape.reduce(1, *)
        if storage.count != n {
            storage = [Float](repeating: 0, count: n)
        } else {
            storage.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
        }
        shape = newShape
    }

    public subscript(flat index: Int) -> Float {
        get { storage[index] }
        set { storage[index] = newValue }
    }

    /// Dimensions of an NCHW tensor; a programming error for other ranks.
    public var nchw: (n: Int, c: Int, h: Int, w: Int) {
        precondition(shape.count == 4, "expected an NCHW tensor, got shape \(shape)")
        return (shape[0], shape[1], shape[2], shape[3])
    }

    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }
}

extension Tensor: CustomStringConvertible {
    public var description: String { "Tensor\(shape)" }
}
