/// The lowering between one image's channel group and its im2col matrix.
///
/// Column matrix rows are (channel, ky, kx) in weight order and columns are output pixels in row-major
/// order, so `weight (Cout × C·k·k) · columns (C·k·k × Ho·Wo)` is the convolution. Taps that fall in the
/// zero padding are 0.
struct ConvGeometry: Sendable {
    let channels: Int
    let height: Int
    let width: Int
    let kernel: Int
    let stride: Int
    let padding: Int
    let dilation: Int
    let outHeight: Int
    let outWidth: Int

    var columnRows: Int { channels * kernel * kernel }
    var columnCols: Int { outHeight * outWidth }

    /// Output columns `ox` whose tap `ox·stride − padding + offset` lies inside `0..<width`.
    @inline(__always)
    private func validRange(offset: Int, size: Int, outSize: Int) -> Range<Int> {
        // smallest o with o*stride + offset - padding >= 0; largest with < size
        let start = offset - padding
        var lo = start >= 0 ? 0 : (-start + stride - 1) / stride
        var hi = size - start > 0 ? (size - start + stride - 1) / stride : 0
        lo = min(lo, outSize)
        hi = max(lo, min(hi, outSize))
        return lo..<hi
    }

    func lower(_ image: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let p = columnCols
        for c in 0..<channels {
            let plane = image + c * height * width
            for ky in 0..<kernel {
                let yRange = validRange(offset: ky * dilation, size: height, outSize: outHeight)
                for kx in 0..<kernel {
                    let row = columns + ((c * kernel + ky) * kernel + kx) * p
                    let xRange = validRange(offset: kx * dilation, size: width, outSize: outWidth)
                    for oy in 0..<outHeight {
                        let dst = row + oy * outWidth
                        guard yRange.contains(oy), !xRange.isEmpty else {
                            dst.update(repeating: 0, count: outWidth)
                            continue
                        }
                        let iy = oy * stride - padding + ky * dilation
                        let src = plane + iy * width
                        if xRange.lowerBound > 0 { dst.update(repeating: 0, count: xRange.lowerBound) }
                        let ix0 = kx * dilation - padding
                        if stride == 1 {
                            (dst + xRange.lowerBound).update(from: src + xRange.lowerBound + ix0, count: xRange.count)
                        } else {
                            for ox in xRange { dst[ox] = src[ox * stride + ix0] }
                        }
                        if xRange.upperBound < outWidth {
                            (dst + xRange.upperBound).update(repeating: 0, count: outWidth - xRange.upperBound)
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of `lower`: adds each column entry back onto the pixel it was read from.
    func raise(_ columns: UnsafePointer<Float>, addingInto image: UnsafeMutablePointer<Float>) {
        let p = columnCols
        for c in 0..<channels {
            let plane = image + c * height * width
            for ky in 0..<kernel {
                let yRange = validRange(offset: ky * dilation, size: height, outSize: outHeight)
                for kx in 0..<kernel {
                    let row = columns + ((c * kernel + ky) * kernel + kx) * p
                    let xRange = validRange(offset: kx * dilation, size: width, outSize: outWidth)
                    let ix0 = kx * dilation - padding
                    for oy in yRange {
                        let iy = oy * stride - padding + ky * dilation
                        let dst = plane + iy * width
                        let src = row + oy * outWidth
                        for ox in xRange { dst[ox * stride + ix0] += src[ox] }
                    }
                }
            }
        }
    }
}
