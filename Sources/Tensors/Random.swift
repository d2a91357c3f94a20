import Foundation

/// A seeded generator (xoshiro256**, seeded through SplitMix64). Every random draw in DVEBench takes
/// one of these explicitly, so a seed reproduces a run.
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var s: (UInt64, UInt64, UInt64, UInt64)

    public init(seed: UInt64) {
        var z = seed
        func splitMix() -> UInt64 {
            z &+= 0x9E37_79B9_7F4A_7C15
            var x = z
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        s = (splitMix(), splitMix(), splitMix(), splitMix())
    }

    public mutating func next() -> UInt64 {
        let result = ((s.1 &* 5) << 7 | (s.1 &* 5) >> 57) &* 9
        let t = s.1 << 17
        s.2 ^= s.0
        s.3 ^= s.1
        s.1 ^= s.2
        s.0 ^= s.3
        s.2 ^= t
        s.3 = (s.3 << 45) | (s.3 >> 19)
        return result
    }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func nextUniform() -> Double {
        Double(next() >> 11) * 0x1.0p-53
    }

    /// A standard normal draw (Box–Muller; one value per call, the pair's partner is dropped to keep
    /// the stream position independent of call history).
    public mutating func nextNormal() -> Double {
        let u1 = max(nextUniform(), Double.leastNonzeroMagnitude)
        let u2 = nextUniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2)
    }
}

extension Tensor {
    /// Elements drawn independently from N(mean, std²).
    public static func normal(shape: [Int], mean: Float = 0, std: Float = 1,
                              using generator: inout SeededGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = mean + std * Float(generator.nextNormal()) }
        return Tensor(shape: shape, storage: values)
    }

    /// Elements drawn independently from U(low, high).
    public static func uniform(shape: [Int], low: Float, high: Float,
                               using generator: inout SeededGenerator) -> Tensor {
        let n = shape.reduce(1, *)
        var values = [Float](repeating: 0, count: n)
        for i in 0..<n { values[i] = low + (high - low) * Float(generator.nextUniform()) }
        return Tensor(shape: shape, storage: values)
    }
}

extension SeededGenerator {
    /// A seed for one purpose derived from a run seed and coordinates (epoch, item, …): SplitMix64
    /// finalisation folded over the parts. Deriving per-item generators this way makes every draw a
    /// function of where it happens, not of how many draws came before, so a resumed or re-threaded
    /// run draws the same numbers.
    public static func derive(_ seed: UInt64, _ parts: UInt64...) -> UInt64 {
        var x = seed
        for part in parts {
            x = (x ^ part) &+ 0x9E37_79B9_7F4A_7C15
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            x ^= x >> 31
        }
        return x
    }

    /// A uniformly random permutation of `0..<count` (Fisher–Yates).
    public mutating func permutation(_ count: Int) -> [Int] {
        var values = Array(0..<count)
        if count < 2 { return values }
        for i in stride(from: count - 1, to: 0, by: -1) {
            let j = Int(next() % UInt64(i + 1))
            values.swapAt(i, j)
        }
        return values
    }
}
