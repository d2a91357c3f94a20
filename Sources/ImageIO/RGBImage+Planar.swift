/// Conversions between `RGBImage` and CHW planar `Float` tensors.
///
/// The forward direction reproduces torchvision's `ToTensor` bit for bit:
/// `torch.from_numpy(hwc_uint8).permute(2, 0, 1).float().div(255)`, i.e. each
/// sample is converted to Float32 and *divided* by 255 in Float32 (not
/// multiplied by a rounded `1/255`, which differs in the last bit for some
/// values).
///
/// The inverse exists in two clearly named flavours because the reference
/// code does both: torchvision's `ToPILImage` / `tensor.mul(255).byte()`
/// truncates toward zero, while `np.round`/`torch.round` round half to even.
extension RGBImage {
    /// CHW planar floats: `result[c * height * width + y * width + x] =
    /// Float(pixel[x, y].channel c) / divisor`, computed in Float32.
    ///
    /// With the default divisor of 255 this equals torchvision `ToTensor()`
    /// applied to the same uint8 RGB image, exactly.
    public func planarFloats(dividingBy divisor: Float = 255) -> [Float] {
        let plane = width * height
        var out = [Float](repeating: 0, count: plane * 3)
        pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for i in 0..<plane {
                    dst[i] = Float(src[i * 3]) / divisor
                    dst[plane + i] = Float(src[i * 3 + 1]) / divisor
                    dst[2 * plane + i] = Float(src[i * 3 + 2]) / divisor
                }
            }
        }
        return out
    }

    /// Inverse of ``planarFloats(dividingBy:)`` that **truncates**, like
    /// PyTorch's `tensor.mul(255).to(torch.uint8)` / `.byte()` (what
    /// torchvision's `ToPILImage` does for float tensors).
    ///
    /// Per sample: `v = x * 255` in Float32, then truncated toward zero, then
    /// clamped to 0...255; NaN becomes 0. (For `v` outside [0, 256) PyTorch's
    /// float→uint8 cast is undefined behaviour and in practice wraps; we clamp
    /// instead — documented divergence, irrelevant for values in [0, 1].)
    ///
    /// - Parameter planar: CHW floats, count `3 * width * height`.
    /// - Precondition: the count matches (a caller bug, not bad input).
    public init(planarTruncating planar: [Float], width: Int, height: Int) {
        self.init(planar: planar, width: width, height: height, rule: .towardZero)
    }

    /// Inverse of ``planarFloats(dividingBy:)`` that **rounds half to even**,
    /// like `torch.round(t * 255)` / `np.round(a * 255)` followed by a cast.
    ///
    /// Per sample: `v = x * 255` in Float32, rounded to the nearest integer
    /// (ties to even: 0.5 → 0, 1.5 → 2, 2.5 → 2), clamped to 0...255; NaN
    /// becomes 0. Round-trips exactly: `RGBImage(planarRounding:
    /// img.planarFloats(), ...) == img`.
    ///
    /// - Parameter planar: CHW floats, count `3 * width * height`.
    /// - Precondition: the count matches (a caller bug, not bad input).
    public init(planarRounding planar: [Float], width: Int, height: Int) {
        self.init(planar: planar, width: width, height: height, rule: .toNearestOrEven)
    }

    private init(planar: [Float], width: Int, height: Int, rule: FloatingPointRoundingRule) {
        precondition(width >= 0 && height >= 0, "RGBImage: negative size \(width)x\(height)")
        let plane = width * height
        precondition(planar.count == plane * 3,
                     "RGBImage: \(planar.count) planar floats given for 3x\(height)x\(width)")
        var pixels = [UInt8](repeating: 0, count: plane * 3)
        planar.withUnsafeBufferPointer { src in
            pixels.withUnsafeMutableBufferPointer { dst in
                for c in 0..<3 {
                    for i in 0..<plane {
                        dst[i * 3 + c] = Self.quantize(src[c * plane + i], rule: rule)
                    }
                }
            }
        }
        self.init(width: width, height: height, pixels: pixels)
    }

    @inline(__always)
    static func quantize(_ x: Float, rule: FloatingPointRoundingRule) -> UInt8 {
        let v = (x * 255).rounded(rule)
        if !(v > 0) { return 0 } // also NaN
        if v >= 255 { return 255 }
        return UInt8(v)
    }
}
