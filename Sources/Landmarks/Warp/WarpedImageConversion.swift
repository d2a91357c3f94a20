import Tensors

/// What the DVE datasets do to a warped image before the network sees it (quirk Q4):
/// `.to(torch.uint8)` → `to_pil_image` → (augmentation, none in validation) → `ToTensor` →
/// `Normalize(mean, std)`.
public enum WarpedImageConversion {
    /// The normalisation every DVE dataset uses (CelebA statistics), per RGB channel.
    public static let mean: [Float] = [0.5084, 0.4224, 0.3769]
    public static let std: [Float] = [0.2599, 0.2371, 0.2323]

    /// `tensor.to(torch.uint8)` for one float32 value.
    ///
    /// The exact rule, identical in PyTorch 1.1 (`inter_copy_type<uint8_t> = int64_t`) and 1.13
    /// (`c10::static_cast_with_inter_type<uint8_t, float>`): convert to int64 truncating toward zero,
    /// then keep the low 8 bits. So 254.99998 → 254 (**truncation, not rounding**), −0.5 → 0, −1.5 → 255,
    /// 256.5 → 0, 300 → 44. Values whose truncation does not fit int64, and NaN, are undefined behaviour in
    /// C++; x86's `cvttss2si` yields INT64_MIN for them, whose low byte is 0, so they give 0 here.
    ///
    /// The Warper never produces out-of-range values: bilinear weights are ≥ 0 and sum to ≤ 1, so a
    /// [0, 255] image warps into [0, 255] up to a few ulp (255.00002 truncates to 255). Zero padding
    /// becomes 0, i.e. black borders.
    @inlinable
    public static func truncatingToUInt8(_ v: Float) -> UInt8 {
        guard v.isFinite, abs(v) < 0x1p63 else { return 0 }
        return UInt8(truncatingIfNeeded: Int64(v))
    }

    /// `truncatingToUInt8` element-wise.
    public static func truncatingToUInt8(_ values: [Float]) -> [UInt8] {
        values.map(truncatingToUInt8)
    }

    /// `Normalize(mean, std)(ToTensor(u8))` for a (C, H, W) byte image in channel-major order:
    /// `(Float(u) / 255 − mean[c]) / std[c]`, each step rounded to float32 (torchvision divides by 255,
    /// then `sub_(mean).div_(std)` with float32 mean and std).
    public static func normalized(_ bytes: [UInt8], shape: [Int], mean: [Float] = mean, std: [Float] = std) throws(WarpError) -> Tensor {
        guard shape.count >= 3, shape.reduce(1, *) == bytes.count, shape[shape.count - 3] == mean.count,
              mean.count == std.count else {
            throw .shapeMismatch(what: "ToTensor+Normalize input (\(mean.count) channels)",
                                 expected: "[…, \(mean.count), H, W] holding \(bytes.count) bytes", got: shape)
        }
        let plane = shape[shape.count - 2] * shape[shape.count - 1]
        var out = [Float](repeating: 0, count: bytes.count)
        for i in 0..<bytes.count {
            let c = (i / plane) % mean.count
            out[i] = (Float(bytes[i]) / 255 - mean[c]) / std[c]
        }
        return Tensor(shape: shape, storage: out)
    }
}

extension WarpedPair {
    /// A validation item's `data` (no augmentation): `stack(im1, im2)` truncated to bytes, shape
    /// (2, C, Hc, Wc), and its `ToTensor + Normalize`. Training adds independent photometric jitter to
    /// the two byte images before normalising; that belongs to the dataset, not here.
    public func datasetData(mean: [Float] = WarpedImageConversion.mean,
                            std: [Float] = WarpedImageConversion.std) throws(WarpError) -> (bytes: [UInt8], data: Tensor) {
        let bytes = WarpedImageConversion.truncatingToUInt8(im1.storage + im2.storage)
        let data = try WarpedImageConversion.normalized(bytes, shape: [2] + im1.shape, mean: mean, std: std)
        return (bytes, data)
    }
}
