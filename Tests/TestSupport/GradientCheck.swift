import Tensors

/// Checks a layer's backward against central finite differences.
///
/// The scalar probed is `L(x) = Σ y(x)·R` for a fixed random `R`, accumulated in Float64, and the
/// differences `(L(x + εe) − L(x − εe)) / 2ε` are taken in Float64. The layer itself runs in Float32,
/// so ε is chosen large enough (1e-2 by default) that Float32 rounding of the outputs stays far below
/// the signal; for the piecewise-linear layers (conv, pooling, LeakyReLU away from kinks) the
/// difference quotient is exact up to that rounding, and for BatchNorm its O(ε²) curvature term is
/// well below the tolerance used.
public struct GradientCheck {
    public var epsilon: Double = 1e-2
    public var samples: Int = 40
    public var seed: UInt64 = 1

    public init(epsilon: Double = 1e-2, samples: Int = 40, seed: UInt64 = 1) {
        self.epsilon = epsilon
        self.samples = samples
        self.seed = seed
    }

    public struct Report: CustomStringConvertible {
        /// Largest |analytic − numeric| over the probed coordinates, divided by the largest |numeric|.
        public var worstScaledError: Double
        public var probed: Int
        public var description: String { "worst scaled error \(worstScaledError) over \(probed) coordinates" }
    }

    private static func loss(_ y: Tensor, _ r: Tensor) -> Double {
        var s = 0.0
        for i in 0..<y.count { s += Double(y[flat: i]) * Double(r[flat: i]) }
        return s
    }

    /// Probes the input gradient and the gradient of every parameter at `samples` random coordinates
    /// each. `training` selects BatchNorm's batch statistics. Returns one report per probed tensor,
    /// keyed "input" or the parameter's state key.
    public func run(_ layer: any Layer, input: Tensor, training: Bool = true) -> [String: Report] {
        var rng = SeededGenerator(seed: seed)
        let y0 = layer.forward(input, training: training)
        let r = Tensor.normal(shape: y0.shape, using: &rng)
        layer.zeroGrad()
        let gx = layer.backward(r)
        var reports: [String: Report] = [:]
        var currentInput = input

        func probe(count: Int, analytic: (Int) -> Double, perturb: (Int, Float) -> Void) -> Report {
            var worst = 0.0, scale = 0.0
            var diffs: [(Double, Double)] = []
            for _ in 0..<min(samples, count) {
                let i = Int(rng.next() % UInt64(count))
                perturb(i, Float(epsilon))
                let plus = Self.loss(layer.forward(currentInput, training: training), r)
                perturb(i, Float(-2 * epsilon))
                let minus = Self.loss(layer.forward(currentInput, training: training), r)
                perturb(i, Float(epsilon))
                let numeric = (plus - minus) / (2 * epsilon)
                diffs.append((analytic(i), numeric))
                scale = max(scale, abs(numeric))
            }
            for (a, n) in diffs { worst = max(worst, abs(a - n)) }
            return Report(worstScaledError: scale > 0 ? worst / scale : worst, probed: diffs.count)
        }

        reports["input"] = probe(count: input.count, analytic: { Double(gx[flat: $0]) },
                                 perturb: { i, d in currentInput[flat: i] += d })
        for (key, p) in layer.namedParameters {
            let grad = p.grad
            reports[key] = probe(count: p.value.count, analytic: { Double(grad[flat: $0]) },
                                 perturb: { i, d in p.value[flat: i] += d })
        }
        return reports
    }
}
