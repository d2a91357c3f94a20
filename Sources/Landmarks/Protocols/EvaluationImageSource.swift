import Tensors

/// One annotated evaluation image, as a DVE dataset built with `train=False, use_keypoints=True`
/// hands it to the pair warper: the image after the dataset's own resize and centre crop, before any
/// warp or evaluation crop.
public struct EvaluationItem: Sendable {
    /// (3, imwidth, imwidth) floats in [0, 255] (`to_tensor(pil) · 255`).
    public var image: Tensor
    /// (K, 2) pixel `(x, y)` in the **uncropped** imwidth × imwidth frame (x right, y down, origin at the
    /// centre of the top-left pixel). The protocols warp them and subtract the crop themselves.
    public var keypoints: Tensor

    public init(image: Tensor, keypoints: Tensor) {
        self.image = image
        self.keypoints = keypoints
    }
}

/// An evaluation split in the reference's **dataset order** (the order decides the pairing of the
/// matching protocol and which eval-warp parameters each image gets). Real datasets implement this;
/// tests use `InMemoryEvaluationSource`.
public protocol EvaluationImageSource: Sendable {
    /// Number of items in the split (an odd last item is dropped by the matching protocol).
    var count: Int { get }
    /// Item `index`, `0 ..< count`. Errors are reported by the caller with the index attached.
    func item(at index: Int) throws -> EvaluationItem
}

/// A fixed list of items (tests, small in-memory sets).
public struct InMemoryEvaluationSource: EvaluationImageSource {
    public let items: [EvaluationItem]
    public init(_ items: [EvaluationItem]) { self.items = items }
    public var count: Int { items.count }

    /// Throws `MatchingError.itemSource` for an index outside `0 ..< count` instead of trapping.
    public func item(at index: Int) throws -> EvaluationItem {
        guard items.indices.contains(index) else {
            throw MatchingError.itemSource(index: index, underlying: "index outside 0..<\(items.count)")
        }
        return items[index]
    }
}
