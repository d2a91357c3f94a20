import Foundation

/// The parts of one face after expression and yaw, in face units (see `SynthIdentity`), and the
/// landmarks read off *the same parameters the renderer draws*, so a landmark is always on the
/// feature it names.
///
/// Yaw is pseudo-3D: each feature point has a depth `z` on an ellipsoid head (plus the nose's own
/// protrusion) and moves to `x·cos φ + z·sin φ`; horizontal sizes shrink by the local derivative of
/// that map, so the far eye narrows and the nose swings further than the eyes, as in real photos.
/// The silhouette stays put (a rotating ellipsoid's outline does not move); the jaw landmarks slide
/// along it towards the turn.
struct SynthFaceGeometry: Sendable {
    struct Eye: Sendable {
        var x: Float, y: Float, angle: Float
        var halfWidth: Float, upper: Float, lower: Float
        var pupilU: Float, pupilV: Float, irisRadius: Float, pupilRadius: Float
        var top: SynthCurve { SynthCurve(c: -upper, k: upper / (halfWidth * halfWidth)) }
        var bottom: SynthCurve { SynthCurve(c: lower, k: -lower / (halfWidth * halfWidth)) }
        /// Face position of eye-local (u, v).
        func point(_ u: Float, _ v: Float) -> (Float, Float) {
            (x + cosf(angle) * u - sinf(angle) * v, y + sinf(angle) * u + cosf(angle) * v)
        }
    }

    struct Brow: Sendable {
        var x: Float, y: Float, halfLength: Float, top: SynthCurve, bottom: SynthCurve
        var centre: SynthCurve { SynthCurve(c: (top.c + bottom.c) / 2, l: (top.l + bottom.l) / 2, k: top.k) }
    }

    struct Mouth: Sendable {
        var x: Float, y: Float, halfWidth: Float, gap: Float
        var mid: SynthCurve, upperOuter: SynthCurve, upperInner: SynthCurve
        var lowerInner: SynthCurve, lowerOuter: SynthCurve
    }

    var outline: SynthShapeGeometry   // face silhouette, centred at the face origin
    var eyes: [Eye]                   // image-left, image-right
    var brows: [Brow]
    var nose: [(Float, Float)]        // the nine 300-W nose points 27…35
    var mouth: Mouth
    var ears: [(Float, Float)]
    var jaw: [(Float, Float)]         // 17 points, image-left ear → chin → image-right ear
    var yawShift: Float               // how far a point at the face surface's front moves sideways

