import Foundation
import ImageIO
import Tensors

/// A position in an image, in **pixels**: x to the right, y down, (0, 0) the centre of the top-left
/// pixel (so pixel (i, j) covers x ∈ [i − ½, i + ½]).
public struct SynthPoint: Sendable, Equatable, Hashable, CustomStringConvertible {
    public var x: Double
    public var y: Double
    public init(x: Double, y: Double) { self.x = x; self.y = y }
    public var description: String { "(\(x), \(y))" }
}

/// Where faces sit in the frame and how much the pose varies. The pose is a similarity transform
/// of a canonical face whose eye-centre midpoint lands on `eyeMidpoint` with eye centres
/// `interocular` pixels apart, then jittered: roll N(0, rotationSD°), scale exp N(0, scaleSD),
/// shift N(0, translationSD px) per axis, yaw N(0, yawSD°) (every normal draw truncated at ±2.5σ).
/// Individual faces differ from the mean inter-ocular distance by up to ±10 % (eye spacing is part
/// of identity).
public struct SynthFraming: Sendable, Equatable {
    public var width: Int
    public var height: Int
    public var eyeMidpoint: SynthPoint
    public var interocular: Double
    public var rotationSD: Double
    public var scaleSD: Double
    public var translationSD: Double
    public var yawSD: Double

    public init(width: Int, height: Int, eyeMidpoint: SynthPoint, interocular: Double,
                rotationSD: Double = 4, scaleSD: Double = 0.05, translationSD: Double = 1.5, yawSD: Double = 8) {
        self.width = width; self.height = height; self.eyeMidpoint = eyeMidpoint; self.interocular = interocular
        self.rotationSD = rotationSD; self.scaleSD = scaleSD; self.translationSD = translationSD; self.yawSD = yawSD
    }

    /// A `size`×`size` frame with the face where the CelebA/MAFL pipeline puts it after its
    /// crop(30, 0, 178, 178) and resize: mean CelebA aligned landmarks (eyes at (69, 111) and
    /// (107, 111) in the 178×218 image) give eye midpoint (88/178, 81/178)·size and inter-ocular
    /// 38/178·size. With size 100 the networks' 70×70 centre crop holds the whole face.
    public static func square(_ size: Int) -> SynthFraming {
        let s = Double(size) / 178
        return SynthFraming(width: size, height: size, eyeMidpoint: SynthPoint(x: 88 * s, y: 81 * s),
                            interocular: 38 * s, translationSD: 0.02 * Double(size))
    }

    /// The 178×218 aligned CelebA image: eyes near (69, 111) and (107, 111), small pose jitter
    /// (the real set is similarity-aligned on the landmarks).
    public static let celebAAligned = SynthFraming(
        width: 178, height: 218, eyeMidpoint: SynthPoint(x: 88, y: 111), interocular: 38,
        rotationSD: 3, scaleSD: 0.04, translationSD: 1.5, yawSD: 8)

    /// The frame checked by `SynthFaces.init` and `render`: sizes 16…4096, an inter-ocular
    /// distance of 2 px … 10 image sides, an eye midpoint within 10 image sides of the frame, finite
    /// non-negative spreads — so every coordinate the renderer computes is finite.
    func validate() throws(SynthFacesError) {
        guard (16...4096).contains(width), (16...4096).contains(height) else {
            throw .invalidFraming("size \(width)×\(height) is outside 16…4096")
        }
        let side = Double(max(width, height))
        guard interocular.isFinite, interocular >= 2, interocular <= 10 * side else {
            throw .invalidFraming("inter-ocular distance \(interocular) is outside 2…\(10 * side) pixels")
        }
        guard eyeMidpoint.x.isFinite, eyeMidpoint.y.isFinite, abs(eyeMidpoint.x) <= 10 * side, abs(eyeMidpoint.y) <= 10 * side else {
            throw .invalidFraming("eye midpoint \(eyeMidpoint) is not within 10 image sizes of the frame")
        }
        for (name, value) in [("rotationSD", rotationSD), ("scaleSD", scaleSD), ("translationSD", translationSD),
                              ("yawSD", yawSD)] where !(value.isFinite && value >= 0) {
            throw .invalidFraming("\(name) = \(value) must be finite and ≥ 0")
        }
    }
}

/// Per-image facts that the annotation formats can carry (MTFL's attribute columns).
public struct SynthFaceAttributes: Sendable, Equatable {
    public var smiling: Bool
    public var glasses: Bool
    public var masculine: Bool
    /// Head yaw in degrees, positive when the face turns towards the image's right.
    public var yawDegrees: Double
    /// In-plane rotation in degrees, positive clockwise on screen (y points down).
    public var rollDegrees: Double
}

