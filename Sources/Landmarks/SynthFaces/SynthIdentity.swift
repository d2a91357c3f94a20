/// Everything that stays fixed across the images of one synthetic person.
///
/// Lengths are in *face units*: the mean inter-ocular distance (eye centre to eye centre) over all
/// identities is 1, the origin is the midpoint between the eye centres of the frontal face, x points
/// to the image's right and y down. Ranges are chosen so that, aligned by the eyes like CelebA, faces
/// differ visibly in every part (shape, spacing, features, colours, hair, accessories): a descriptor
/// that matches across identities must find the *parts*, not memorise one template.
struct SynthIdentity: Sendable {
    enum HairStyle: Sendable { case bald, cropped, short, medium, long }
    enum Glasses: Sendable { case none, round, rectangular }

    // Face outline: cranium ellipse smoothly unioned with a narrower jaw ellipse.
    var craniumRX: Float, craniumRY: Float, craniumCY: Float
    var jawRX: Float, jawRY: Float, jawCY: Float
    // Eyes.
    var eyeSpacing: Float, eyeHalfWidth: Float, eyeUpper: Float, eyeLower: Float, eyeTilt: Float
    var irisRatio: Float, pupilRatio: Float
    // Brows.
    var browGap: Float, browHalfLength: Float, browThickness: Float, browArch: Float, browTilt: Float
    var browShift: Float
    // Nose.
    var noseTip: Float, noseHalfWidth: Float, noseDepth: Float, noseBridge: Float
    // Mouth.
    var mouthY: Float, mouthHalfWidth: Float, upperLip: Float, lowerLip: Float, cupidBow: Float
    var mouthCurve: Float
    // Ears.
    var earY: Float, earRX: Float, earRY: Float

    // Colours and style.
    var skin: SynthColor, lips: SynthColor, iris: SynthColor, hair: SynthColor, brow: SynthColor
    var clothing: SynthColor
    var masculine: Bool
    var hairStyle: HairStyle
    var hairline: Float, hairVolume: Float, hairWidth: Float
    var fringe: Float?   // the fringe's lower edge (face units, negative = above the eyes), if any
    var fringeWave: Float, fringePhase: Float, parting: Float
    var moustache: Bool, beard: Float   // beard opacity (0 = none)
    var glasses: Glasses, glassesColor: SynthColor, lensTint: Float, frameThickness: Float
    var earring: SynthColor?
    var strandSeed: UInt64

    static let skinTones: [SynthColor] = [
        SynthColor(250, 222, 200), SynthColor(238, 196, 165), SynthColor(214, 164, 126),
        SynthColor(176, 122, 88), SynthColor(128, 82, 56), SynthColor(88, 56, 38),
    ]
    static let hairColors: [SynthColor] = [
        SynthColor(20, 16, 14), SynthColor(52, 36, 26), SynthColor(96, 64, 40), SynthColor(150, 110, 66),
        SynthColor(214, 182, 120), SynthColor(160, 70, 36), SynthColor(170, 168, 165), SynthColor(235, 232, 225),
    ]
    static let irisColors: [SynthColor] = [
        SynthColor(70, 44, 26), SynthColor(110, 74, 38), SynthColor(120, 110, 60), SynthColor(70, 110, 150),
        SynthColor(90, 130, 110), SynthColor(110, 120, 130), SynthColor(35, 25, 20),
    ]

    init(random r: inout SynthRandom) {
        craniumRX = r.uniform(0.95, 1.14)
        craniumRY = r.uniform(1.28, 1.5)
        craniumCY = r.uniform(0.05, 0.25)
        jawRX = craniumRX * r.uniform(0.55, 0.82)
        jawCY = r.uniform(0.7, 0.92)
        jawRY = r.uniform(1.48, 1.72) - jawCY

        eyeSpacing = r.uniform(0.9, 1.1)
        eyeHalfWidth = r.uniform(0.17, 0.235)
        eyeUpper = eyeHalfWidth * r.uniform(0.38, 0.52)
        eyeLower = eyeUpper * r.uniform(0.5, 0.8)
        eyeTilt = r.uniform(-0.05, 0.14)
        irisRatio = r.uniform(0.38, 0.47)
        pupilRatio = r.uniform(0.34, 0.5)

        browGap = r.uniform(0.22, 0.33)
        browHalfLength = r.uniform(0.2, 0.29)
        browThickness = r.uniform(0.035, 0.085)
        browArch = r.uniform(0.0, 0.07)
        browTilt = r.uniform(-0.12, 0.12)
        browShift = r.uniform(-0.03, 0.06)

        noseTip = r.uniform(0.54, 0.74)
        noseHalfWidth = r.uniform(0.14, 0.23)
        noseDepth = r.uniform(0.22, 0.42)
        noseBridge = r.uniform(0.03, 0.06)

        mouthY = noseTip + r.uniform(0.36, 0.5)
        mouthHalfWidth = r.uniform(0.32, 0.45)
        upperLip = r.uniform(0.04, 0.085)
        lowerLip = r.uniform(0.05, 0.11)
        cupidBow = r.uniform(0, 0.02)
        mouthCurve = r.uniform(-0.03, 0.03)

        earY = r.uniform(0.15, 0.32)
        earRX = r.uniform(0.1, 0.15)
        earRY = r.uniform(0.2, 0.28)

        skin = r.jitter(r.along(Self.skinTones), 10)
        lips = skin.mix(SynthColor(170, 60, 70), r.uniform(0.25, 0.55))
        iris = r.jitter(Self.irisColors[r.index(Self.irisColors.count)], 12)
        hair = r.chance(0.06) ? r.color(40, 230) : r.jitter(Self.hairColors[r.index(Self.hairColors.count)], 10)
        brow = hair.mix(SynthColor(30, 24, 20), r.uniform(0.2, 0.6))
        clothing = r.color(10, 240)
        masculine = r.chance(0.5)

        hairStyle = masculine
            ? [.bald, .cropped, .short, .short, .medium][r.index(5)]
            : [.cropped, .short, .medium, .long, .long][r.index(5)]
        hairline = -r.uniform(0.78, 1.05)
        hairVolume = hairStyle == .bald ? 0 : r.uniform(0.06, 0.3)
        hairWidth = r.uniform(1.02, 1.22)
        fringe = hairStyle != .bald && hairStyle != .cropped && r.chance(0.35) ? -r.uniform(0.42, 0.62) : nil
        fringeWave = r.uniform(0.01, 0.035)
        fringePhase = r.uniform(0, 6.283)
        parting = r.uniform(-0.4, 0.4)

        moustache = masculine && r.chance(0.3)
        beard = masculine && r.chance(0.3) ? r.uniform(0.25, 0.95) : 0

        let glassesDraw = r.uniform(0, 1)
        glasses = glassesDraw < 0.14 ? .round : glassesDraw < 0.28 ? .rectangular : .none
        glassesColor = r.chance(0.5) ? r.color(0, 60) : r.color(0, 255)
        lensTint = r.uniform(0, 0.3)
        frameThickness = r.uniform(0.018, 0.045)
        earring = r.chance(masculine ? 0.08 : 0.35)
            ? (r.chance(0.5) ? SynthColor(214, 178, 70) : SynthColor(200, 200, 210)) : nil
        strandSeed = r.generator.next()
    }
}