    init(identity id: SynthIdentity, variation v: SynthVariation) {
        let sinY = sinf(v.yaw), cosY = cosf(v.yaw)
        let depthScale = id.craniumRX * 0.85
        func depth(_ x: Float, _ y: Float) -> Float {
            let a = x / id.craniumRX, b = (y - id.craniumCY) / id.craniumRY
            return depthScale * max(0.05, 1 - a * a - b * b).squareRoot()
        }
        func map(_ x: Float, _ y: Float, extra: Float = 0) -> (Float, Float) {
            (x * cosY + (depth(x, y) + extra) * sinY, y)
        }
        func foreshortening(_ x: Float, _ y: Float) -> Float {
            let a = x / id.craniumRX, b = (y - id.craniumCY) / id.craniumRY
            let root = max(0.05, 1 - a * a - b * b).squareRoot()
            let dzdx = -depthScale * (x / (id.craniumRX * id.craniumRX)) / root
            return min(1.15, max(0.35, cosY + sinY * dzdx))
        }
        yawShift = depthScale * sinY

        outline = SynthShapeGeometry(
            .ellipse(id.craniumRX, id.craniumRY, at: 0, id.craniumCY),
            union: .ellipse(id.jawRX, id.jawRY, at: 0, id.jawCY), blend: 0.25)

        // Eyes: lids close with `eyeOpen`; a smile pushes the lower lid up.
        let smileUp = max(0, v.smile)
        eyes = [-1, 1].map { (side: Float) in
            let fx = side * id.eyeSpacing / 2
            let (x, y) = map(fx, 0)
            let hw = id.eyeHalfWidth * foreshortening(fx, 0)
            let upper = id.eyeUpper * v.eyeOpen
            let lower = id.eyeLower * v.eyeOpen * (1 - 0.25 * smileUp)
            let iris = id.eyeHalfWidth * id.irisRatio
            return Eye(x: x, y: y, angle: -side * id.eyeTilt, halfWidth: hw, upper: upper, lower: lower,
                       pupilU: v.gazeX * hw * 0.28, pupilV: v.gazeY * upper * 0.25,
                       irisRadius: iris, pupilRadius: iris * id.pupilRatio)
        }

        // Brows: `inner` is +1 when the inner end is at +u (the image-left brow).
        let raise = v.browRaise * 0.06
        brows = [-1, 1].map { (side: Float) in
            let inner = -side
            let fx = side * (id.eyeSpacing / 2 + id.browShift)
            let fy = -(id.browGap + id.eyeUpper * 0.5) - raise
            let (x, y) = map(fx, fy)
            let length = id.browHalfLength * foreshortening(fx, fy)
            var slope = id.browTilt * inner * 0.5
            if v.browRaise < 0 { slope += -v.browRaise * 0.12 * inner }
            let k = id.browArch / (length * length)
            let t0 = id.browThickness, taper = 0.35 * t0 / length * inner
            return Brow(x: x, y: y, halfLength: length,
                        top: SynthCurve(c: -id.browArch - t0 / 2, l: slope - taper / 2, k: k),
                        bottom: SynthCurve(c: -id.browArch + t0 / 2, l: slope + taper / 2, k: k))
        }

        // Nose: bridge 27…30 down to the tip, then the base 31…35 from image-left to image-right.
        let tip = id.noseTip, nw = id.noseHalfWidth, nd = id.noseDepth
        let nosePoints: [(Float, Float, Float)] = [
            (0, 0.02, 0.06), (0, tip / 3, nd * 0.35), (0, tip * 2 / 3, nd * 0.7), (0, tip, nd),
            (-nw, tip + 0.04, nd * 0.25), (-nw * 0.5, tip + 0.075, nd * 0.45), (0, tip + 0.09, nd * 0.55),
            (nw * 0.5, tip + 0.075, nd * 0.45), (nw, tip + 0.04, nd * 0.25),
        ]
        nose = nosePoints.map { map($0.0, $0.1, extra: $0.2) }

        // Mouth: corners lift with a smile; the opening tapers to zero at the corners.
        let width = id.mouthHalfWidth * (1 + 0.12 * smileUp)
        let lift = v.smile * 0.07 + id.mouthCurve
        let left = map(-width, id.mouthY - lift), right = map(width, id.mouthY - lift)
        let centre = map(0, id.mouthY, extra: 0.05)
        let m = (right.0 - left.0) / 2
        let g = v.mouthOpen * 0.18
        let kMid = -lift / (m * m)
        let ul = id.upperLip, ll = id.lowerLip
        mouth = Mouth(
            x: (left.0 + right.0) / 2 * 0.7 + centre.0 * 0.3, y: id.mouthY, halfWidth: m, gap: g,
            mid: SynthCurve(c: 0, k: kMid),
            upperOuter: SynthCurve(c: -g / 2 - ul, k: kMid + (g / 2 + ul) / (m * m),
                                   amp: id.cupidBow, freq: 3 * .pi / m, phase: .pi / 2),
            upperInner: SynthCurve(c: -g / 2, k: kMid + g / (2 * m * m)),
            lowerInner: SynthCurve(c: g / 2, k: kMid - g / (2 * m * m)),
            lowerOuter: SynthCurve(c: g / 2 + ll, k: kMid - (g / 2 + ll) / (m * m)))

        ears = [-1, 1].map { (side: Float) in (side * (id.craniumRX - 0.04) * cosY, id.earY) }
        jaw = Self.jawPoints(outline: outline, slide: 0.14 * sinY)
    }

