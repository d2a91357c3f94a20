import ImageIO
import Tensors

/// The crops and size rules of the reference's `initial_transforms`, on 8-bit RGB images.
public enum ImageGeometry {
    /// `PIL.Image.crop((left, top, left + width, top + height))`: the window may extend past the
    /// image; those pixels are **black** (0), as in Pillow's `ImagingCrop` and in the reference's
    /// numpy `pad_and_crop` (300-W), which pads with zeros before slicing.
    ///
    /// - Precondition: `width ≥ 0`, `height ≥ 0`.
    public static func crop(_ image: RGBImage, left: Int, top: Int, width: Int, height: Int) -> RGBImage {
        precondition(width >= 0 && height >= 0, "ImageGeometry.crop: negative size \(width)x\(height)")
        var out = [UInt8](repeating: 0, count: width * height * 3)
        let x0 = max(left, 0), x1 = min(left + width, image.width)
        guard x1 > x0 else { return RGBImage(width: width, height: height, pixels: out) }
        image.pixels.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in
                for y in 0..<height {
                    let sy = top + y
                    guard sy >= 0 && sy < image.height else { continue }
                    let s = (sy * image.width + x0) * 3, d = (y * width + (x0 - left)) * 3
                    for i in 0..<(x1 - x0) * 3 { dst[d + i] = src[s + i] }
                }
            }
        }
        return RGBImage(width: width, height: height, pixels: out)
    }

    /// The output size of torchvision 0.3 `Resize(size)` with an **int** size: the shorter side
    /// becomes `size` and the other `int(size · long / short)` (truncated); an image whose shorter
    /// side already equals `size` is returned unchanged (nil here).
    public static func torchvisionShorterSideSize(width: Int, height: Int, size: Int) -> (width: Int, height: Int)? {
        if (width <= height && width == size) || (height <= width && height == size) { return nil }
        if width < height {
            return (size, Int(Double(size) * Double(height) / Double(width)))
        }
        return (Int(Double(size) * Double(width) / Double(height)), size)
    }

    /// torchvision 0.3 `Resize(size)` (int size, bilinear), see `torchvisionShorterSideSize`.
    public static func resizeShorterSide(_ image: RGBImage, to size: Int) -> RGBImage {
        guard let target = torchvisionShorterSideSize(width: image.width, height: image.height, size: size) else {
            return image
        }
        return PillowResize.bilinear(image, width: max(target.width, 1), height: max(target.height, 1))
    }

    /// `TF.to_tensor(pil) * 255`: CHW floats, each `(Float(u) / 255) · 255` in float32 — the
    /// reference's two roundings, kept literally; for all 256 byte values they give back exactly `u`
    /// (a test checks it), so the warper's input is integral.
    public static func tensorTimes255(_ image: RGBImage) -> Tensor {
        var planar = image.planarFloats()
        for i in 0..<planar.count { planar[i] *= 255 }
        return Tensor(shape: [3, image.height, image.width], storage: planar)
    }

    /// CHW bytes (the warper's output after `.to(torch.uint8)`) → an interleaved image
    /// (`to_pil_image`).
    ///
    /// - Precondition: `chw.count == 3 · width · height`.
    public static func image(fromCHW chw: ArraySlice<UInt8>, width: Int, height: Int) -> RGBImage {
        let plane = width * height
        precondition(chw.count == 3 * plane, "ImageGeometry.image(fromCHW:): \(chw.count) bytes for 3x\(height)x\(width)")
        var out = [UInt8](repeating: 0, count: 3 * plane)
        let base = chw.startIndex
        for i in 0..<plane {
            out[3 * i] = chw[base + i]
            out[3 * i + 1] = chw[base + plane + i]
            out[3 * i + 2] = chw[base + 2 * plane + i]
        }
        return RGBImage(width: width, height: height, pixels: out)
    }
}
