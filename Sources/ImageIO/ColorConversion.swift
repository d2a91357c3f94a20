/// Pixel-layout conversions done in Swift, each matching what Pillow does so
/// that decoded pixels agree with the reference.
enum ColorConversion {
    /// CMYK samples as libjpeg returns them for a 4-component JPEG → RGB,
    /// the way `PIL.Image.open(cmyk_jpeg).convert("RGB")` does it:
    ///
    /// 1. Pillow always unpacks 4-component JPEGs with raw mode `"CMYK;I"`,
    ///    i.e. assumes Adobe's inverted convention: `C = 255 - raw`.
    /// 2. Pillow's `cmyk2rgb`: `nk = 255 - K; R = nk - MULDIV255(C, nk)`,
    ///    where `MULDIV255(a, b) = (((a*b + 128) >> 8) + a*b + 128) >> 8`.
    ///
    /// Since `255 - (255 - raw) = raw`, step 1 folds into step 2 below.
    /// No colour management (ICC profiles are ignored, as Pillow ignores them
    /// unless asked to apply them).
    static func pillowCMYKToRGB(_ cmyk: [UInt8]) -> [UInt8] {
        let count = cmyk.count / 4
        var rgb = [UInt8](repeating: 0, count: count * 3)
        cmyk.withUnsafeBufferPointer { src in
            rgb.withUnsafeMutableBufferPointer { dst in
                for p in 0..<count {
                    let nk = Int(src[p * 4 + 3]) // 255 - (255 - rawK)
                    for c in 0..<3 {
                        let inverted = 255 - Int(src[p * 4 + c])
                        dst[p * 3 + c] = UInt8(clamping: nk - mulDiv255(inverted, nk))
                    }
                }
            }
        }
        return rgb
    }

    /// Pillow's `MULDIV255`: a rounded `a * b / 255` for a, b in 0...255.
    @inline(__always)
    static func mulDiv255(_ a: Int, _ b: Int) -> Int {
        let tmp = a * b + 128
        return ((tmp >> 8) + tmp) >> 8
    }

    /// Drops the 4th byte of every RGBA pixel, keeping the stored colour
    /// channels unchanged (no compositing) — Pillow's `RGBA → RGB`.
    static func dropAlpha(_ rgba: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        let count = rgba.count / 4
        var rgb = [UInt8](repeating: 0, count: count * 3)
        rgb.withUnsafeMutableBufferPointer { dst in
            for p in 0..<count {
                dst[p * 3] = rgba[p * 4]
                dst[p * 3 + 1] = rgba[p * 4 + 1]
                dst[p * 3 + 2] = rgba[p * 4 + 2]
            }
        }
        return rgb
    }
}