    /// 17 points along the silhouette from the image-left side (a little below the eyes) round the
    /// chin to the image-right side, equally spaced in arc length, then slid along it by `slide`
    /// (a fraction of the length, largest at the chin) to follow the yaw.
    static func jawPoints(outline: SynthShapeGeometry, slide: Float) -> [(Float, Float)] {
        let ox: Float = 0, oy: Float = 0.6
        let rays = 48
        let start = Float.pi + 0.42, end: Float = -0.42
        var polyline: [(Float, Float)] = []
        for i in 0...rays {
            let theta = start + (end - start) * Float(i) / Float(rays)
            let dx = cosf(theta), dy = sinf(theta)
            var lo: Float = 0, hi: Float = 3
            for _ in 0..<18 {
                let mid = (lo + hi) / 2
                if outline.distance(ox + dx * mid, oy + dy * mid) < 0 { lo = mid } else { hi = mid }
            }
            let t = (lo + hi) / 2
            polyline.append((ox + dx * t, oy + dy * t))
        }
        var cumulative: [Float] = [0]
        for i in 1..<polyline.count {
            let ddx = polyline[i].0 - polyline[i - 1].0, ddy = polyline[i].1 - polyline[i - 1].1
            cumulative.append(cumulative[i - 1] + (ddx * ddx + ddy * ddy).squareRoot())
        }
        let total = cumulative[cumulative.count - 1]
        return (0..<17).map { k in
            let s = Float(k) / 16
            let target = (s + slide * sinf(.pi * s)) * total
            var j = 1
            while j < cumulative.count - 1 && cumulative[j] < target { j += 1 }
            let span = max(cumulative[j] - cumulative[j - 1], 1e-6)
            let f = min(max((target - cumulative[j - 1]) / span, 0), 1)
            return (polyline[j - 1].0 + (polyline[j].0 - polyline[j - 1].0) * f,
                    polyline[j - 1].1 + (polyline[j].1 - polyline[j - 1].1) * f)
        }
    }

    /// The 68 points of the iBUG/300-W convention in face units, image-left before image-right:
    /// jaw 0–16, brows 17–26 (each outer → inner for the left brow, inner → outer for the right),
    /// nose 27–35, eyes 36–47 (36 and 45 the outer corners), mouth 48–67.
    var landmarks68: [(Float, Float)] {
        var points = jaw
        for brow in brows {
            let centre = brow.centre
            for i in 0..<5 {
                let u = brow.halfLength * (Float(i) / 2 - 1)
                points.append((brow.x + u, brow.y + centre.value(u)))
            }
        }
        points += nose
        for eye in eyes {
            let h = eye.halfWidth, third = h / 3
            let top = eye.top, bottom = eye.bottom
            let local: [(Float, Float)] = [
                (-h, 0), (-third, top.value(-third)), (third, top.value(third)),
                (h, 0), (third, bottom.value(third)), (-third, bottom.value(-third)),
            ]
            points += local.map { eye.point($0.0, $0.1) }
        }
        let m = mouth, w = m.halfWidth
        let outer: [(Float, Float)] = [
            (-w, m.mid.value(-w)),
            (-w * 2 / 3, m.upperOuter.value(-w * 2 / 3)), (-w / 3, m.upperOuter.value(-w / 3)),
            (0, m.upperOuter.value(0)),
            (w / 3, m.upperOuter.value(w / 3)), (w * 2 / 3, m.upperOuter.value(w * 2 / 3)),
            (w, m.mid.value(w)),
            (w * 2 / 3, m.lowerOuter.value(w * 2 / 3)), (w / 3, m.lowerOuter.value(w / 3)),
            (0, m.lowerOuter.value(0)),
            (-w / 3, m.lowerOuter.value(-w / 3)), (-w * 2 / 3, m.lowerOuter.value(-w * 2 / 3)),
        ]
        let ci = w * 0.88
        let inner: [(Float, Float)] = [
            (-ci, m.mid.value(-ci)),
            (-w / 3, m.upperInner.value(-w / 3)), (0, m.upperInner.value(0)), (w / 3, m.upperInner.value(w / 3)),
            (ci, m.mid.value(ci)),
            (w / 3, m.lowerInner.value(w / 3)), (0, m.lowerInner.value(0)), (-w / 3, m.lowerInner.value(-w / 3)),
        ]
        points += (outer + inner).map { (m.x + $0.0, m.y + $0.1) }
        return points
    }

    /// The MAFL/CelebA five points: image-left pupil, image-right pupil, nose tip, image-left and
    /// image-right mouth corners (CelebA's "lefteye" is the eye with the smaller x).
    func landmarks5(from points68: [(Float, Float)]) -> [(Float, Float)] {
        let pupils = eyes.map { $0.point($0.pupilU, $0.pupilV) }
        return [pupils[0], pupils[1], points68[30], points68[48], points68[54]]
    }
}