/// One rendered face.
public struct SynthFace: Sendable {
    public var image: RGBImage
    /// MAFL/CelebA order: image-left eye centre (pupil), image-right eye centre, nose tip,
    /// image-left mouth corner, image-right mouth corner. "Left" is the *image's* left, as in
    /// CelebA (`lefteye_x < righteye_x` on frontal faces): it is the subject's right eye.
    /// Pixels (see `SynthPoint`).
    public var landmarks5: [SynthPoint]
    /// iBUG/300-W 68-point order, image-left before image-right: jaw 0–16, brows 17–26, nose
    /// 27–35 (30 = tip, the 5-point nose), eyes 36–47 (36 and 45 the outer corners that define the
    /// inter-ocular distance), mouth 48–67 (48 and 54 = the 5-point mouth corners). Pixels.
    public var landmarks68: [SynthPoint]
    public var identity: Int
    /// Which photo of `identity` this is, 0 ..< imagesPerIdentity.
    public var imageInIdentity: Int
    public var attributes: SynthFaceAttributes
}

/// A rendered face without its pixels (`SynthFaces.annotation`).
public struct SynthFaceAnnotation: Sendable, Equatable {
    /// As `SynthFace.landmarks5`.
    public var landmarks5: [SynthPoint]
    /// As `SynthFace.landmarks68`.
    public var landmarks68: [SynthPoint]
    public var identity: Int
    public var imageInIdentity: Int
    public var attributes: SynthFaceAttributes
}

/// Everything `render` draws from, computed before the first pixel.
struct SynthPosedFace {
    var identity: SynthIdentity
    var variation: SynthVariation
    var geometry: SynthFaceGeometry
    var pose: SynthPose
    var pixels68: [(x: Float, y: Float)]
    /// The photo's generator after the pose draws; the background, lighting and occluder continue it.
    var random: SynthRandom
    var annotation: SynthFaceAnnotation
}

/// A procedural face dataset: `identities` people, `imagesPerIdentity` photos each, deterministic
/// from `seed`. Nothing is read from disk.
///
/// Index order interleaves identities: item `i` is photo `i / identities` of identity
/// `i % identities`, so consecutive items are different people — the matching protocol's
/// "different identity" pairs are consecutive items. Each identity and each photo draws from its
/// own generator (`SeededGenerator.derive(seed, …, identity[, photo])`), so an item does not depend
/// on which other items were rendered, nor on the dataset's size: growing `imagesPerIdentity`
/// keeps every earlier photo of every identity.
///
/// Rendering is single-threaded and pure; call `render` from as many threads as you like.
public struct SynthFaces: Sendable {
    public let seed: UInt64
    public let identities: Int
    public let imagesPerIdentity: Int
    public let framing: SynthFraming

    /// - Throws: `SynthFacesError.invalidCount` for identities or images per identity < 1 (or a
    ///   product that overflows), `.invalidFraming` for an unusable framing.
    public init(seed: UInt64, identities: Int, imagesPerIdentity: Int, framing: SynthFraming) throws(SynthFacesError) {
        guard identities >= 1, imagesPerIdentity >= 1,
              !identities.multipliedReportingOverflow(by: imagesPerIdentity).overflow else {
            throw .invalidCount(identities: identities, imagesPerIdentity: imagesPerIdentity)
        }
        try framing.validate()
        self.seed = seed; self.identities = identities; self.imagesPerIdentity = imagesPerIdentity
        self.framing = framing
    }

    /// `size`×`size` images framed like the CelebA/MAFL 100×100 network input (`SynthFraming.square`).
    public init(seed: UInt64, identities: Int, imagesPerIdentity: Int, size: Int = 100) throws(SynthFacesError) {
        try self.init(seed: seed, identities: identities, imagesPerIdentity: imagesPerIdentity, framing: .square(size))
    }

    public var count: Int { identities * imagesPerIdentity }

    /// The identity of item `index` (`index % identities`).
    public func identity(ofIndex index: Int) -> Int { index % identities }

    /// Renders item `index` in the dataset's framing.
    public func render(index: Int) throws(SynthFacesError) -> SynthFace {
        try render(index: index, framing: framing)
    }

