import Foundation

/// Background clutter and the camera pass. Clutter is drawn fresh for every image (never per
/// identity), with skin-like and hair-like colours among the random ones, so a descriptor cannot
/// find a face by colour alone nor match two photos by their backgrounds.
enum SynthBackground {
    /// A gradient plus 3–10 random shapes (ellipses, boxes, bars, rings, wavy bands, stripe
    /// patches), all in pixel units.
    static func draw(into canvas: inout SynthCanvas, random r: inout SynthRandom, identity: SynthIdentity) {
        let w = Float(canvas.width), h = Float(canvas.height), size = min(w, h)
        let base = r.color(20, 235)
        var paint = SynthPaint(base, lit: false)
        paint.color2 = r.chance(0.3) ? r.jitter(base, 20) : r.color(20, 235)
        let angle = r.uniform(0, 2 * .pi), diagonal = (w * w + h * h).squareRoot()
        paint.gx = cosf(angle) / diagonal
        paint.gy = sinf(angle) / diagonal
        paint.g0 = 0.5 - (w / 2 * cosf(angle) + h / 2 * sinf(angle)) / diagonal
        canvas.fill(paint)

        let light = SynthLight()
        for _ in 0..<(3 + r.index(8)) {
            for shape in clutter(random: &r, width: w, height: h, size: size, identity: identity) {
                canvas.draw(shape, light: light)
            }
        }
    }

    /// One clutter item (a stripe patch is several shapes).
    static func clutter(random r: inout SynthRandom, width w: Float, height h: Float, size: Float,
                        identity: SynthIdentity) -> [SynthShape] {
        let x = r.uniform(-0.1, 1.1) * w, y = r.uniform(-0.1, 1.1) * h
        let frame = SynthFrame(originX: x, originY: y, angle: r.uniform(0, .pi), scale: 1)
        let palette = r.uniform(0, 1)
        let color = palette < 0.12 ? r.jitter(identity.skin, 25) : palette < 0.2 ? r.jitter(identity.hair, 25) : r.color()
        var paint = SynthPaint(color, opacity: r.uniform(0.45, 1), softness: r.chance(0.3) ? r.uniform(1, 8) : 1, lit: false)
        if r.chance(0.3) {
            paint.color2 = r.color()
            paint.gx = r.uniform(-1, 1) / size
            paint.gy = r.uniform(-1, 1) / size
            paint.g0 = 0.5 - paint.gx * x - paint.gy * y
        }
        let a = r.uniform(0.04, 0.4) * size, b = r.uniform(0.04, 0.4) * size
        switch r.index(6) {
        case 0: return [SynthShape(frame: frame, geometry: SynthShapeGeometry(.ellipse(a, b)), paint: paint)]
        case 1: return [SynthShape(frame: frame, geometry: SynthShapeGeometry(.box(a, b, radius: r.uniform(0, 0.3) * min(a, b))), paint: paint)]
        case 2:
            return [SynthShape(frame: frame, geometry: SynthShapeGeometry(.capsule(halfLength: a * 1.5, radius: r.uniform(0.01, 0.06) * size)), paint: paint)]
        case 3:
            return [SynthShape(frame: frame, geometry: SynthShapeGeometry(.ellipse(a, a * r.uniform(0.6, 1)), outline: r.uniform(0.01, 0.04) * size), paint: paint)]
        case 4:
            let thickness = r.uniform(0.02, 0.08) * size
            let wave = SynthCurve(c: -thickness, amp: r.uniform(0.02, 0.1) * size, freq: r.uniform(2, 12) / size, phase: r.uniform(0, 6))
            var bottom = wave; bottom.c = thickness
            return [SynthShape(frame: frame, geometry: SynthShapeGeometry(.band(halfWidth: a * 2, top: wave, bottom: bottom)), paint: paint)]
        default:
            let count = 3 + r.index(5), spacing = r.uniform(0.03, 0.08) * size, radius = spacing * r.uniform(0.15, 0.4)
            return (0..<count).map { i in
                let offset = (Float(i) - Float(count - 1) / 2) * spacing
                return SynthShape(frame: frame, geometry: SynthShapeGeometry(.capsule(halfLength: a, radius: radius, at: 0, offset)),
                                  paint: paint)
            }
        }
    }

