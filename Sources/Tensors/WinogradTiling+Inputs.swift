/// Input planes to the transformed domain (V = Bᵀ·d·B) and back for the input gradient (B·dV·Bᵀ).
extension WinogradTiling {
    /// Zeroes a padded input plane; the interior is overwritten plane by plane, the border stays zero.
    func clearPadded(_ padded: UnsafeMutablePointer<Float>) {
        padded.update(repeating: 0, count: paddedHeight * paddedWidth)
    }

    /// V = Bᵀ·d·B for every tile, sub-kernel and channel of one image (`[channels][height][width]`).
    /// `padded` must have been cleared; `lines` holds `lineWorkspace` floats.
    func transformInput(_ image: UnsafePointer<Float>, into v: UnsafeMutablePointer<Float>,
                        padded: UnsafeMutablePointer<Float>, lines rows: UnsafeMutablePointer<Float>) {
        let pw = paddedWidth, d = dilation, tiles = self.tiles, tc = columnTiles, q = split
        let slice = inputRows * tiles
        for c in 0..<channels {
            let plane = image + c * height * width
            for y in 0..<height {
                (padded + (y + padding) * pw + padding).update(from: plane + y * width, count: width)
            }
            for (ty, y0) in rowOrigins.enumerated() {
                for sy in 0..<q {
                    // Bᵀ down the columns: four combined rows, whole rows at a time.
                    let r0 = UnsafePointer(padded + (y0 + 3 * sy * d) * pw)
                    let r1 = r0 + d * pw, r2 = r1 + d * pw, r3 = r2 + d * pw
                    let v0 = rows, v1 = rows + pw, v2 = rows + 2 * pw, v3 = rows + 3 * pw
                    for x in 0..<pw {
                        v0[x] = r0[x] - r2[x]
                        v1[x] = r1[x] + r2[x]
                        v2[x] = r2[x] - r1[x]
                        v3[x] = r1[x] - r3[x]
                    }
                    for sx in 0..<q {
                        let tileBase = ((sy * q + sx) * channels + c) * tiles + ty * tc
                        for a in 0..<4 {
                            horizontalInputTransform(UnsafePointer(rows + a * pw) + 3 * sx * d,
                                                     into: v + a * 4 * slice + tileBase, slice: slice)
                        }
                    }
                }
            }
        }
    }

    /// Bᵀ along one combined row for every tile column: (e0 − e2, e1 + e2, e2 − e1, e1 − e3) of the taps
    /// e_b = row[x0 + d·b], written to `out` (b' = 0) and the three slices after it.
    @inline(__always)
    private func horizontalInputTransform(_ row: UnsafePointer<Float>, into out: UnsafeMutablePointer<Float>,
                                          slice: Int) {
        let d = dilation, tc = columnTiles
        let o0 = out, o1 = o0 + slice, o2 = o1 + slice, o3 = o2 + slice
        if d == 1 {
            // One phase, origins 0, 2, 4, …: the taps of four tiles are the even and odd lanes of two
            // overlapping eight-float loads.
            for j in stride(from: 0, to: tc, by: Lanes.scalarCount) {
                let n = min(Lanes.scalarCount, tc - j)
                let first = loadPair(row + 2 * j), second = loadPair(row + 2 * j + 2)
                let e0 = first.evenHalf, e1 = first.oddHalf, e2 = second.evenHalf, e3 = second.oddHalf
                store(e0 - e2, o0 + j, n)
                store(e1 + e2, o1 + j, n)
                store(e2 - e1, o2 + j, n)
                store(e1 - e3, o3 + j, n)
            }
            return
        }
        // Dilated: phases of 4–9 tiles leave vectors mostly partial, so one tile at a time (gathering
        // each phase first measured no faster on SmallNet's conv5 and slower on conv4).
        columnOrigins.withUnsafeBufferPointer { xs in
            for tx in 0..<tc {
                let x0 = xs[tx]
                let e0 = row[x0], e1 = row[x0 + d], e2 = row[x0 + 2 * d], e3 = row[x0 + 3 * d]
                o0[tx] = e0 - e2
                o1[tx] = e1 + e2
                o2[tx] = e2 - e1
                o3[tx] = e1 - e3
            }
        }
    }

