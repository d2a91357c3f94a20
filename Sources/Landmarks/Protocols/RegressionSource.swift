import Tensors

/// One annotated image of a regression split, ready for the descriptor network.
public struct KeypointImage: Sendable {
    /// (3, H, W): the cropped image after ToTensor and Normalize, exactly what the network consumes.
    public var image: Tensor
    /// (nA, 2): (x, y) in **pixels of the cropped frame** (0 … W−1, origin at the top-left pixel
    /// centre), not normalised. The protocol normalises them with `normalizedKeypoints`.
    public var keypoints: Tensor

    public init(image: Tensor, keypoints: Tensor) {
        self.image = image
        self.keypoints = keypoints
    }
}

/// A split of an annotated dataset as the regression protocol reads it (the reference datasets with
/// `use_keypoints=True`, `do_augmentations=False`; limited-annotation runs pass their warped copies).
///
/// `identity` is part of the descriptor cache key: two sources with the same identity must produce
/// the same items bit for bit. It should name the dataset class, the split, and every preprocessing
/// choice that changes an image or a keypoint (image width, crop, HQ images, warps and their seed…).
public protocol KeypointImageSource: Sendable {
    /// Names the dataset, split and preprocessing, e.g. `"MAFLAligned/test imwidth=100 crop=15 hq=1"`.
    var identity: String { get }
    var count: Int { get }
    /// nA: 5 for MAFL / AFLW, 68 for 300-W.
    var keypointCount: Int { get }
    /// The `eye_kp_idxs` of the dataset class (`EyeIndices.standard(forKeypointCount:)` for the
    /// reference's datasets).
    var eyes: EyeIndices { get }
    /// The size every image has (the cropped frame: 70×70 for SmallNet, 96×96 for the Hourglass); the
    /// keypoints are normalised over it.
    var imageHeight: Int { get }
    var imageWidth: Int { get }
    func item(at index: Int) throws -> KeypointImage
}

/// A fixed list of items (tests, small synthetic sets).
public struct InMemoryKeypointSource: KeypointImageSource {
    public let identity: String
    public let items: [KeypointImage]
    public let keypointCount: Int
    public let eyes: EyeIndices
    public let imageHeight: Int
    public let imageWidth: Int

    /// Sizes are taken from the first item (an empty list gives 0×0 images and no keypoints); the
    /// protocol checks every item against them when it reads it.
    public init(identity: String, items: [KeypointImage], eyes: EyeIndices) {
        self.identity = identity
        self.items = items
        self.eyes = eyes
        let first = items.first
        keypointCount = first?.keypoints.shape.first ?? 0
        imageHeight = first.map { $0.image.rank == 3 ? $0.image.shape[1] : 0 } ?? 0
        imageWidth = first.map { $0.image.rank == 3 ? $0.image.shape[2] : 0 } ?? 0
    }

    public var count: Int { items.count }
    public func item(at index: Int) throws -> KeypointImage { items[index] }
}
