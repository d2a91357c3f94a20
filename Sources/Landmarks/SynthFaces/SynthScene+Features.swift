import Foundation

/// Eyes, brows, nose and mouth. Every shape here is built from the same `SynthFaceGeometry`
/// parameters the landmarks are read from: the eye opening is the band whose corners are points
/// 36/39 and 42/45, the pupil sits at the 5-point eye centre, the lip bands meet at 48 and 54.
extension SynthScene {
    /// The light's bright-side direction in face coordinates (the image direction unrotated by roll).
    var lightInFace: (x: Float, y: Float) {
        let angle = variation.lightAngle - pose.roll
        return (cosf(angle), sinf(angle))
    }

    mutating func addEyes() {
        let light = lightInFace
        let lashColor = id.brow.mix(SynthColor(15, 12, 12), 0.6)
        for eye in geo.eyes {
            let hw = eye.halfWidth, a = eye.angle
            add(eye.x, eye.y - 0.03, angle: a, .ellipse(hw * 1.45, hw * 0.85),
                SynthPaint(id.skin * 0.68, opacity: 0.3, softness: soft(0.12)))
            let opening = SynthShapeGeometry(.band(halfWidth: hw, top: eye.top, bottom: eye.bottom))
            add(eye.x, eye.y, angle: a, opening, SynthPaint(SynthColor(238, 232, 226)))
            let pu = eye.pupilU, pv = eye.pupilV, iris = eye.irisRadius
            add(eye.x, eye.y, angle: a, .circle(iris, at: pu, pv), SynthPaint(id.iris), clip: opening)
            add(eye.x, eye.y, angle: a, SynthShapeGeometry(.circle(iris * 0.95, at: pu, pv), outline: iris * 0.07),
                SynthPaint(id.iris * 0.45, opacity: 0.8), clip: opening)
            add(eye.x, eye.y, angle: a, .circle(eye.pupilRadius, at: pu, pv), SynthPaint(SynthColor(14, 10, 10)),
                clip: opening)
            add(eye.x, eye.y, angle: a, .circle(iris * 0.22, at: pu + light.x * iris * 0.45, pv + light.y * iris * 0.45),
                SynthPaint(SynthColor(252, 252, 250), opacity: 0.85, lit: false), clip: opening)
            // The upper lid's shadow on the eyeball, the lash line, the crease and the lower lid.
            add(eye.x, eye.y, angle: a, .band(halfWidth: hw, top: eye.top, bottom: eye.top.shifted(eye.upper * 0.45)),
                SynthPaint(id.skin * 0.5, opacity: 0.35, softness: soft(0.02)), clip: opening)
            let lash = max(0.014, eye.upper * 0.22)
            add(eye.x, eye.y, angle: a,
                .band(halfWidth: hw * 1.05, top: eye.top.shifted(-lash), bottom: eye.top.shifted(lash * 0.35)),
                SynthPaint(lashColor, opacity: 0.92))
            add(eye.x, eye.y, angle: a,
                .band(halfWidth: hw * 0.85, top: eye.top.shifted(-0.085), bottom: eye.top.shifted(-0.065)),
                SynthPaint(id.skin * 0.6, opacity: 0.4, softness: soft(0.015)))
            add(eye.x, eye.y, angle: a,
                .band(halfWidth: hw * 0.95, top: eye.bottom.shifted(-0.004), bottom: eye.bottom.shifted(0.012)),
                SynthPaint(id.skin * 0.62, opacity: 0.45))
        }
    }

    mutating func addBrows() {
        for brow in geo.brows {
            add(brow.x, brow.y, .band(halfWidth: brow.halfLength, top: brow.top, bottom: brow.bottom),
                SynthPaint(id.brow, opacity: 0.93, softness: soft(0.012)))
        }
    }

    mutating func addNose() {
        let n = geo.nose, light = lightInFace
        let skin = id.skin
        // The bridge: a soft shadow line on the side away from the light, from the root to the tip.
        let (ax, ay) = n[0], (bx, by) = n[3]
        let length = ((bx - ax) * (bx - ax) + (by - ay) * (by - ay)).squareRoot()
        let away: Float = light.x > 0 ? -1 : 1
        add((ax + bx) / 2 + away * id.noseBridge, (ay + by) / 2 + 0.03, angle: atan2f(by - ay, bx - ax),
            .capsule(halfLength: length * 0.42, radius: 0.022),
            SynthPaint(skin * 0.55, opacity: 0.22 + 0.4 * variation.lightStrength, softness: soft(0.05)))
        add(bx + light.x * 0.03, by - 0.02, .ellipse(0.085, 0.07),
            SynthPaint(skin * 1.15, opacity: 0.35, softness: soft(0.05)))
        for p in [n[4], n[8]] {
            add(p.0, p.1 - 0.01, .ellipse(0.075, 0.06), SynthPaint(skin * 0.72, opacity: 0.45, softness: soft(0.03)))
        }
        add(n[6].0, n[6].1 + 0.03, .ellipse(id.noseHalfWidth * 0.9, 0.035),
            SynthPaint(skin * 0.55, opacity: 0.35, softness: soft(0.03)))
        for p in [n[5], n[7]] {
            add(p.0, p.1 - 0.012, .ellipse(0.045, 0.022), SynthPaint(SynthColor(62, 36, 30), opacity: 0.8))
        }
    }

    mutating func addMouth() {
        let m = geo.mouth, w = m.halfWidth
        if m.gap > 0.004 {
            let opening = SynthShapeGeometry(.band(halfWidth: w, top: m.upperInner, bottom: m.lowerInner))
            add(m.x, m.y, opening, SynthPaint(SynthColor(72, 26, 30)))
            if variation.mouthOpen > 0.2 {
                add(m.x, m.y, .band(halfWidth: w * 0.8, top: m.upperInner, bottom: m.upperInner.shifted(m.gap * 0.45)),
                    SynthPaint(SynthColor(236, 230, 218)), clip: opening)
            }
        }
        if id.moustache {
            var top = m.upperOuter.shifted(-0.1)
            top.amp = 0
            add(m.x, m.y, .band(halfWidth: w * 1.08, top: top, bottom: m.upperOuter.shifted(0.006)),
                SynthPaint(id.hair * 0.9, opacity: 0.9, softness: soft(0.01)))
        }
        add(m.x, m.y, .band(halfWidth: w, top: m.upperOuter, bottom: m.upperInner), SynthPaint(id.lips * 0.9))
        add(m.x, m.y, .band(halfWidth: w, top: m.lowerInner, bottom: m.lowerOuter), SynthPaint(id.lips))
        if m.gap <= 0.004 {
            add(m.x, m.y, .band(halfWidth: w * 1.02, top: m.mid.shifted(-0.009), bottom: m.mid.shifted(0.009)),
                SynthPaint(id.lips * 0.42, opacity: 0.85))
        }
        add(m.x, m.y + m.gap / 2 + id.lowerLip * 0.45, .ellipse(w * 0.35, id.lowerLip * 0.22),
            SynthPaint(SynthColor(255, 250, 245), opacity: 0.18, softness: soft(0.03)))
        add(m.x, m.y + m.gap / 2 + id.lowerLip + 0.06, .ellipse(0.2, 0.04),
            SynthPaint(id.skin * 0.65, opacity: 0.3, softness: soft(0.04)))
    }
}