    /// Adds B·dV·Bᵀ of every tile onto the input gradient of one image (`[channels][height][width]`,
    /// overwritten). Tiles overlap, so each plane is summed in a padded buffer in a fixed order and then
    /// copied out. `lines` holds `lineWorkspace` floats; `dv` must be followed by `slack` readable floats.
    func inputGradient(_ dv: UnsafePointer<Float>, into gradient: UnsafeMutablePointer<Float>,
                       padded: UnsafeMutablePointer<Float>, lines rows: UnsafeMutablePointer<Float>) {
        let pw = paddedWidth, d = dilation, tiles = self.tiles, tc = columnTiles, q = split
        let slice = inputRows * tiles
        for c in 0..<channels {
            padded.update(repeating: 0, count: paddedHeight * pw)
            for (ty, y0) in rowOrigins.enumerated() {
                for block in 0..<(q * q) {
                    let sy = block / q, sx = block % q
                    let tileBase = ((sy * q + sx) * channels + c) * tiles + ty * tc
                    // Rows first: h[a][b'] = (B·dV)[a][b'], one contiguous run over the tile columns each.
                    for b in 0..<4 {
                        let w0 = dv + b * slice + tileBase, w1 = w0 + 4 * slice
                        let w2 = w1 + 4 * slice, w3 = w2 + 4 * slice
                        let h0 = rows + b * tc, h1 = h0 + 4 * tc, h2 = h1 + 4 * tc, h3 = h2 + 4 * tc
                        for tx in stride(from: 0, to: tc, by: Lanes.scalarCount) {
                            let n = min(Lanes.scalarCount, tc - tx)
                            let v0 = load(w0 + tx), v1 = load(w1 + tx), v2 = load(w2 + tx), v3 = load(w3 + tx)
                            store(v0, h0 + tx, n)
                            store(v1 - v2 + v3, h1 + tx, n)
                            store(v1 + v2 - v0, h2 + tx, n)
                            store(-v3, h3 + tx, n)
                        }
                    }
                    // Then the columns, added onto the four input pixels of each tap row.
                    for a in 0..<4 {
                        let target = padded + (y0 + 3 * sy * d + a * d) * pw + 3 * sx * d
                        let h0 = rows + a * 4 * tc, h1 = h0 + tc, h2 = h1 + tc, h3 = h2 + tc
                        for tx in stride(from: 0, to: tc, by: Lanes.scalarCount) {
                            let n = min(Lanes.scalarCount, tc - tx)
                            let v0 = load(h0 + tx), v1 = load(h1 + tx), v2 = load(h2 + tx), v3 = load(h3 + tx)
                            store(v1 - v2 + v3, h1 + tx, n)
                            store(v1 + v2 - v0, h2 + tx, n)
                        }
                        addAlongPhases(h0, h1, h2, h3, onto: target)
                    }
                }
            }
            let plane = gradient + c * height * width
            for y in 0..<height {
                (plane + y * width).update(from: padded + (y + padding) * pw + padding, count: width)
            }
        }
    }

    /// Adds the four tap values (g0, g1, g2, −h3) of every tile onto `target` at x0 + d·b. Along a phase,
    /// a tile's last two taps are the next tile's first two, so each pixel gets its two contributions in
    /// one add, and no add waits for the store of the one before.
    @inline(__always)
    private func addAlongPhases(_ g0: UnsafeMutablePointer<Float>, _ g1: UnsafeMutablePointer<Float>,
                                _ g2: UnsafeMutablePointer<Float>, _ h3: UnsafeMutablePointer<Float>,
                                onto target: UnsafeMutablePointer<Float>) {
        let d = dilation
        for (r, tilesOfPhase) in columnPhases.enumerated() {
            var x = r
            var carriedEven: Float = 0, carriedOdd: Float = 0
            for t in tilesOfPhase {
                target[x] += g0[t] + carriedEven
                target[x + d] += g1[t] + carriedOdd
                carriedEven = g2[t]
                carriedOdd = -h3[t]
                x += 2 * d
            }
            target[x] += carriedEven
            target[x + d] += carriedOdd
        }
    }
}
