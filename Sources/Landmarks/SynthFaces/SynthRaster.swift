import Foundation

// The SynthFaces rasteriser: shapes are signed-distance primitives composited front to back in
// painter's order onto a Float RGB canvas, with analytic one-pixel anti-aliasing (coverage =
// clamp(0.5 − d, 0, 1), d the signed distance in pixels). One sample per pixel and a bounding box
// per shape keep a 100×100 face well under a millisecond, which supersampling would not.
//
// All types here are value types with no references, so the hot loops do no ARC traffic.

/// A linear RGB colour, 0…255 per channel (values outside are clamped at the end).
struct SynthColor: Sendable, Equatable {
    var r: Float, g: Float, b: Float
    init(_ r: Float, _ g: Float, _ b: Float) { self.r = r; self.g = g; self.b = b }
    static func * (c: SynthColor, f: Float) -> SynthColor { SynthColor(c.r * f, c.g * f, c.b * f) }
    /// `self` moved towards `other` by `t` (0 = self, 1 = other).
    func mix(_ other: SynthColor, _ t: Float) -> SynthColor {
        SynthColor(r + (other.r - r) * t, g + (other.g - g) * t, b + (other.b - b) * t)
    }
}

/// `c + l·u + k·u² + amp·sin(freq·u + phase)`: the edges of bands (lids, lips, brows, hairlines).
/// Quadratics give almond eyes and curved lips; the sine gives cupid's bows and wavy fringes.
struct SynthCurve: Sendable {
    var c: Float, l: Float = 0, k: Float = 0, amp: Float = 0, freq: Float = 0, phase: Float = 0

    @inline(__always) func value(_ u: Float) -> Float {
        var v = c + u * (l + k * u)
        if amp != 0 { v += amp * sinf(freq * u + phase) }
        return v
    }

    @inline(__always) func slope(_ u: Float) -> Float {
        var s = l + 2 * k * u
        if amp != 0 { s += amp * freq * cosf(freq * u + phase) }
        return s
    }

    /// The same curve shifted by `dv`.
    func shifted(_ dv: Float) -> SynthCurve { var copy = self; copy.c += dv; return copy }
}

/// One signed-distance primitive in local units, centred at (`du`, `dv`) of its shape's frame.
struct SynthPrimitive: Sendable {
    enum Kind: Sendable { case ellipse, capsule, box, band }
    var kind: Kind
    var du: Float = 0, dv: Float = 0
    /// ellipse: radii (a, b); capsule: half-length a (along u), radius b; box: half-sizes (a, b),
    /// corner radius c; band: half-width a.
    var a: Float = 0, b: Float = 0, c: Float = 0
    /// band only: the region `top(u) ≤ v ≤ bottom(u)`, `|u| ≤ a`.
    var top = SynthCurve(c: 0), bottom = SynthCurve(c: 0)

    static func ellipse(_ rx: Float, _ ry: Float, at du: Float = 0, _ dv: Float = 0) -> SynthPrimitive {
        SynthPrimitive(kind: .ellipse, du: du, dv: dv, a: rx, b: ry)
    }
    static func circle(_ r: Float, at du: Float = 0, _ dv: Float = 0) -> SynthPrimitive {
        .ellipse(r, r, at: du, dv)
    }
    static func capsule(halfLength: Float, radius: Float, at du: Float = 0, _ dv: Float = 0) -> SynthPrimitive {
        SynthPrimitive(kind: .capsule, du: du, dv: dv, a: halfLength, b: radius)
    }
    static func box(_ hw: Float, _ hh: Float, radius: Float = 0, at du: Float = 0, _ dv: Float = 0) -> SynthPrimitive {
        SynthPrimitive(kind: .box, du: du, dv: dv, a: hw, b: hh, c: min(radius, min(hw, hh)))
    }
    static func band(halfWidth: Float, top: SynthCurve, bottom: SynthCurve, at du: Float = 0, _ dv: Float = 0) -> SynthPrimitive {
        SynthPrimitive(kind: .band, du: du, dv: dv, a: halfWidth, top: top, bottom: bottom)
    }

    /// Signed distance in local units (negative inside). Exact for capsules and boxes; the ellipse
    /// uses the first-order estimate `k0(k0 − 1)/k1` and the band the slope-normalised vertical
    /// distance, both exact on the boundary, which is all anti-aliasing needs.
    @inline(__always) func distance(_ u0: Float, _ v0: Float) -> Float {
        let u = u0 - du, v = v0 - dv
        switch kind {
        case .ellipse: return ellipseDistance(u, v)
        case .capsule: return capsuleDistance(u, v)
        case .box: return boxDistance(u, v)
        case .band: return bandDistance(u, v)
        }
    }

    // The per-kind distances take coordinates relative to the primitive's centre.

    @inline(__always) func ellipseDistance(_ u: Float, _ v: Float) -> Float {
        let ua = u / a, vb = v / b
        let k0 = (ua * ua + vb * vb).squareRoot()
        let k1 = ((ua / a) * (ua / a) + (vb / b) * (vb / b)).squareRoot()
        return k1 > 1e-12 ? k0 * (k0 - 1) / k1 : -min(a, b)
    }

