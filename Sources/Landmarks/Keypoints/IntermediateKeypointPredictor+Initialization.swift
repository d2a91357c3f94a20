import Tensors

extension IntermediateKeypointPredictor {
    /// The reference constructor's initialisation, drawn from `generator` (the values are not PyTorch's
    /// stream, the distributions and the wiring are):
    /// 1. `w = randn(C, nA, nI)` (std 1), drawn in row-major order; then
    ///    `inner_conv.weight[a·nI + n, c, 0, 0] = w[c, a, n]` (the reference's `w.view(C, −1).t()`), and
    ///    `descriptors` is the same object.
    /// 2. For a = 0..<nA: `linear[a].weight` (2, 2nI) ~ U(−1/√(2nI), 1/√(2nI)) (`nn.Linear`'s default,
    ///    U(−0.1, 0.1) for nI = 50), then copied into `reg_conv.weight[2a + o, j] = linear[a].weight[o, j]`.
    /// Gradients are zeroed.
    public func initialize(using generator: inout SeededGenerator) {
        let c = descriptorDimension, latent = latentPoints
        let w = Tensor.normal(shape: [c, annotatedPoints, intermediatePoints], using: &generator)
        var inner = Tensor(shape: [latent, c, 1, 1])
        for ci in 0..<c {
            for l in 0..<latent { inner[flat: l * c + ci] = w[flat: ci * latent + l] }
        }
        innerWeight.value = inner
        let bound = Float(1 / Double(2 * intermediatePoints).squareRoot())
        var reg = Tensor(shape: regressionWeight.value.shape)
        let row = 2 * intermediatePoints
        for (a, linear) in linearWeights.enumerated() {
            linear.value = .uniform(shape: [2, row], low: -bound, high: bound, using: &generator)
            for i in 0..<(2 * row) { reg[flat: 2 * a * row + i] = linear.value[flat: i] }
        }
        regressionWeight.value = reg
        zeroGrad()
    }
}
