/// Turns an identity, its per-image geometry and the pose into the ordered list of shapes the
/// rasteriser paints (back to front): body and hair behind the head, the face and its shading, the
/// features (`SynthScene+Features.swift`), then hair in front and accessories.
struct SynthScene {
    let id: SynthIdentity
    let geo: SynthFaceGeometry
    let variation: SynthVariation
    let pose: SynthPose
    private(set) var shapes: [SynthShape] = []

    init(identity: SynthIdentity, geometry: SynthFaceGeometry, variation: SynthVariation, pose: SynthPose) {
        id = identity; geo = geometry; self.variation = variation; self.pose = pose
        shapes.reserveCapacity(64)
        addBodyAndBackHair()
        addFace()
        addEyes()
        addBrows()
        addNose()
        addMouth()
        addFrontHair()
        addAccessories()
    }

    /// Softness in pixels for an edge blurred over `units` face units (never below one pixel).
    func soft(_ units: Float) -> Float { max(1, units * pose.scale) }

    mutating func add(_ x: Float, _ y: Float, angle: Float = 0, _ geometry: SynthShapeGeometry,
                      _ paint: SynthPaint, clip: SynthShapeGeometry? = nil) {
        shapes.append(SynthShape(frame: pose.frame(x, y, angle: angle), geometry: geometry, paint: paint, clip: clip))
    }

    mutating func add(_ x: Float, _ y: Float, angle: Float = 0, _ primitive: SynthPrimitive,
                      _ paint: SynthPaint, clip: SynthShapeGeometry? = nil) {
        add(x, y, angle: angle, SynthShapeGeometry(primitive), paint, clip: clip)
    }

    var chinY: Float { id.jawCY + id.jawRY }

    /// The hair cap: an ellipse around the cranium, taller by the hair's volume.
    var hairCap: SynthPrimitive {
        let rx = id.craniumRX * (id.hairStyle == .cropped ? 1.03 : id.hairWidth)
        let top = id.craniumCY - id.craniumRY - id.hairVolume
        let ry = id.craniumRY * 0.9 + id.hairVolume
        return .ellipse(rx, ry, at: 0, top + ry)
    }

    private mutating func addBodyAndBackHair() {
        let skinShade = id.skin * 0.8
        // Shoulders and clothing, then long hair falling over them, then the neck.
        add(0, chinY + 1.35, .ellipse(2.3, 1.0), SynthPaint(id.clothing))
        if id.hairStyle == .long || id.hairStyle == .medium {
            let bottom: Float = id.hairStyle == .long ? chinY + 1.1 : chinY - 0.15
            let top = id.craniumCY - 0.2
            let hw = id.craniumRX * id.hairWidth * 1.02
            add(0, (top + bottom) / 2, .box(hw, (bottom - top) / 2, radius: 0.4), SynthPaint(id.hair * 0.9))
        }
        let neckHalfHeight: Float = 0.65
        let neck = SynthShapeGeometry(.box(id.jawRX * 0.7, neckHalfHeight, radius: 0.1,
                                           at: geo.yawShift * 0.3, chinY - 0.2 + neckHalfHeight))
        add(0, 0, neck, SynthPaint(skinShade))
        // The jaw's shadow on the neck (drawn before the face and clipped to the neck).
        add(0, 0, .ellipse(id.jawRX * 0.9, 0.22, at: geo.yawShift * 0.2, chinY + 0.05),
            SynthPaint(skinShade * 0.6, opacity: 0.6, softness: soft(0.12)), clip: neck)

        let earsInFront = id.hairStyle == .bald || id.hairStyle == .cropped || id.hairStyle == .short
        if !earsInFront { addEars() }
        if id.hairStyle != .bald {
            var capClip: SynthShapeGeometry? = nil
            if id.hairStyle != .long {
                let cut: Float = id.hairStyle == .medium ? id.mouthY : id.earY - 0.05
                capClip = SynthShapeGeometry(.box(3, 2, at: 0, cut - 2))
            }
            add(0, 0, SynthShapeGeometry(hairCap), SynthPaint(id.hair), clip: capClip)
        }
        if earsInFront { addEars() }
    }

    private mutating func addEars() {
        for (x, y) in geo.ears {
            add(x, y, .ellipse(id.earRX, id.earRY), SynthPaint(id.skin * 0.92))
            add(x * 1.02, y, .ellipse(id.earRX * 0.55, id.earRY * 0.6),
                SynthPaint(id.skin * 0.7, opacity: 0.5, softness: soft(0.05)))
        }
    }