    /// With probability 0.15, one occluder at the image border drawn over the person, kept clear of
    /// every landmark (its bounding circle may not reach the landmarks' box grown by `margin`).
    static func foreground(random r: inout SynthRandom, width w: Float, height h: Float,
                           landmarkBox: (minX: Float, maxX: Float, minY: Float, maxY: Float), margin: Float) -> SynthShape? {
        guard r.chance(0.15) else { return nil }
        let size = min(w, h)
        let onVertical = r.chance(0.5)
        let t = r.uniform(0, 1)
        let x = onVertical ? (r.chance(0.5) ? 0 : w) : t * w
        let y = onVertical ? t * h : (r.chance(0.5) ? 0 : h)
        let a = r.uniform(0.08, 0.22) * size, b = r.uniform(0.05, 0.15) * size
        let radius = max(a, b)
        let nearestX = min(max(x, landmarkBox.minX - margin), landmarkBox.maxX + margin)
        let nearestY = min(max(y, landmarkBox.minY - margin), landmarkBox.maxY + margin)
        let distance = ((x - nearestX) * (x - nearestX) + (y - nearestY) * (y - nearestY)).squareRoot()
        guard distance > radius + 2 else { return nil }
        let frame = SynthFrame(originX: x, originY: y, angle: r.uniform(0, .pi), scale: 1)
        return SynthShape(frame: frame, geometry: SynthShapeGeometry(.ellipse(a, b)),
                          paint: SynthPaint(r.color(), opacity: 1, softness: r.uniform(1, 3), lit: false))
    }
}

extension SynthCanvas {
    /// The camera: optional [1 2 1]/4 defocus blur, colour cast, contrast about mid-grey,
    /// brightness, additive noise (uniform, σ = `noise` levels), then clamp and round to 8 bits.
    func finish(variation v: SynthVariation, noiseSeed: UInt64) -> [UInt8] {
        var values = pixels
        if v.blurred { Self.blur(&values, width: width, height: height) }
        var noise = SynthRandom(seed: noiseSeed)
        // A·(U − ½) has σ = A/(2√3), so A = 2√3·σ. One 64-bit draw gives three 21-bit uniforms.
        let amplitude = v.noise * 3.4641016, step = amplitude * 0x1p-21
        let castR = v.cast.r * v.contrast, castG = v.cast.g * v.contrast, castB = v.cast.b * v.contrast
        let offset = 128 + v.brightness - 128 * v.contrast - amplitude / 2 + 0.5   // + 0.5: round half up
        var out = [UInt8](repeating: 0, count: values.count)
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                var i = 0
                while i + 2 < src.count {
                    let bits = noise.generator.next()
                    let n0 = Float(bits & 0x1F_FFFF) * step
                    let n1 = Float((bits >> 21) & 0x1F_FFFF) * step
                    let n2 = Float((bits >> 42) & 0x1F_FFFF) * step
                    dst[i] = Self.byte(src[i] * castR + offset + n0)
                    dst[i + 1] = Self.byte(src[i + 1] * castG + offset + n1)
                    dst[i + 2] = Self.byte(src[i + 2] * castB + offset + n2)
                    i += 3
                }
            }
        }
        return out
    }

    /// Truncates `x` (already offset by ½ for rounding) to 0…255; NaN gives 0 instead of trapping.
    @inline(__always) static func byte(_ x: Float) -> UInt8 {
        x >= 0 ? (x < 255 ? UInt8(x) : 255) : 0
    }

    /// Separable [1 2 1]/4 blur with edge replication, in place.
    static func blur(_ values: inout [Float], width: Int, height: Int) {
        var tmp = values
        values.withUnsafeMutableBufferPointer { v in
            tmp.withUnsafeMutableBufferPointer { t in
                for y in 0..<height {
                    for x in 0..<width {
                        let l = max(x - 1, 0), r = min(x + 1, width - 1)
                        for c in 0..<3 {
                            t[(y * width + x) * 3 + c] = 0.25 * v[(y * width + l) * 3 + c]
                                + 0.5 * v[(y * width + x) * 3 + c] + 0.25 * v[(y * width + r) * 3 + c]
                        }
                    }
                }
                for y in 0..<height {
                    let u = max(y - 1, 0), d = min(y + 1, height - 1)
                    for x in 0..<width {
                        for c in 0..<3 {
                            v[(y * width + x) * 3 + c] = 0.25 * t[(u * width + x) * 3 + c]
                                + 0.5 * t[(y * width + x) * 3 + c] + 0.25 * t[(d * width + x) * 3 + c]
                        }
                    }
                }
            }
        }
    }
}
