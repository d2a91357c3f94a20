import Foundation
/// Everything that changes between two photos of the same synthetic person: pose, expression,
/// lighting and camera. Backgrounds are drawn from the same generator right after these, in
/// `SynthBackground`.
struct SynthVariation: Sendable {
    // Pose (roll and yaw in radians, scale a multiplier, shift in pixels).
    var roll: Float, yaw: Float, scale: Float, shiftX: Float, shiftY: Float
    // Expression.
    var smile: Float       // −0.3 (corners down) … 1 (broad smile)
    var mouthOpen: Float   // 0 … 1
    var browRaise: Float   // −1 (frown: inner ends down) … 1 (raised)
    var eyeOpen: Float     // lid opening multiplier
    var gazeX: Float, gazeY: Float
    // Light: direction of the bright side in the image, and its strength (relative brightness
    // change over one face radius).
    var lightAngle: Float, lightStrength: Float
    // Camera: global brightness offset, contrast, per-channel colour cast, sensor noise σ (levels),
    // and whether the image is slightly defocused.
    var brightness: Float, contrast: Float, cast: SynthColor, noise: Float, blurred: Bool

    init(random r: inout SynthRandom, framing: SynthFraming) {
        let degree = Float.pi / 180
        roll = r.normal(0, Float(framing.rotationSD) * degree)
        yaw = r.normal(0, Float(framing.yawSD) * degree)
        scale = expf(r.normal(0, Float(framing.scaleSD)))
        shiftX = r.normal(0, Float(framing.translationSD))
        shiftY = r.normal(0, Float(framing.translationSD))

        let mood = r.uniform(0, 1)
        smile = mood < 0.45 ? r.uniform(0.3, 1) : mood < 0.55 ? r.uniform(-0.3, 0) : r.uniform(0, 0.25)
        mouthOpen = r.chance(0.3) ? r.uniform(0.15, 1) : 0
        browRaise = r.normal(0, 0.4)
        eyeOpen = r.chance(0.08) ? r.uniform(0.35, 0.6) : r.uniform(0.75, 1.12)
        gazeX = r.normal(0, 0.35)
        gazeY = r.normal(0, 0.3)

        lightAngle = r.uniform(0, 2 * .pi)
        lightStrength = r.uniform(0, 0.4)
        brightness = r.normal(0, 12)
        contrast = r.uniform(0.75, 1.2)
        cast = SynthColor(r.uniform(0.88, 1.1), r.uniform(0.9, 1.08), r.uniform(0.85, 1.12))
        noise = r.chance(0.5) ? r.uniform(0, 6) : r.uniform(0, 1.5)
        blurred = r.chance(0.25)
    }
}

/// The similarity transform from face units to pixels: `p = centre + scale·R(roll)·q`.
struct SynthPose: Sendable {
    var centreX: Float, centreY: Float, scale: Float, roll: Float
    var cosR: Float, sinR: Float

    init(framing: SynthFraming, variation v: SynthVariation) {
        centreX = Float(framing.eyeMidpoint.x) + v.shiftX
        centreY = Float(framing.eyeMidpoint.y) + v.shiftY
        scale = Float(framing.interocular) * v.scale
        roll = v.roll
        cosR = cosf(roll); sinR = sinf(roll)
    }

    @inline(__always) func pixel(_ x: Float, _ y: Float) -> (x: Float, y: Float) {
        (centreX + scale * (cosR * x - sinR * y), centreY + scale * (sinR * x + cosR * y))
    }

    /// The frame of a shape centred at face point (`x`, `y`) and rotated by `angle` within the face.
    func frame(_ x: Float, _ y: Float, angle: Float = 0) -> SynthFrame {
        let p = pixel(x, y)
        return SynthFrame(originX: p.x, originY: p.y, angle: roll + angle, scale: scale)
    }
}
