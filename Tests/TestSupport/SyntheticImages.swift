import Foundation
import Tensors

/// Small textured test images, (3, size, size) in [0, 255]: a colour gradient plus a few coloured
/// Gaussian blobs, so that warped pairs have distinct, matchable structure.
public enum SyntheticImages {
    public static func blobs(count: Int, size: Int, seed: UInt64) -> [Tensor] {
        var rng = SeededGenerator(seed: seed)
        return (0..<count).map { _ in
            var pixels = [Float](repeating: 0, count: 3 * size * size)
            let base = (0..<3).map { _ in 60 + 80 * rng.nextUniform() }
            let slope = (0..<3).map { _ in 60 * (rng.nextUniform() - 0.5) }
            let blobs = (0..<5).map { _ in
                (x: rng.nextUniform() * Double(size), y: rng.nextUniform() * Double(size),
                 r: (0.06 + 0.1 * rng.nextUniform()) * Double(size),
                 colour: (0..<3).map { _ in 200 * rng.nextUniform() - 100 })
            }
            for y in 0..<size {
                for x in 0..<size {
                    for c in 0..<3 {
                        var v = base[c] + slope[c] * Double(x + y) / Double(size)
                        for b in blobs {
                            let d2 = (Double(x) - b.x) * (Double(x) - b.x) + (Double(y) - b.y) * (Double(y) - b.y)
                            v += b.colour[c] * exp(-d2 / (2 * b.r * b.r))
                        }
                        pixels[(c * size + y) * size + x] = Float(min(255, max(0, v)))
                    }
                }
            }
            return Tensor(shape: [3, size, size], storage: pixels)
        }
    }
}
