import ImageIO
import Tensors

/// torchvision 0.3 `ColorJitter(brightness, contrast, saturation)` (hue 0) with Pillow 6.1's
/// `ImageEnhance` arithmetic, on 8-bit RGB.
///
/// Draws: one factor `U[max(0, 1 − v), 1 + v]` per enabled adjustment, in the order brightness,
/// contrast, saturation (Python `random.uniform` = `lo + (hi − lo)·u`), then a Fisher–Yates shuffle of
/// the enabled adjustments (Python `random.shuffle`: for i = n−1 … 1, swap i with a uniform j ≤ i).
/// The draws come from our generator, not Python's Mersenne Twister.
///
/// Each adjustment is `Image.blend(degenerate, image, factor)` on the *current* image:
/// * brightness: degenerate = black;
/// * contrast: degenerate = uniform grey `int(mean(L) + 0.5)`, the mean over the whole image;
/// * saturation: degenerate = `image.convert("L")` replicated to RGB;
///
/// with `L = (19595·R + 38470·G + 7471·B) >> 16` — Pillow **6.1**'s truncating RGB→L. (Pillow 7.0
/// added `+ 0x8000` rounding; Debian's Pillow 9 therefore differs from the paper's by up to one grey
/// level here.) `blend` computes `in1 + α·(in2 − in1)` in float32 with α = `(float)factor`: for
/// α in [0, 1] truncated to uint8, otherwise clipped to [0, 255] then truncated; α = 0 or 1 copies.
public struct ColorJitter: Sendable, Equatable {
    public var brightness: Double
    public var contrast: Double
    public var saturation: Double

    /// The DVE datasets' `ColorJitter(.4, .4, .4)`.
    public init(brightness: Double = 0.4, contrast: Double = 0.4, saturation: Double = 0.4) {
        self.brightness = brightness
        self.contrast = contrast
        self.saturation = saturation
    }

    public enum Adjustment: Sendable, Equatable { case brightness, contrast, saturation }

    /// One draw: the factors and the order they are applied in.
    public struct Parameters: Sendable, Equatable {
        public var steps: [(adjustment: Adjustment, factor: Double)]

        public init(steps: [(adjustment: Adjustment, factor: Double)]) { self.steps = steps }

        public static func == (a: Parameters, b: Parameters) -> Bool {
            a.steps.count == b.steps.count && zip(a.steps, b.steps).allSatisfy { $0.adjustment == $1.adjustment && $0.factor == $1.factor }
        }
    }

    public func draw(using generator: inout SeededGenerator) -> Parameters {
        var steps: [(adjustment: Adjustment, factor: Double)] = []
        for (adjustment, v) in [(Adjustment.brightness, brightness), (.contrast, contrast), (.saturation, saturation)] where v > 0 {
            let lo = max(0, 1 - v), hi = 1 + v
            steps.append((adjustment, lo + (hi - lo) * generator.nextUniform()))
        }
        if steps.count > 1 {
            for i in stride(from: steps.count - 1, to: 0, by: -1) {
                let j = min(Int(generator.nextUniform() * Double(i + 1)), i)
                steps.swapAt(i, j)
            }
        }
        return Parameters(steps: steps)
    }

    public static func apply(_ image: RGBImage, _ parameters: Parameters) -> RGBImage {
        var current = image
        for step in parameters.steps {
            switch step.adjustment {
            case .brightness: current = blend(uniform: 0, current, factor: step.factor)
            case .contrast: current = blend(uniform: meanLuminance(current), current, factor: step.factor)
            case .saturation: current = blendWithLuminance(current, factor: step.factor)
            }
        }
        return current
    }

    /// Pillow 6.1 `rgb2l`: `(19595·R + 38470·G + 7471·B) >> 16` (no rounding term).
    @inline(__always)
    static func luminance(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> UInt8 {
        UInt8((Int(r) * 19595 + Int(g) * 38470 + Int(b) * 7471) >> 16)
    }

    /// `int(ImageStat.Stat(image.convert("L")).mean[0] + 0.5)`.
    static func meanLuminance(_ image: RGBImage) -> UInt8 {
        guard image.pixelCount > 0 else { return 0 }
        var sum = 0
        image.pixels.withUnsafeBufferPointer { p in
            for i in 0..<image.pixelCount { sum += Int(luminance(p[3 * i], p[3 * i + 1], p[3 * i + 2])) }
        }
        return UInt8(clamping: Int(Double(sum) / Double(image.pixelCount) + 0.5))
    }

    /// `ImagingBlend(in1, in2, (float) alpha)` for one sample.
    @inline(__always)
    static func blend(_ in1: UInt8, _ in2: UInt8, _ alpha: Float) -> UInt8 {
        let v = Float(Int(in1)) + alpha * Float(Int(in2) - Int(in1))
        if alpha >= 0 && alpha <= 1 { return UInt8(v) }
        if v <= 0 { return 0 }
        if v >= 255 { return 255 }
        return UInt8(v)
    }

    static func blend(uniform value: UInt8, _ image: RGBImage, factor: Double) -> RGBImage {
        let alpha = Float(factor)
        if alpha == 0 { return RGBImage(width: image.width, height: image.height, fill: (value, value, value)) }
        if alpha == 1 { return image }
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<p.count { p[i] = blend(value, p[i], alpha) }
        }
        return out
    }

    static func blendWithLuminance(_ image: RGBImage, factor: Double) -> RGBImage {
        let alpha = Float(factor)
        if alpha == 1 { return image }
        var out = image
        out.pixels.withUnsafeMutableBufferPointer { p in
            for i in 0..<image.pixelCount {
                let l = luminance(p[3 * i], p[3 * i + 1], p[3 * i + 2])
                for c in 0..<3 { p[3 * i + c] = alpha == 0 ? l : blend(l, p[3 * i + c], alpha) }
            }
        }
        return out
    }
}