    @inline(__always) func capsuleDistance(_ u: Float, _ v: Float) -> Float {
        let x = max(abs(u) - a, 0)
        return (x * x + v * v).squareRoot() - b
    }

    @inline(__always) func boxDistance(_ u: Float, _ v: Float) -> Float {
        let qx = abs(u) - a + c, qy = abs(v) - b + c
        let ox = max(qx, 0), oy = max(qy, 0)
        return (ox * ox + oy * oy).squareRoot() + min(max(qx, qy), 0) - c
    }

    @inline(__always) func bandDistance(_ u: Float, _ v: Float) -> Float {
        let st = top.slope(u), sb = bottom.slope(u)
        let dt = (top.value(u) - v) / (1 + st * st).squareRoot()
        let db = (v - bottom.value(u)) / (1 + sb * sb).squareRoot()
        return max(max(dt, db), abs(u) - a)
    }

    /// A local-unit box containing the primitive (for bands, sampled so waves are included).
    var bounds: (minU: Float, maxU: Float, minV: Float, maxV: Float) {
        switch kind {
        case .ellipse: return (du - a, du + a, dv - b, dv + b)
        case .capsule: return (du - a - b, du + a + b, dv - b, dv + b)
        case .box: return (du - a, du + a, dv - b, dv + b)
        case .band:
            var lo = Float.infinity, hi = -Float.infinity
            for i in 0...16 {
                let u = -a + 2 * a * Float(i) / 16
                lo = min(lo, top.value(u) - abs(top.amp))
                hi = max(hi, bottom.value(u) + abs(bottom.amp))
            }
            return (du - a, du + a, dv + lo, dv + hi)
        }
    }
}

/// How a shape's primitives combine into one distance.
///
/// The optional parts are stored as plain values plus flags: binding an optional struct inside
/// the per-pixel loop made Swift copy it for every pixel.
struct SynthShapeGeometry: Sendable {
    var base: SynthPrimitive
    /// Smoothly unioned with `base` (polynomial smooth-min of width `blend`), e.g. cranium + jaw.
    private(set) var other: SynthPrimitive
    private(set) var hasUnion: Bool
    var blend: Float = 0
    /// When `outline > 0`, the shape is the outline `|d| − outline` (glasses frames, rings).
    private(set) var outline: Float
    /// When true the shape is the outside (`−d`), e.g. edge shading clipped to the face.
    private(set) var inverted: Bool

    init(_ base: SynthPrimitive, union: SynthPrimitive? = nil, blend: Float = 0,
         outline: Float? = nil, inverted: Bool = false) {
        self.base = base
        other = union ?? base
        hasUnion = union != nil
        self.blend = blend
        self.outline = max(0, outline ?? 0)
        self.inverted = inverted
    }

    @inline(__always) func distance(_ u: Float, _ v: Float) -> Float {
        var d = base.distance(u, v)
        if hasUnion {
            let e = other.distance(u, v)
            if blend > 0 {
                let h = max(blend - abs(d - e), 0) / blend
                d = min(d, e) - h * h * blend * 0.25
            } else {
                d = min(d, e)
            }
        }
        if outline > 0 { d = abs(d) - outline }
        return inverted ? -d : d
    }

    /// A bare primitive: no union, outline or inversion.
    var isPlain: Bool { !hasUnion && outline == 0 && !inverted }

    var bounds: (minU: Float, maxU: Float, minV: Float, maxV: Float) {
        var b = base.bounds
        if hasUnion {
            let o = other.bounds
            b = (min(b.minU, o.minU), max(b.maxU, o.maxU), min(b.minV, o.minV), max(b.maxV, o.maxV))
        }
        return (b.minU - outline, b.maxU + outline, b.minV - outline, b.maxV + outline)
    }
}

/// A similarity frame: local `(u, v)` = R(−angle)·(pixel − origin) / scale. Distances in local units
/// times `scale` are pixels.
struct SynthFrame: Sendable {
    var originX: Float, originY: Float, cosA: Float, sinA: Float, scale: Float

    init(originX: Float, originY: Float, angle: Float, scale: Float) {
        self.originX = originX; self.originY = originY
        cosA = cosf(angle); sinA = sinf(angle); self.scale = scale
    }

    /// Pixel position of local `(u, v)`.
    @inline(__always) func pixel(_ u: Float, _ v: Float) -> (x: Float, y: Float) {
        (originX + scale * (cosA * u - sinA * v), originY + scale * (sinA * u + cosA * v))
    }
}

/// What a shape paints: a colour (or a two-colour linear gradient `t = gx·x + gy·y + g0`, clamped
/// to 0…1), an opacity, an edge softness in pixels (1 = crisp anti-aliasing, more = blurred edge for
/// shading blobs) and whether the scene's directional light modulates it.
struct SynthPaint: Sendable {
    var color: SynthColor
    var color2: SynthColor? = nil
    var gx: Float = 0, gy: Float = 0, g0: Float = 0
    var opacity: Float = 1
    var softness: Float = 1
    var lit = true

