// The per-pixel loops of `SynthCanvas.draw`, specialised per primitive kind and clip so the
// innermost loop has no switch, no optional unwrapping and no call (generic specialisation does
// the work; see `SynthScan.run`).

/// A signed distance in local units, evaluated per pixel.
protocol SynthField {
    func distance(_ u: Float, _ v: Float) -> Float
}

extension SynthShapeGeometry: SynthField {}

struct SynthEllipseField: SynthField {
    let p: SynthPrimitive
    @inline(__always) func distance(_ u: Float, _ v: Float) -> Float { p.ellipseDistance(u - p.du, v - p.dv) }
}

struct SynthCapsuleField: SynthField {
    let p: SynthPrimitive
    @inline(__always) func distance(_ u: Float, _ v: Float) -> Float { p.capsuleDistance(u - p.du, v - p.dv) }
}

struct SynthBoxField: SynthField {
    let p: SynthPrimitive
    @inline(__always) func distance(_ u: Float, _ v: Float) -> Float { p.boxDistance(u - p.du, v - p.dv) }
}

struct SynthBandField: SynthField {
    let p: SynthPrimitive
    @inline(__always) func distance(_ u: Float, _ v: Float) -> Float { p.bandDistance(u - p.du, v - p.dv) }
}

/// The per-shape constants of one `draw`: rows, the pixel → local map (u = ux·dx + uy·dy,
/// v = vx·dx + vy·dy with (dx, dy) = pixel − origin), the padded local box, and the paint.
struct SynthScan {
    let y0: Int, y1: Int, originX: Float, originY: Float
    let ux: Float, uy: Float, vx: Float, vy: Float
    let minU: Float, maxU: Float, minV: Float, maxV: Float
    let pixelsPerUnit: Float, invSoft: Float
    let paint: SynthPaint, light: SynthLight

    @inline(__always)
    func run<F: SynthField, C: SynthField>(_ field: F, clip: C, hasClip: Bool, into pixels: inout [Float], width: Int) {
        let maxX = Float(width - 1), opacity = paint.opacity, lit = paint.lit
        pixels.withUnsafeMutableBufferPointer { buf in
            for y in y0...y1 {
                let dy = Float(y) - originY
                // The x-interval (in dx) where minU ≤ u ≤ maxU and minV ≤ v ≤ maxV on this row.
                var lo = -Float.infinity, hi = Float.infinity
                SynthCanvas.narrow(&lo, &hi, slope: ux, offset: uy * dy, minU, maxU)
                SynthCanvas.narrow(&lo, &hi, slope: vx, offset: vy * dy, minV, maxV)
                let xStart = max(0, (lo + originX).rounded(.down)), xEnd = min(maxX, (hi + originX).rounded(.up))
                guard xStart <= xEnd else { continue }
                let x0 = Int(xStart), x1 = Int(xEnd)
                let dx0 = Float(x0) - originX
                var u = ux * dx0 + uy * dy, v = vx * dx0 + vy * dy
                for x in x0...x1 {
                    defer { u += ux; v += vx }
                    var coverage = min(max(0.5 - field.distance(u, v) * pixelsPerUnit * invSoft, 0), 1)
                    if coverage <= 0 { continue }
                    if hasClip {
                        coverage *= min(max(0.5 - clip.distance(u, v) * pixelsPerUnit, 0), 1)
                        if coverage <= 0 { continue }
                    }
                    var c = paint.colorAt(Float(x), Float(y))
                    if lit { c = c * max(0.2, light.l0 + light.lx * Float(x) + light.ly * Float(y)) }
                    let alpha = coverage * opacity
                    let i = (y * width + x) * 3
                    buf[i] += (c.r - buf[i]) * alpha
                    buf[i + 1] += (c.g - buf[i + 1]) * alpha
                    buf[i + 2] += (c.b - buf[i + 2]) * alpha
                }
            }
        }
    }
}

extension SynthCanvas {
    /// Intersects [lo, hi] with the set of dx where `low ≤ slope·dx + offset ≤ high`.
    @inline(__always)
    static func narrow(_ lo: inout Float, _ hi: inout Float, slope: Float, offset: Float, _ low: Float, _ high: Float) {
        if abs(slope) < 1e-9 {
            if offset < low || offset > high { lo = 1; hi = 0 }
        } else {
            let e0 = (low - offset) / slope, e1 = (high - offset) / slope
            lo = max(lo, min(e0, e1)); hi = min(hi, max(e0, e1))
        }
    }
}
