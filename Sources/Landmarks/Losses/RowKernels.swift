#if arch(x86_64)
import _Builtin_intrinsics.intel
#endif

/// Row-wise kernels on the N×N correlation matrices, written with `SIMD8<Float>` because they touch
/// every one of the N² elements several times per pair: for a 35×35 map that is 1.5 M elements, and
/// a scalar `expf` loop alone would cost about as much as the matrix products.
enum RowKernels {
    typealias Vector = SIMD8<Float>
    static let lanes = Vector.scalarCount

    @inline(__always) static func load(_ p: UnsafePointer<Float>) -> Vector {
        UnsafeRawPointer(p).loadUnaligned(as: Vector.self)
    }

    @inline(__always) static func store(_ v: Vector, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: Vector.self)
    }

    /// e^x per lane, the Cephes `expf` scheme: `x = n·ln2 + r` with n = round(x·log2 e) and
    /// |r| ≤ ln2/2 (ln2 split in two so `n·ln2` is exact), `e^r` by Cephes' polynomial, and `2^n`
    /// assembled in the exponent bits. Error below 1 ulp of the exact value (measured on every 7th
    /// float in [−87.3, 0]), the class of the SLEEF kernel PyTorch's softmax uses; implementations
    /// differ at that level anyway (golden README §2).
    ///
    /// Arguments below −87.34 give 0 (e^x is then below the smallest normal float; a softmax over a
    /// row whose logits span hundreds, as with ×20 normalisation, sends most entries there, and
    /// PyTorch gives 0 or a denormal for them). NaN propagates, so a NaN descriptor still yields a
    /// NaN loss the trainer can report. Only used for x ≤ 0 here; large positive x saturate at e^88.4.
    @inline(__always) static func exp(_ x: Vector) -> Vector {
        let lowest: Float = -87.336_54
        // Comparisons and `replace`, not `clamped`/`pointwiseMin`: those stay generic calls per vector.
        var v = x
        v.replace(with: lowest, where: v .< lowest)
        v.replace(with: 88.376_26, where: v .> 88.376_26)
        // Adding 1.5·2^23 rounds x·log2 e to an integer held in the low mantissa bits of t.
        let magic: Float = 12_582_912
        let t = v * 1.442_695_04 + magic
        let n = t - magic
        let r = v - n * 0.693_359_375 - n * -2.121_944_4e-4
        var p = Vector(repeating: 1.987_569_15e-4)
        p = p * r + 1.398_199_950_7e-3
        p = p * r + 8.333_451_907_3e-3
        p = p * r + 4.166_579_589_4e-2
        p = p * r + 1.666_666_545_9e-1
        p = p * r + 5.000_000_120_1e-1
        p = p * r * r + r + 1
        // 2^n: t's bit pattern is 0x4B40_0000 + n; rebias and shift n into the exponent field.
        let bits = (unsafeBitCast(t, to: SIMD8<Int32>.self) &- 0x4B40_0000 &+ 127) &<< 23
        var result = p * unsafeBitCast(bits, to: Vector.self)
        result.replace(with: 0, where: x .< lowest)
        result.replace(with: x, where: x .!= x)
        return result
    }

    /// In-place softmax of each row of a row-major `rows × columns` matrix, the way PyTorch's CPU
    /// kernel does it: subtract the row max, exponentiate, multiply by the reciprocal of the sum.
    static func softmaxRows(_ m: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let body = columns - columns % lanes
        for r in 0..<rows {
            let row = m + r * columns
            var vmax = Vector(repeating: -.infinity)
            var q = 0
            while q < body {
                let v = load(row + q)
                vmax.replace(with: v, where: v .> vmax)
                q += lanes
            }
            var mx = vmax[0]
            for lane in 1..<lanes { mx = Swift.max(mx, vmax[lane]) }
            while q < columns { mx = Swift.max(mx, row[q]); q += 1 }
            // A NaN logit is dropped by the max but comes back through `exp`, so the row turns NaN.
            let shift = Vector(repeating: mx)
            var vsum = Vector.zero
            q = 0
            while q < body {
                let e = exp(load(row + q) - shift)
                store(e, row + q)
                vsum += e
                q += lanes
            }
            var sum = vsum.sum()
            while q < columns {
                var lane = Vector.zero
                lane[0] = row[q] - mx
                row[q] = exp(lane)[0]
                sum += row[q]
                q += 1
            }
            scale(row, count: columns, by: 1 / sum)
        }
    }

    /// Square roots of a whole vector. `Float.squareRoot()` compiles on Linux to `sqrtss` plus a
    /// `sqrtf` call for negative inputs (errno), which blocks vectorisation; SSE's `sqrtps` is the
    /// same correctly rounded IEEE operation, four lanes at a time.
    @inline(__always) static func squareRoot(_ v: Vector) -> Vector {
        #if arch(x86_64)
        Vector(lowHalf: _mm_sqrt_ps(v.lowHalf), highHalf: _mm_sqrt_ps(v.highHalf))
        #else
        v.squareRoot()
        #endif
    }

    static func scale(_ p: UnsafeMutablePointer<Float>, count: Int, by s: Float) {
        let body = count - count % lanes
        var q = 0
        while q < body { store(load(p + q) * s, p + q); q += lanes }
        while q < count { p[q] *= s; q += 1 }
    }

    /// Σ a[i]·b[i], in eight Float32 lanes.
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, count: Int) -> Float {
        let body = count - count % lanes
        var acc = Vector.zero
        var q = 0
        while q < body { acc += load(a + q) * load(b + q); q += lanes }
        var s = acc.sum()
        while q < count { s += a[q] * b[q]; q += 1 }
        return s
    }

    /// One row of the softmax backward: `out = scale · s ⊙ (g − centre)`, where `centre = Σ g⊙s`
    /// (passed in because the caller usually needs that sum anyway, e.g. as the row's loss). With
    /// g = dL/dS this is dL/dZ, with the upstream factor `scale` folded in. `out` may alias `g` or `s`:
    /// each element is read before it is written.
    static func softmaxBackward(upstream g: UnsafePointer<Float>, probabilities s: UnsafePointer<Float>,
                                centre: Float, scale: Float, into out: UnsafeMutablePointer<Float>, count: Int) {
        let body = count - count % lanes
        var q = 0
        while q < body { store(load(s + q) * ((load(g + q) - centre) * scale), out + q); q += lanes }
        while q < count { out[q] = s[q] * ((g[q] - centre) * scale); q += 1 }
    }
}
