import Tensors

/// The draws SynthFaces makes, over a `SeededGenerator`. A wrapper rather than an extension so the
/// helper names cannot collide with other extensions of `SeededGenerator` in this module.
///
/// Every identity and every image gets its own generator seeded with `SeededGenerator.derive`, so a
/// face is a function of (seed, identity, image) alone, never of how many were drawn before.
struct SynthRandom {
    var generator: SeededGenerator

    init(seed: UInt64) { generator = SeededGenerator(seed: seed) }

    /// Uniform in `lo ..< hi`.
    mutating func uniform(_ lo: Float, _ hi: Float) -> Float {
        lo + (hi - lo) * Float(generator.nextUniform())
    }

    /// N(mean, sd²) truncated to mean ± 2.5 sd, so rare draws cannot push landmarks off the frame.
    mutating func normal(_ mean: Float, _ sd: Float) -> Float {
        let z = max(-2.5, min(2.5, Float(generator.nextNormal())))
        return mean + sd * z
    }

    mutating func chance(_ p: Float) -> Bool { Float(generator.nextUniform()) < p }

    /// A uniform integer in `0 ..< n` (n ≥ 1).
    mutating func index(_ n: Int) -> Int { Int(generator.next() % UInt64(max(1, n))) }

    mutating func sign() -> Float { chance(0.5) ? 1 : -1 }

    /// A random opaque colour with each channel in `lo ..< hi`.
    mutating func color(_ lo: Float = 0, _ hi: Float = 255) -> SynthColor {
        SynthColor(uniform(lo, hi), uniform(lo, hi), uniform(lo, hi))
    }

    /// `base` with each channel jittered by up to ±`amount`.
    mutating func jitter(_ base: SynthColor, _ amount: Float) -> SynthColor {
        SynthColor(base.r + uniform(-amount, amount), base.g + uniform(-amount, amount),
                   base.b + uniform(-amount, amount))
    }

    /// A point along a palette: picks two neighbouring entries and mixes them.
    mutating func along(_ palette: [SynthColor]) -> SynthColor {
        guard palette.count > 1 else { return palette.first ?? SynthColor(128, 128, 128) }
        let t = uniform(0, Float(palette.count - 1))
        let i = min(Int(t), palette.count - 2)
        return palette[i].mix(palette[i + 1], t - Float(i))
    }
}