    private mutating func addFace() {
        add(0, 0, geo.outline, SynthPaint(id.skin))
        // Darkening towards the silhouette (a cheap stand-in for the face's curvature).
        let inset: Float = 0.2
        let inner = SynthShapeGeometry(
            .ellipse(id.craniumRX - inset, id.craniumRY - inset, at: geo.yawShift * 0.4, id.craniumCY),
            union: .ellipse(max(0.1, id.jawRX - inset), max(0.1, id.jawRY - inset), at: geo.yawShift * 0.4, id.jawCY),
            blend: 0.25, inverted: true)
        add(0, 0, inner, SynthPaint(id.skin * 0.72, opacity: 0.45, softness: soft(0.28)), clip: geo.outline)
        // A soft highlight on the lit side of the forehead and cheek, for some relief.
        let light = lightInFace
        add(light.x * 0.35 + geo.yawShift * 0.3, -0.45 + light.y * 0.2, .ellipse(0.45, 0.3),
            SynthPaint(id.skin.mix(SynthColor(255, 250, 245), 0.5), opacity: 0.12 + 0.25 * variation.lightStrength,
                       softness: soft(0.3)), clip: geo.outline)
        // Cheeks.
        for side: Float in [-1, 1] {
            add(side * 0.55 + geo.yawShift * 0.7, 0.55, .ellipse(0.22, 0.15),
                SynthPaint(id.lips, opacity: 0.12 + 0.1 * max(0, variation.smile), softness: soft(0.14)))
        }
        // Beard or stubble: from the sideburns down the jaw and round the chin, its upper edge
        // just under the lower lip in the middle; the mouth is drawn on top of it.
        if id.beard > 0 {
            let band = SynthPrimitive.band(
                halfWidth: 1.4, top: SynthCurve(c: id.mouthY + id.lowerLip * 0.6, k: -0.75), bottom: SynthCurve(c: 3),
                at: geo.yawShift * 0.5, 0)
            add(0, 0, band,
                SynthPaint(id.hair * 0.9, opacity: id.beard, softness: soft(id.beard > 0.6 ? 0.03 : 0.1)),
                clip: geo.outline)
        }
    }

    private mutating func addFrontHair() {
        guard id.hairStyle != .bald else { return }
        let cap = SynthShapeGeometry(hairCap)
        // Everything above the hairline is hair; the temples curve down.
        let above = SynthPrimitive.band(halfWidth: 2, top: SynthCurve(c: -4),
                                        bottom: SynthCurve(c: id.hairline, l: id.parting * 0.05, k: 0.3))
        add(0, 0, above, SynthPaint(id.hair, opacity: id.hairStyle == .cropped ? 0.85 : 1), clip: cap)
        if let fringe = id.fringe {
            let edge = SynthCurve(c: fringe, l: id.parting * 0.12, k: 0.22,
                                  amp: id.fringeWave, freq: 26, phase: id.fringePhase)
            let band = SynthPrimitive.band(halfWidth: id.craniumRX * 1.1, top: SynthCurve(c: id.hairline - 0.2),
                                           bottom: edge, at: geo.yawShift * 0.3, 0)
            add(0, 0, band, SynthPaint(id.hair), clip: cap)
        }
        // A few strands, lighter and darker, so hair has texture that differs between people. They are
        // placed by offset in the face frame (not by their own frame) so the cap can clip them.
        var r = SynthRandom(seed: id.strandSeed)
        for _ in 0..<(3 + r.index(5)) {
            let x = r.uniform(-0.8, 0.8) * id.craniumRX
            let y = id.hairline - r.uniform(0.12, 0.45)
            let length = r.uniform(0.15, 0.4)
            let tilt = r.uniform(-0.4, 0.4), bend = r.uniform(-0.6, 0.6)
            let shade: Float = r.chance(0.5) ? r.uniform(0.6, 0.85) : r.uniform(1.15, 1.4)
            let strand = SynthPrimitive.band(halfWidth: length, top: SynthCurve(c: -0.012, l: tilt, k: bend),
                                             bottom: SynthCurve(c: 0.012, l: tilt, k: bend), at: x, y)
            add(0, 0, strand, SynthPaint(id.hair * shade, opacity: r.uniform(0.3, 0.7)), clip: cap)
        }
    }

    private mutating func addAccessories() {
        if id.glasses != .none {
            let t = id.frameThickness
            var outer: [(Float, Float)] = []
            for eye in geo.eyes {
                let w = eye.halfWidth * 1.55, h = id.eyeHalfWidth * 1.05
                let lens: SynthPrimitive = id.glasses == .round ? .ellipse(w, h) : .box(w, h * 0.9, radius: 0.08)
                let cy = eye.y + 0.03
                add(eye.x, cy, lens, SynthPaint(SynthColor(120, 130, 140), opacity: id.lensTint))
                add(eye.x, cy, SynthShapeGeometry(lens, outline: t), SynthPaint(id.glassesColor))
                outer.append((eye.x, cy))
            }
            let left = geo.eyes[0], right = geo.eyes[1]
            let innerL = left.x + left.halfWidth * 1.55, innerR = right.x - right.halfWidth * 1.55
            add((innerL + innerR) / 2, outer[0].1 - 0.04, .capsule(halfLength: max(0.01, (innerR - innerL) / 2), radius: t),
                SynthPaint(id.glassesColor))
            for (i, ear) in geo.ears.enumerated() {
                let side: Float = i == 0 ? -1 : 1
                let start = outer[i].0 + side * geo.eyes[i].halfWidth * 1.55
                let halfLength = abs(ear.0 - start) / 2
                if halfLength > 0.02 {
                    add((start + ear.0) / 2, outer[i].1 - 0.05, .capsule(halfLength: halfLength, radius: t * 0.8),
                        SynthPaint(id.glassesColor))
                }
            }
        }
        if let metal = id.earring {
            for (x, y) in geo.ears {
                let drop = y + id.earRY * 0.95
                add(x, drop, SynthShapeGeometry(.circle(0.045), outline: 0.012), SynthPaint(metal))
                add(x, drop + 0.07, .circle(0.03), SynthPaint(metal * 1.1))
            }
        }
    }
}
