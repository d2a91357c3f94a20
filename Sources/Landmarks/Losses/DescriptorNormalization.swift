/// The reference's optional descriptor normalisation, `F.normalize(f, p=2, dim=0) * 20`, applied to
/// each spatial column (one descriptor of C channels) of a C×N block, and its exact backward.
///
/// Why ×20: unit vectors would give logits in [−1, 1], far too flat for a softmax over N cells; the
/// factor acts as an inverse temperature (logits in [−400, 400]). It also amplifies float32 rounding
/// about 100× in the DVE loss, hence that variant's looser golden tolerance.
enum DescriptorNormalization {
    /// The length every descriptor is scaled to.
    static let length: Float = 20
    /// `F.normalize`'s default eps: the norm is clamped below at this value.
    static let epsilon: Float = 1e-12

    /// `y = (x / max(‖x‖, ε)) · 20` per column, in the reference's order of operations (divide, then
    /// multiply). Stores the unclamped norms, which the backward needs.
    static func forward(_ x: UnsafePointer<Float>, into y: UnsafeMutablePointer<Float>,
                        norms: UnsafeMutablePointer<Float>, channels: Int, cells: Int) {
        norms.update(repeating: 0, count: cells)
        // Channel-outer loops: each column's sum runs over c in order, and the inner loop over
        // columns is independent lanes, so it vectorises without reassociating any sum.
        for c in 0..<channels {
            let xc = x + c * cells
            for p in 0..<cells { norms[p] += xc[p] * xc[p] }
        }
        for p in 0..<cells { norms[p] = norms[p].squareRoot() }
        for c in 0..<channels {
            let xc = x + c * cells, yc = y + c * cells
            for p in 0..<cells { yc[p] = (xc[p] / Swift.max(norms[p], epsilon)) * length }
        }
    }

    /// Turns `g = dL/dy` into `dL/dx` in place. With n = ‖x‖ ≥ ε:
    /// `dx = 20 · (dy/n − x · (x·dy)/n³)` (the Jacobian of 20·x/n, symmetric); with n < ε the clamp
    /// is active, the norm gets no gradient (PyTorch's `clamp_min` passes gradient only where
    /// n ≥ ε) and `dx = 20 · dy/ε`. `scratch` holds 2·N floats.
    static func backward(_ g: UnsafeMutablePointer<Float>, x: UnsafePointer<Float>, norms: UnsafePointer<Float>,
                         scratch: UnsafeMutablePointer<Float>, channels: Int, cells: Int) {
        let dyScale = scratch, xScale = scratch + cells
        xScale.update(repeating: 0, count: cells)
        for c in 0..<channels {
            let xc = x + c * cells, gc = g + c * cells
            for p in 0..<cells { xScale[p] += xc[p] * gc[p] }
        }
        for p in 0..<cells {
            let n = norms[p]
            if n >= epsilon {
                dyScale[p] = length / n
                // 20·(x·dy)/n³, divided step by step so no intermediate power of n can overflow.
                xScale[p] = dyScale[p] * ((xScale[p] / n) / n)
            } else {
                dyScale[p] = length / epsilon
                xScale[p] = 0
            }
        }
        for c in 0..<channels {
            let xc = x + c * cells, gc = g + c * cells
            for p in 0..<cells { gc[p] = dyScale[p] * gc[p] - xScale[p] * xc[p] }
        }
    }
}
