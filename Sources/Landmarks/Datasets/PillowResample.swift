import Foundation
import ImageIO

/// `PIL.Image.resize` for 8-bit RGB images, reproducing Pillow's pixels exactly.
///
/// The reference resized with torchvision 0.3 `Resize` (PIL **bilinear**) on Pillow 6.1, and 300-W's
/// first resize used `Image.resize` without a filter, i.e. **nearest** in Pillow < 7. Both code paths
/// (`libImaging/Resample.c` and `Geometry.c`'s `ImagingScaleAffine`) are functionally identical in
/// Pillow 6.1.0 and 9.4.0 (checked by diffing the sources: only formatting, an allocation fix, and the
/// BOX filter's interval changed), so a fixture made with Debian's Pillow 9.4 checks the 6.1 behaviour.
/// What *did* change in between is `Image.resize`'s default filter (NEAREST → BICUBIC in 7.0): callers
/// here always name the filter.
public enum PillowResize {
    /// `Resample.c`'s fixed-point precision: coefficients are scaled by 2^22 (`32 − 8 − 2` bits).
    static let precisionBits = 22

    /// `image.resize((width, height), Image.BILINEAR)` with the default box (the whole image).
    ///
    /// Pillow's `ImagingResample` with the triangle filter (support 1):
    /// 1. per output column `xx`, `scale = inW / outW`, `filterscale = max(scale, 1)`, `support =
    ///    filterscale` (so downscaling **antialiases**: the triangle widens with the factor);
    ///    `center = (xx + 0.5)·scale`; taps `xmin = int(center − support + 0.5)` (≥ 0) up to
    ///    `int(center + support + 0.5)` (≤ inW); weight of tap x = `tri((x − center + 0.5) / filterscale)`,
    ///    normalised to sum 1, then rounded to integers ×2^22 (half away from zero);
    /// 2. a horizontal pass into an **8-bit** intermediate image (only the rows the vertical pass
    ///    reads), each sample `clamp((2^21 + Σ w·p) >> 22, 0, 255)`;
    /// 3. the same vertically. A pass whose size does not change is skipped; same size → copy.
    ///
    /// - Precondition: `width ≥ 1`, `height ≥ 1` (callers validate sizes and throw first).
    public static func bilinear(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width >= 1 && height >= 1, "PillowResize.bilinear: empty output \(width)x\(height)")
        if image.width == width && image.height == height { return image }
        let needHorizontal = width != image.width
        let needVertical = height != image.height
        let vertical = Coefficients(inSize: image.height, outSize: height)
        var source = image
        var rowOffset = 0
        if needHorizontal {
            let horizontal = Coefficients(inSize: image.width, outSize: width)
            // Only the rows the vertical pass reads are computed (Pillow's ybox_first/ybox_last).
            let first = needVertical ? vertical.bounds[0] : 0
            let last = needVertical ? vertical.bounds[2 * (height - 1)] + vertical.bounds[2 * (height - 1) + 1] : image.height
            source = resampleRows(image, coefficients: horizontal, firstRow: first, rowCount: last - first)
            rowOffset = first
        }
        if needVertical {
            source = resampleColumns(source, coefficients: vertical, rowOffset: rowOffset)
        }
        return source
    }

    /// `image.resize((width, height), Image.NEAREST)` with the default box: Pillow's
    /// `ImagingScaleAffine`. With `a = inW / outW` (float64), output column x samples input column
    /// `int(a/2 + x·a)`, the position being **accumulated** (`xo += a`) exactly as Pillow does, so
    /// the rare rounding-sensitive column matches too; rows likewise. Taps outside the image stay 0.
    ///
    /// - Precondition: `width ≥ 1`, `height ≥ 1`.
    public static func nearest(_ image: RGBImage, width: Int, height: Int) -> RGBImage {
        precondition(width >= 1 && height >= 1, "PillowResize.nearest: empty output \(width)x\(height)")
        if image.width == width && image.height == height { return image }
        func table(inSize: Int, outSize: Int) -> [Int] {
            let a = Double(Float(inSize)) / Double(outSize)
            var position = a * 0.5
            var out = [Int](repeating: -1, count: outSize)
            for i in 0..<outSize {
                let index = position < 0 ? -1 : Int(position)
                if index >= 0 && index < inSize { out[i] = index }
                position += a
            }
            return out
        }
        let columns = table(inSize: image.width, outSize: width)
        let rows = table(inSize: image.height, outSize: height)
        var out = [UInt8](repeating: 0, count: width * height * 3)
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height where rows[y] >= 0 {
                    let srcRow = rows[y] * image.width * 3
                    for x in 0..<width where columns[x] >= 0 {
                        let s = srcRow + columns[x] * 3, d = (y * width + x) * 3
                        dst[d] = src[s]; dst[d + 1] = src[s + 1]; dst[d + 2] = src[s + 2]
                    }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// `precompute_coeffs` + `normalize_coeffs_8bpc` for the bilinear filter and the full box.
    struct Coefficients {
        /// Per output sample: first input index and tap count.
        var bounds: [Int]
        /// `outSize × kernelSize` fixed-point weights (×2^22), unused taps 0.
        var weights: [Int32]
        var kernelSize: Int

        init(inSize: Int, outSize: Int) {
            // Pillow passes the box as C floats; `(double)(in1 − in0) / outSize`.
            let scale = Double(Float(inSize)) / Double(outSize)
            let filterScale = max(scale, 1)
            let support = 1.0 * filterScale
            kernelSize = Int(support.rounded(.up)) * 2 + 1
            bounds = [Int](repeating: 0, count: 2 * outSize)
            weights = [Int32](repeating: 0, count: outSize * kernelSize)
            var k = [Double](repeating: 0, count: kernelSize)
            let invScale = 1.0 / filterScale
            for xx in 0..<outSize {
                let center = (Double(xx) + 0.5) * scale
                let xmin = max(Int(center - support + 0.5), 0)
                let xmax = min(Int(center + support + 0.5), inSize) - xmin
                var sum = 0.0
                for x in 0..<max(xmax, 0) {
                    let t = abs((Double(x + xmin) - center + 0.5) * invScale)
                    let w = t < 1 ? 1 - t : 0
                    k[x] = w
                    sum += w
                }
                for x in 0..<max(xmax, 0) {
                    let w = sum != 0 ? k[x] / sum : k[x]
                    let scaled = w * Double(1 << PillowResize.precisionBits)
                    weights[xx * kernelSize + x] = Int32(w < 0 ? (-0.5 + scaled) : (0.5 + scaled))
                }
                bounds[2 * xx] = xmin
                bounds[2 * xx + 1] = max(xmax, 0)
            }
        }
    }

    /// `clip8(ss >> 22)`: arithmetic shift, then clamp to 0…255.
    @inline(__always)
    static func clip8(_ ss: Int) -> UInt8 {
        let v = ss >> precisionBits
        return v < 0 ? 0 : (v > 255 ? 255 : UInt8(v))
    }

    /// `ImagingResampleHorizontal_8bpc` over rows `firstRow ..< firstRow + rowCount`.
    static func resampleRows(_ image: RGBImage, coefficients c: Coefficients, firstRow: Int, rowCount: Int) -> RGBImage {
        let outWidth = c.bounds.count / 2
        var out = [UInt8](repeating: 0, count: outWidth * rowCount * 3)
        let half = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            c.weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for yy in 0..<rowCount {
                        let row = (yy + firstRow) * image.width * 3
                        for xx in 0..<outWidth {
                            let xmin = c.bounds[2 * xx], taps = c.bounds[2 * xx + 1]
                            let k = xx * c.kernelSize
                            var s0 = half, s1 = half, s2 = half
                            for x in 0..<taps {
                                let p = row + (x + xmin) * 3
                                let weight = Int(w[k + x])
                                s0 += Int(src[p]) * weight
                                s1 += Int(src[p + 1]) * weight
                                s2 += Int(src[p + 2]) * weight
                            }
                            let d = (yy * outWidth + xx) * 3
                            dst[d] = clip8(s0); dst[d + 1] = clip8(s1); dst[d + 2] = clip8(s2)
                        }
                    }
                }
            }
        }
        return RGBImage(width: outWidth, height: rowCount, pixels: out)
    }

    /// `ImagingResampleVertical_8bpc`; `rowOffset` is the first source row held by `image`.
    static func resampleColumns(_ image: RGBImage, coefficients c: Coefficients, rowOffset: Int) -> RGBImage {
        let outHeight = c.bounds.count / 2
        let width = image.width
        var out = [UInt8](repeating: 0, count: width * outHeight * 3)
        let half = 1 << (precisionBits - 1)
        image.pixels.withUnsafeBufferPointer { src in
            c.weights.withUnsafeBufferPointer { w in
                out.withUnsafeMutableBufferPointer { dst in
                    for yy in 0..<outHeight {
                        let ymin = c.bounds[2 * yy] - rowOffset, taps = c.bounds[2 * yy + 1]
                        let k = yy * c.kernelSize
                        for xx in 0..<width {
                            var s0 = half, s1 = half, s2 = half
                            for y in 0..<taps {
                                let p = ((y + ymin) * width + xx) * 3
                                let weight = Int(w[k + y])
                                s0 += Int(src[p]) * weight
                                s1 += Int(src[p + 1]) * weight
                                s2 += Int(src[p + 2]) * weight
                            }
                            let d = (yy * width + xx) * 3
                            dst[d] = clip8(s0); dst[d + 1] = clip8(s1); dst[d + 2] = clip8(s2)
                        }
                    }
                }
            }
        }
        return RGBImage(width: width, height: outHeight, pixels: out)
    }
}
