/// `torch.linspace(start, end, steps)` in float32, reproduced bit for bit in two PyTorch versions.
///
/// The reference builds every pixel grid from `linspace(-1, 1, n)` followed by `grid_unnormalize`, so
/// "integer" pixel coordinates carry float32 noise (pixel 2 of 100 is 1.999999 in both variants). Warped
/// keypoints are such pixel coordinates, and the noise decides `np.round` ties downstream (golden
/// README quirk Q9). The two versions produce different noise patterns, hence two variants.
///
/// Both variants share `step = (end − start) / Float(count − 1)`, one float32 division. `count == 0`
/// gives `[]`, `count == 1` gives `[start]` (PyTorch fills with `start` without computing a step) and a
/// negative count gives `[]` (PyTorch raises; callers validate sizes first).
public enum Linspace {
    public enum Variant: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
        /// PyTorch 1.1 (`linspace_cpu_out`, compiled for baseline x86-64, so no FMA):
        /// element `i` is `start + Float(i) · step`, the product rounded to float32, then the sum.
        /// PyTorch 1.1 cannot run here; this is the emulation the golden README (Q9) documents and
        /// stores under `linspace/torch1_1_*`, which this variant matches bit for bit.
        ///
        /// This is what the paper's 2019 runs (PyTorch 1.1) computed, so it reproduces their keypoint
        /// noise. The golden outputs (grids, keypoints) were *not* made with it.
        case torch1_1
        /// PyTorch 1.13 on an AVX2 CPU (`linspace_kernel` through `cpu_serial_kernel_vec`), which made
        /// the golden files (`tps.h5`, `keypoints.h5`, …) and is therefore the default.
        ///
        /// With `halfway = count / 2` (integer division) and `fused(i)` defined as
        /// `fma(step, Float(i), start)` when `i < halfway`, else `fma(−step, Float(count − 1 − i), end)`:
        /// - the first `count − count % 16` elements come in chunks of 16, each two vectors of 8 lanes.
        ///   A vector whose first index is `i` has `base = fused(i)` (the halfway test looks at `i`
        ///   only, never at the other lanes) and lane `j` is `base + fl(Float(j) · step)`, two roundings;
        /// - the remaining `count % 16` elements are `fused(i)` each.
        ///
        /// This assumes one `parallel_for` chunk, true for `count ≤ 32768` (PyTorch's grain size) or
        /// a single thread.
        case torch1_13

        public var description: String {
            switch self {
            case .torch1_1: "PyTorch 1.1"
            case .torch1_13: "PyTorch 1.13 (AVX2)"
            }
        }
    }

    /// `torch.linspace(start, end, count)` as `variant` computes it (see `Variant`).
    public static func values(from start: Float, to end: Float, count: Int, variant: Variant = .torch1_13) -> [Float] {
        guard count > 1 else { return count == 1 ? [start] : [] }
        let step = (end - start) / Float(count - 1)
        var out = [Float](repeating: 0, count: count)
        switch variant {
        case .torch1_1:
            for i in 0..<count {
                // Two separate roundings: Swift never contracts `a + b * c` into an FMA.
                let offset = Float(i) * step
                out[i] = start + offset
            }
        case .torch1_13:
            let halfway = count / 2
            func fused(_ i: Int) -> Float {
                i < halfway ? start.addingProduct(step, Float(i))
                            : end.addingProduct(-step, Float(count - 1 - i))
            }
            let vectorised = count - count % 16
            var base = 0
            while base < vectorised {
                for i in stride(from: base, to: base + 16, by: 8) {
                    let first = fused(i)
                    for lane in 0..<8 {
                        let offset = Float(lane) * step
                        out[i + lane] = first + offset
                    }
                }
                base += 16
            }
            for i in vectorised..<count { out[i] = fused(i) }
        }
        return out
    }
}