    /// Renders item `index` in another framing (the on-disk layouts give each image its own size):
    /// the person, expression and lighting are the same, only the pose draws use `framing`.
    ///
    /// - Throws: `.indexOutOfRange`, `.invalidFraming`.
    public func render(index: Int, framing: SynthFraming) throws(SynthFacesError) -> SynthFace {
        let posed = try posed(index: index, framing: framing)
        let (id, variation, geometry, pose, pixels68) = (posed.identity, posed.variation, posed.geometry, posed.pose, posed.pixels68)
        var r = posed.random
        var canvas = SynthCanvas(width: framing.width, height: framing.height)
        SynthBackground.draw(into: &canvas, random: &r, identity: id)
        let centre = pose.pixel(0, 0.4), radius = pose.scale * 1.3
        let dx = cosf(variation.lightAngle), dy = sinf(variation.lightAngle), k = variation.lightStrength / radius
        let light = SynthLight(l0: 1 - k * (centre.x * dx + centre.y * dy), lx: k * dx, ly: k * dy)
        for shape in SynthScene(identity: id, geometry: geometry, variation: variation, pose: pose).shapes {
            canvas.draw(shape, light: light)
        }
        let xs = pixels68.map(\.x), ys = pixels68.map(\.y)
        let box = (xs.min() ?? 0, xs.max() ?? 0, ys.min() ?? 0, ys.max() ?? 0)
        if let occluder = SynthBackground.foreground(random: &r, width: Float(framing.width), height: Float(framing.height),
                                                     landmarkBox: box, margin: pose.scale * 0.15) {
            canvas.draw(occluder, light: SynthLight())
        }
        let bytes = canvas.finish(variation: variation,
                                  noiseSeed: SeededGenerator.derive(seed, 0x5F1E, UInt64(posed.annotation.identity),
                                                                    UInt64(posed.annotation.imageInIdentity)))
        let annotation = posed.annotation
        return SynthFace(image: RGBImage(width: framing.width, height: framing.height, pixels: bytes),
                         landmarks5: annotation.landmarks5, landmarks68: annotation.landmarks68,
                         identity: annotation.identity, imageInIdentity: annotation.imageInIdentity,
                         attributes: annotation.attributes)
    }

    /// What `render(index:framing:)` returns except the pixels, without rasterising (the same
    /// draws, so the same values): annotation files can be built for a whole tree cheaply.
    public func annotation(index: Int, framing: SynthFraming) throws(SynthFacesError) -> SynthFaceAnnotation {
        try posed(index: index, framing: framing).annotation
    }

    /// The person, pose and landmarks of item `index`, and the generator as the drawing continues it.
    func posed(index: Int, framing: SynthFraming) throws(SynthFacesError) -> SynthPosedFace {
        guard index >= 0, index < count else { throw .indexOutOfRange(index: index, count: count) }
        try framing.validate()
        let person = index % identities, photo = index / identities
        var identityRandom = SynthRandom(seed: SeededGenerator.derive(seed, 0x5F1D, UInt64(person)))
        let id = SynthIdentity(random: &identityRandom)
        var r = SynthRandom(seed: SeededGenerator.derive(seed, 0x5F1A, UInt64(person), UInt64(photo)))
        let variation = SynthVariation(random: &r, framing: framing)
        let geometry = SynthFaceGeometry(identity: id, variation: variation)
        let pose = SynthPose(framing: framing, variation: variation)
        let face68 = geometry.landmarks68
        let pixels68 = face68.map { pose.pixel($0.0, $0.1) }
        let pixels5 = geometry.landmarks5(from: face68).map { pose.pixel($0.0, $0.1) }
        let degrees = 180 / Double.pi
        let annotation = SynthFaceAnnotation(
            landmarks5: pixels5.map { SynthPoint(x: Double($0.x), y: Double($0.y)) },
            landmarks68: pixels68.map { SynthPoint(x: Double($0.x), y: Double($0.y)) },
            identity: person, imageInIdentity: photo,
            attributes: SynthFaceAttributes(
                smiling: variation.smile > 0.3, glasses: id.glasses != .none, masculine: id.masculine,
                yawDegrees: Double(variation.yaw) * degrees, rollDegrees: Double(variation.roll) * degrees))
        return SynthPosedFace(identity: id, variation: variation, geometry: geometry, pose: pose, pixels68: pixels68,
                              random: r, annotation: annotation)
    }
}

/// Invalid arguments to `SynthFaces`; each case names the offending value.
public enum SynthFacesError: Error, CustomStringConvertible, Sendable, Equatable {
    case invalidCount(identities: Int, imagesPerIdentity: Int)
    case indexOutOfRange(index: Int, count: Int)
    case invalidFraming(String)

    public var description: String {
        switch self {
        case .invalidCount(let identities, let images):
            return "SynthFaces needs at least one identity and one image per identity (got \(identities) identities × \(images) images)"
        case .indexOutOfRange(let index, let count):
            return "SynthFaces item \(index) is outside 0..<\(count)"
        case .invalidFraming(let reason):
            return "SynthFaces framing is unusable: \(reason)"
        }
    }
}