    init(_ color: SynthColor, opacity: Float = 1, softness: Float = 1, lit: Bool = true) {
        self.color = color; self.opacity = opacity; self.softness = max(1, softness); self.lit = lit
    }
}

/// A directional light as a linear brightness field over the image: `f = l0 + lx·x + ly·y`.
struct SynthLight: Sendable {
    var l0: Float = 1, lx: Float = 0, ly: Float = 0
}

struct SynthShape: Sendable {
    var frame: SynthFrame
    var geometry: SynthShapeGeometry
    var paint: SynthPaint
    /// A hard-edged clip in the same frame: coverage is multiplied by the clip's coverage (iris by
    /// the eye opening, hair by the hair cap, edge shading by the face).
    var clip: SynthShapeGeometry? = nil
}

/// The float canvas: interleaved RGB, `width·height·3` values in 0…255.
struct SynthCanvas {
    let width: Int, height: Int
    var pixels: [Float]

    init(width: Int, height: Int) {
        self.width = width; self.height = height
        pixels = [Float](repeating: 0, count: width * height * 3)
    }

    /// Fills every pixel with a two-colour linear gradient (the background; cheaper than a shape).
    mutating func fill(_ paint: SynthPaint) {
        let w = width, h = height
        pixels.withUnsafeMutableBufferPointer { buf in
            for y in 0..<h {
                for x in 0..<w {
                    let c = paint.colorAt(Float(x), Float(y))
                    let i = (y * w + x) * 3
                    buf[i] = c.r; buf[i + 1] = c.g; buf[i + 2] = c.b
                }
            }
        }
    }

    /// Composites `shape` over the canvas ("over" operator). Each row visits only the x-interval
    /// where the row crosses the shape's local bounding box (exact for rotated boxes), so thin
    /// diagonal shapes cost their area, not their bounding rectangle's.
    mutating func draw(_ shape: SynthShape, light: SynthLight) {
        let f = shape.frame, g = shape.geometry, p = shape.paint
        guard p.opacity > 0 else { return }
        // The shape's box, cut down to the clip's box. An inverted shape is unbounded, so it is
        // drawn only where its clip is (without a clip it is not drawn at all).
        var b = g.bounds
        let hasClip = shape.clip != nil
        let clip = shape.clip ?? g
        if hasClip {
            let c = clip.bounds
            b = g.inverted ? c : (max(b.minU, c.minU), min(b.maxU, c.maxU), max(b.minV, c.minV), min(b.maxV, c.maxV))
        } else if g.inverted {
            return
        }
        let pad = (p.softness + 1) / f.scale
        let minU = b.minU - pad, maxU = b.maxU + pad, minV = b.minV - pad, maxV = b.maxV + pad
        guard minU <= maxU, minV <= maxV, f.scale > 0 else { return }
        var minY = Float.infinity, maxY = -Float.infinity
        for (u, v) in [(minU, minV), (maxU, minV), (minU, maxV), (maxU, maxV)] {
            let q = f.pixel(u, v)
            minY = min(minY, q.y); maxY = max(maxY, q.y)
        }
        guard minY.isFinite, maxY.isFinite else { return }
        let y0 = max(0, Int(minY.rounded(.down))), y1 = min(height - 1, Int(maxY.rounded(.up)))
        guard y0 <= y1 else { return }

        let invScale = 1 / f.scale
        let scan = SynthScan(
            y0: y0, y1: y1, originX: f.originX, originY: f.originY,
            ux: f.cosA * invScale, uy: f.sinA * invScale, vx: -f.sinA * invScale, vy: f.cosA * invScale,
            minU: minU, maxU: maxU, minV: minV, maxV: maxV, pixelsPerUnit: f.scale, invSoft: 1 / p.softness,
            paint: p, light: light)
        // Dispatch once per shape to a loop specialised for the primitive and the clip, so the
        // per-pixel work has no switch and no call.
        if g.isPlain {
            switch g.base.kind {
            case .ellipse: scan.run(SynthEllipseField(p: g.base), clip: clip, hasClip: hasClip, into: &pixels, width: width)
            case .capsule: scan.run(SynthCapsuleField(p: g.base), clip: clip, hasClip: hasClip, into: &pixels, width: width)
            case .box: scan.run(SynthBoxField(p: g.base), clip: clip, hasClip: hasClip, into: &pixels, width: width)
            case .band: scan.run(SynthBandField(p: g.base), clip: clip, hasClip: hasClip, into: &pixels, width: width)
            }
        } else {
            scan.run(g, clip: clip, hasClip: hasClip, into: &pixels, width: width)
        }
    }
}

extension SynthPaint {
    @inline(__always) func colorAt(_ x: Float, _ y: Float) -> SynthColor {
        guard let c2 = color2 else { return color }
        let t = min(max(gx * x + gy * y + g0, 0), 1)
        return color.mix(c2, t)
    }
}
