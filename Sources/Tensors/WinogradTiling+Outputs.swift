/// The transformed products back to output planes (Aᵀ·M·A), and output gradients into the transformed
/// domain (A·dY·Aᵀ).
extension WinogradTiling {
    /// Y = Aᵀ·M·A for every tile of every output channel, plus the channel's bias, written to one image
    /// (`[outChannels][outHeight][outWidth]`). `padded` holds `paddedOutHeight × paddedOutWidth` floats,
    /// `lines` `lineWorkspace`; `m` must be followed by `slack` readable floats.
    func transformOutput(_ m: UnsafePointer<Float>, bias: [Float]?, into output: UnsafeMutablePointer<Float>,
                         padded: UnsafeMutablePointer<Float>, lines rows: UnsafeMutablePointer<Float>) {
        let d = dilation, tiles = self.tiles, tc = columnTiles, pw = paddedOutWidth
        let slice = outChannels * tiles
        let t00 = rows, t01 = rows + tc, t10 = rows + 2 * tc, t11 = rows + 3 * tc
        columnOrigins.withUnsafeBufferPointer { xs in
            for o in 0..<outChannels {
                for (ty, y0) in rowOrigins.enumerated() {
                    let m0 = m + o * tiles + ty * tc
                    for tx in stride(from: 0, to: tc, by: Lanes.scalarCount) {
                        let n = min(Lanes.scalarCount, tc - tx)
                        // (M·A)[a][j] for each row a, then Aᵀ over the rows.
                        let p = m0 + tx
                        var r0 = load(p), r1 = load(p + slice), r2 = load(p + 2 * slice), r3 = load(p + 3 * slice)
                        let c00 = r0 + r1 + r2, c10 = r1 - r2 - r3
                        r0 = load(p + 4 * slice); r1 = load(p + 5 * slice); r2 = load(p + 6 * slice); r3 = load(p + 7 * slice)
                        let c01 = r0 + r1 + r2, c11 = r1 - r2 - r3
                        r0 = load(p + 8 * slice); r1 = load(p + 9 * slice); r2 = load(p + 10 * slice); r3 = load(p + 11 * slice)
                        let c02 = r0 + r1 + r2, c12 = r1 - r2 - r3
                        r0 = load(p + 12 * slice); r1 = load(p + 13 * slice); r2 = load(p + 14 * slice); r3 = load(p + 15 * slice)
                        let c03 = r0 + r1 + r2, c13 = r1 - r2 - r3
                        store(c00 + c01 + c02, t00 + tx, n)
                        store(c01 - c02 - c03, t10 + tx, n)
                        store(c10 + c11 + c12, t01 + tx, n)
                        store(c11 - c12 - c13, t11 + tx, n)
                    }
                    let top = padded + y0 * pw, bottom = top + d * pw
                    for tx in 0..<tc {
                        let x0 = xs[tx]
                        top[x0] = t00[tx]
                        top[x0 + d] = t01[tx]
                        bottom[x0] = t10[tx]
                        bottom[x0 + d] = t11[tx]
                    }
                }
                let plane = output + o * outHeight * outWidth
                let b = bias?[o] ?? 0
                for y in 0..<outHeight {
                    let src = padded + y * pw, dst = plane + y * outWidth
                    if bias == nil {
                        dst.update(from: src, count: outWidth)
                    } else {
                        for x in 0..<outWidth { dst[x] = src[x] + b }
                    }
                }
            }
        }
    }

    /// dM = A·dY·Aᵀ for every tile of every output channel of one image's output gradient. `padded`
    /// holds `paddedOutHeight × paddedOutWidth` floats and `lines` `lineWorkspace`.
    func transformOutputGradient(_ gradOutput: UnsafePointer<Float>, into dm: UnsafeMutablePointer<Float>,
                                 padded: UnsafeMutablePointer<Float>, lines rows: UnsafeMutablePointer<Float>) {
        let d = dilation, tiles = self.tiles, tc = columnTiles, pw = paddedOutWidth
        let slice = outChannels * tiles
        // The spare rows and columns stay zero: edge tiles' second outputs have no gradient.
        padded.update(repeating: 0, count: paddedOutHeight * pw)
        let e00 = rows, e01 = rows + tc, e10 = rows + 2 * tc, e11 = rows + 3 * tc
        columnOrigins.withUnsafeBufferPointer { xs in
            for o in 0..<outChannels {
                let plane = gradOutput + o * outHeight * outWidth
                for y in 0..<outHeight { (padded + y * pw).update(from: plane + y * outWidth, count: outWidth) }
                for (ty, y0) in rowOrigins.enumerated() {
                    let top = UnsafePointer(padded + y0 * pw), bottom = top + d * pw
                    for tx in 0..<tc {
                        let x0 = xs[tx]
                        e00[tx] = top[x0]
                        e01[tx] = top[x0 + d]
                        e10[tx] = bottom[x0]
                        e11[tx] = bottom[x0 + d]
                    }
                    let out = dm + o * tiles + ty * tc
                    for tx in stride(from: 0, to: tc, by: Lanes.scalarCount) {
                        let n = min(Lanes.scalarCount, tc - tx)
                        // A·e over the rows, (f0, f0 + f1, f0 − f1, −f1), then over the columns.
                        let top0 = load(e00 + tx), top1 = load(e01 + tx), bottom0 = load(e10 + tx), bottom1 = load(e11 + tx)
                        Self.storeGradientRow(top0, top1, out + tx, slice, n)
                        Self.storeGradientRow(top0 + bottom0, top1 + bottom1, out + 4 * slice + tx, slice, n)
                        Self.storeGradientRow(top0 - bottom0, top1 - bottom1, out + 8 * slice + tx, slice, n)
                        Self.storeGradientRow(-bottom0, -bottom1, out + 12 * slice + tx, slice, n)
                    }
                }
            }
        }
    }

    /// One row a of dM = A·dY·Aᵀ: A applied to the row's two values (f0, f1).
    @inline(__always)
    private static func storeGradientRow(_ f0: Lanes, _ f1: Lanes, _ base: UnsafeMutablePointer<Float>, _ slice: Int, _ n: Int) {
        store(f0, base, n)
        store(f0 + f1, base + slice, n)
        store(f0 - f1, base + 2 * slice, n)
        store(-f1, base + 3 * slice, n)
    }
}
