import ImageIO
import Tensors

/// The training-split `transforms` of every DVE dataset (`do_augmentations=True`):
/// `[JPEGNoise, ColorJitter(.4, .4, .4), ToTensor, PcaAug]` then `Normalize(mean, std)`.
///
/// In the pair path they run on each warped, cropped, uint8-truncated image (A and B independently,
/// A first), after the warp. All draws come from the generator passed in, in the reference's order
/// per image: JPEG noise (size z, quality), colour jitter (factors, order), PCA (three normals). The
/// values are distributed as the reference's but are not its numbers (PyTorch's and Python's
/// generators are not replayed). Each step can be disabled by setting it to nil.
public struct PhotometricAugmentation: Sendable, Equatable {
    public var jpegNoise: JPEGNoise?
    public var colorJitter: ColorJitter?
    public var pcaLighting: PCALighting?

    public init(jpegNoise: JPEGNoise? = JPEGNoise(), colorJitter: ColorJitter? = ColorJitter(),
                pcaLighting: PCALighting? = PCALighting()) {
        self.jpegNoise = jpegNoise
        self.colorJitter = colorJitter
        self.pcaLighting = pcaLighting
    }

    /// The reference's training augmentation.
    public static let reference = PhotometricAugmentation()

    /// `ToTensor(ColorJitter(JPEGNoise(image)))` plus the PCA offset: CHW floats, nominally in
    /// [0, 1] (the PCA offset is not clipped, as in the reference).
    public func augmented(_ image: RGBImage, using generator: inout SeededGenerator) throws(DatasetError) -> [Float] {
        var current = image
        if let jpegNoise {
            current = try JPEGNoise.apply(current, jpegNoise.draw(width: current.width, using: &generator))
        }
        if let colorJitter {
            current = ColorJitter.apply(current, colorJitter.draw(using: &generator))
        }
        var planar = current.planarFloats()
        if let pcaLighting {
            PCALighting.apply(&planar, plane: current.pixelCount, pcaLighting.draw(using: &generator))
        }
        return planar
    }

    /// `augmented` followed by `Normalize(mean, std)`: `(x − mean[c]) / std[c]` in float32.
    public func normalized(_ image: RGBImage, mean: [Float] = WarpedImageConversion.mean,
                           std: [Float] = WarpedImageConversion.std,
                           using generator: inout SeededGenerator) throws(DatasetError) -> [Float] {
        var planar = try augmented(image, using: &generator)
        let plane = image.pixelCount
        for c in 0..<3 {
            for i in (c * plane)..<((c + 1) * plane) { planar[i] = (planar[i] - mean[c]) / std[c] }
        }
        return planar
    }
}

/// `JPEGNoise(low=30, high=99)` of the DVE data loaders: for a W×H image,
/// `rW = max(int(0.8·W), int(W·(1 + 0.5·z)))` (z ~ N(0, 1), the product in float32 as with a torch
/// scalar), resize to rW×rW (Pillow bilinear), JPEG-encode at quality `randint(30, 99)` (30…98) with
/// Pillow's defaults (4:2:0, baseline, accurate DCT), decode, resize back to W×H (bilinear).
public struct JPEGNoise: Sendable, Equatable {
    public var low: Int
    public var high: Int

    public init(low: Int = 30, high: Int = 99) {
        self.low = low
        self.high = high
    }

    public struct Parameters: Sendable, Equatable {
        public var resizedWidth: Int
        public var quality: Int
        public init(resizedWidth: Int, quality: Int) {
            self.resizedWidth = resizedWidth
            self.quality = quality
        }
    }

    /// Draws z (normal) then the quality (uniform integer in `low ..< high`).
    public func draw(width: Int, using generator: inout SeededGenerator) -> Parameters {
        let z = Float(generator.nextNormal())
        let scaled = Float(width) * (1 + 0.5 * z)
        let grown = scaled.isFinite ? Int(min(max(scaled, -1e6), 1e6)) : 0
        let resized = max(Int(0.8 * Double(width)), grown, 1)
        let span = max(high - low, 1)
        let quality = low + min(Int(generator.nextUniform() * Double(span)), span - 1)
        return Parameters(resizedWidth: resized, quality: quality)
    }

    /// - Throws: `.augmentation` when the quality is outside 1…100 or the JPEG round trip fails.
    public static func apply(_ image: RGBImage, _ p: Parameters) throws(DatasetError) -> RGBImage {
        guard p.resizedWidth >= 1 else { throw .augmentation("JPEG noise: resized width \(p.resizedWidth)") }
        let small = PillowResize.bilinear(image, width: p.resizedWidth, height: p.resizedWidth)
        let decoded: RGBImage
        do {
            let bytes = try ImageCodec.encodeJPEG(small, quality: p.quality, subsampling: .s420)
            decoded = try ImageCodec.decode(bytes, source: "<JPEG noise>")
        } catch {
            throw .augmentation("JPEG noise round trip at quality \(p.quality): \(error)")
        }
        return PillowResize.bilinear(decoded, width: image.width, height: image.height)
    }
}

/// `PcaAug(alpha=0.1)`: AlexNet-style lighting noise on the [0, 1] tensor,
/// `img_c += Σ_j V[c][j]·α_j·λ_j` with α ~ N(0, 0.1²) (three values), float32, no clipping.
public struct PCALighting: Sendable, Equatable {
    public var alpha: Float

    public init(alpha: Float = 0.1) { self.alpha = alpha }

    /// `_eigval`, `_eigvec` of the reference (float32).
    public static let eigenvalues: [Float] = [0.2175, 0.0188, 0.0045]
    public static let eigenvectors: [[Float]] = [
        [-0.5675, 0.7192, 0.4009],
        [-0.5808, -0.0045, -0.8140],
        [-0.5836, -0.6948, 0.4203],
    ]

    /// The per-channel offsets `rgb` of one draw: `(V · α · λ).sum(1)` in float32.
    public func draw(using generator: inout SeededGenerator) -> [Float] {
        let a = (0..<3).map { _ in Float(generator.nextNormal()) * alpha }
        return (0..<3).map { i in
            var sum: Float = 0
            for j in 0..<3 { sum += (Self.eigenvectors[i][j] * a[j]) * Self.eigenvalues[j] }
            return sum
        }
    }

    /// Adds `offsets[c]` to every value of channel c of a CHW buffer.
    public static func apply(_ planar: inout [Float], plane: Int, _ offsets: [Float]) {
        for c in 0..<3 {
            for i in (c * plane)..<((c + 1) * plane) { planar[i] += offsets[c] }
        }
    }
}
