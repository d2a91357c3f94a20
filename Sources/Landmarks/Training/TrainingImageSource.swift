import Tensors

/// Training images before warping: (3, imageWidth, imageWidth) floats in [0, 255], as the reference
/// dataset hands them to the warper (`to_tensor(pil) · 255` after its resize and centre crop).
public protocol TrainingImageSource: Sendable {
    var count: Int { get }
    func image(at index: Int) throws -> Tensor
}

/// A fixed list of images (tests, small in-memory datasets).
public struct InMemoryImageSource: TrainingImageSource {
    public let images: [Tensor]
    public init(_ images: [Tensor]) { self.images = images }
    public var count: Int { images.count }
    public func image(at index: Int) throws -> Tensor { images[index] }
}
