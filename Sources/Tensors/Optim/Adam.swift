import Foundation

/// `torch.optim.Adam` with parameter groups, L2 weight decay and amsgrad, in the float32 operation
/// order of PyTorch's CPU kernels, so that a step lands on PyTorch's float32 result bit for bit (the
/// golden set only asks for abs 1e-6 on parameters and scaled 1e-5 on moments).
///
/// One step, for every parameter whose gradient is present (`step(skipping:)` names the absent ones),
/// with `t` the parameter's own step count after incrementing it (1-based), `g` its gradient, and
/// every hyper-parameter rounded to Float as PyTorch's scalar arguments are (`lr`-derived step sizes
/// are computed in Double first, as Python does):
/// ```
/// g    ← fma(p, wd, g)                          if wd ≠ 0  (grad.add(p, alpha=wd), AVX2 fmadd)
/// m    ← fma(g, 1−β₁, m·β₁)                     (exp_avg.mul_(β₁).add_(g, alpha=1−β₁))
/// v    ← fma((1−β₂)·g, g, v·β₂)                 (exp_avg_sq.mul_(β₂).addcmul_(g, g, value=1−β₂))
/// v̂    ← max(v̂, v) if amsgrad (NaN-propagating), else v
/// bc₁  = 1 − β₁ᵗ,  bc₂ = 1 − β₂ᵗ                (Double, `pow`)
/// 1.1 : s = −(lr·√bc₂ / bc₁) (Double → Float);  d = √v̂ + eps
/// 1.13: s = −(lr / bc₁)      (Double → Float);  d = √v̂ / Float(√bc₂) + eps
/// p    ← p + (s·m) / d                          (p.addcdiv_(m, d, value=s))
/// ```
/// See `AdamFormula` for the difference between the two releases. The two fused multiply-adds are
/// PyTorch's AVX2 build: `add(alpha:)` is an explicit `fmadd`, and addcmul's `self + (value·t1)·t2`
/// is contracted into one by the compiler. With them, all 5 steps of both formulas in `optim.h5`
/// (parameters and all three moments) are bit-identical to PyTorch's; without the second, ~12% of
/// `exp_avg_sq` elements are one ulp off.
///
/// - Parameters without a gradient are skipped entirely, as PyTorch skips `p.grad is None`: no
///   weight decay, no moment update, no step count, and no state is created for them.
/// - Unlike PyTorch 1.1, which adds the weight decay *into* `p.grad` in place (Q10), the gradient is
///   never modified. The trainer zeroes gradients before every backward pass, so the results agree.
/// - Zero gradients are *present* gradients: a parameter whose gradient is all zeros is still decayed
///   and its moments still decay, as in PyTorch (`zero_grad()` zeroes, it does not set `None`).
/// - State (step counts and moments) is per parameter and can be saved and restored exactly
///   (`saveState()`, `loadState(_:)`), for bit-identical resume.
public final class Adam {
    public let configuration: AdamConfiguration
    public internal(set) var groups: [ParameterGroup]
    /// `slots[g][i]` is the state of `groups[g].parameters[i]`; nil until its first step.
    var slots: [[AdamParameterState?]]

    /// Validates the hyper-parameters (`lr ≥ 0`, `weightDecay ≥ 0`, betas in [0, 1), `eps ≥ 0`, all
    /// finite) and that no key or `Parameter` object appears twice.
    public init(groups: [ParameterGroup], configuration: AdamConfiguration = AdamConfiguration()) throws(OptimizerError) {
        try configuration.validate()
        var keys = Set<String>()
        var objects = Set<ObjectIdentifier>()
        for group in groups {
            try Self.validate(learningRate: group.learningRate)
            guard group.weightDecay >= 0, group.weightDecay.isFinite else {
                throw .invalidHyperparameter(name: "weight_decay", value: group.weightDecay, requirement: "must be finite and ≥ 0")
            }
            for (key, parameter) in group.parameters {
                guard keys.insert(key).inserted, objects.insert(ObjectIdentifier(parameter)).inserted else {
                    throw .duplicateParameter(key: key)
                }
            }
        }
        self.configuration = configuration
        self.groups = groups
        slots = groups.map { [AdamParameterState?](repeating: nil, count: $0.parameters.count) }
    }

    /// A single group holding `parameters` (a model's `namedParameters`, or any subset).
    public convenience init(parameters: [(key: String, parameter: Parameter)], learningRate: Double,
                            weightDecay: Double = 0, configuration: AdamConfiguration = AdamConfiguration()) throws(OptimizerError) {
        try self.init(groups: [ParameterGroup(parameters: parameters, learningRate: learningRate, weightDecay: weightDecay)],
                      configuration: configuration)
    }

    static func validate(learningRate: Double) throws(OptimizerError) {
        guard learningRate >= 0, learningRate.isFinite else {
            throw .invalidHyperparameter(name: "lr", value: learningRate, requirement: "must be finite and ≥ 0")
        }
    }

    /// The lr each group's next step uses, in group order.
    public var learningRates: [Double] { groups.map(\.learningRate) }

    /// Overwrites every group's lr (what a scheduler does); one value per group.
    public func setLearningRates(_ rates: [Double]) throws(OptimizerError) {
        guard rates.count == groups.count else { throw .groupCountMismatch(expected: groups.count, found: rates.count) }
        for rate in rates { try Self.validate(learningRate: rate) }
        for index in groups.indices { groups[index].learningRate = rates[index] }
    }

    /// Zeroes the gradient of every parameter in every group.
    public func zeroGrad() {
        for group in groups { group.parameters.forEach { $0.parameter.zeroGrad() } }
    }

    /// The state of the parameter named `key`, or nil if it has never been stepped (or is unknown).
    public func state(forKey key: String) -> AdamParameterState? {
        for (g, group) in groups.enumerated() {
            if let i = group.parameters.firstIndex(where: { $0.key == key }) { return slots[g][i] }
        }
        return nil
    }

    /// One optimisation step over every group, using each parameter's current `grad`.
    ///
    /// `skipping` names the parameters that received no gradient in this step (PyTorch's
    /// `p.grad is None`, e.g. the keypoint regressor's `descriptors` and `linear.*`, which are not in
    /// the forward graph): they are left untouched. Everything is checked before anything changes.
    public func step(skipping: Set<String> = []) throws(OptimizerError) {
        let known = Set(groups.flatMap(\.keys))
        if let unknown = skipping.subtracting(known).sorted().first { throw .unknownParameter(key: unknown) }
        for group in groups {
            for (key, parameter) in group.parameters where !skipping.contains(key) {
                guard parameter.grad.count == parameter.value.count else {
                    throw .gradientShapeMismatch(key: key, valueCount: parameter.value.count, gradientCount: parameter.grad.count)
                }
            }
        }
        for g in groups.indices {
            let group = groups[g]
            for (i, entry) in group.parameters.enumerated() where !skipping.contains(entry.key) {
                let count = entry.parameter.value.count
                // Move the state out so its buffers are uniquely referenced while being written.
                var state = slots[g][i] ?? AdamParameterState(count: count, amsgrad: configuration.amsgrad)
                slots[g][i] = nil
                let grad = entry.parameter.grad.storage
                entry.parameter.value.withUnsafeMutableBufferPointer { value in
                    grad.withUnsafeBufferPointer { gradient in
                        Self.update(value: value, gradient: gradient, state: &state, learningRate: group.learningRate,
                                    weightDecay: group.weightDecay, configuration: configuration)
                    }
                }
                slots[g][i] = state
            }
        }
    }

    /// The update of one parameter (see the type's documentation for the exact operations).
    /// `value`, `gradient` and the state's buffers must have the same count.
    static func update(value p: UnsafeMutableBufferPointer<Float>, gradient: UnsafeBufferPointer<Float>,
                       state: inout AdamParameterState, learningRate lr: Double, weightDecay: Double,
                       configuration c: AdamConfiguration) {
        state.step += 1
        let t = Double(state.step)
        let bc1 = 1 - pow(c.beta1, t)
        let bc2 = 1 - pow(c.beta2, t)
        let stepSize: Float
        let rootCorrection: Float
        switch c.formula {
        case .pytorch1_1:
            stepSize = Float(-(lr * bc2.squareRoot() / bc1))
            rootCorrection = 1
        case .pytorch1_13:
            stepSize = Float(-(lr / bc1))
            rootCorrection = Float(bc2.squareRoot())
        }
        let divideRoot = c.formula == .pytorch1_13
        let b1 = Float(c.beta1), a1 = Float(1 - c.beta1)
        let b2 = Float(c.beta2), a2 = Float(1 - c.beta2)
        let eps = Float(c.eps), wd = Float(weightDecay), decays = weightDecay != 0
        // Take the buffers out of `state` so each is uniquely referenced and written in place.
        var expAvg = state.expAvg, expAvgSq = state.expAvgSq, maximum = state.maxExpAvgSq
        state.expAvg = []
        state.expAvgSq = []
        state.maxExpAvgSq = nil
        expAvg.withUnsafeMutableBufferPointer { m in
            expAvgSq.withUnsafeMutableBufferPointer { v in
                withMaximumBuffer(&maximum) { vmax in
                    for i in 0..<p.count {
                        var g = gradient[i]
                        if decays { g = g.addingProduct(p[i], wd) }
                        let mi = (m[i] * b1).addingProduct(g, a1)
                        let vi = (v[i] * b2).addingProduct(a2 * g, g)
                        m[i] = mi
                        v[i] = vi
                        var r = vi
                        if let vmax {
                            let previous = vmax[i]
                            r = previous.isNaN || vi.isNaN ? .nan : Swift.max(previous, vi)
                            vmax[i] = r
                        }
                        var denominator = r.squareRoot()
                        if divideRoot { denominator = denominator / rootCorrection }
                        denominator = denominator + eps
                        p[i] = p[i] + (stepSize * mi) / denominator
                    }
                }
            }
        }
        state.expAvg = expAvg
        state.expAvgSq = expAvgSq
        state.maxExpAvgSq = maximum
    }

    private static func withMaximumBuffer(_ buffer: inout [Float]?, _ body: (UnsafeMutableBufferPointer<Float>?) -> Void) {
        if buffer == nil { body(nil); return }
        buffer!.withUnsafeMutableBufferPointer { body($0) }
    }
}

/// What Adam remembers about one parameter: PyTorch's `state[p]` (`step`, `exp_avg`, `exp_avg_sq`,
/// and `max_exp_avg_sq` under amsgrad), as flat arrays in the parameter's row-major order.
public struct AdamParameterState: Sendable, Codable, Equatable {
    /// Steps taken by this parameter (it does not advance while the parameter is skipped).
    public var step: Int
    public var expAvg: [Float]
    public var expAvgSq: [Float]
    /// `nil` when amsgrad is off.
    public var maxExpAvgSq: [Float]?

    public init(step: Int, expAvg: [Float], expAvgSq: [Float], maxExpAvgSq: [Float]?) {
        self.step = step
        self.expAvg = expAvg
        self.expAvgSq = expAvgSq
        self.maxExpAvgSq = maxExpAvgSq
    }

    /// The zero state PyTorch creates at a parameter's first step.
    public init(count: Int, amsgrad: Bool) {
        self.init(step: 0, expAvg: [Float](repeating: 0, count: count), expAvgSq: [Float](repeating: 0, count: count),
                  maxExpAvgSq: amsgrad ? [Float](repeating: 0, count: count) : nil)
    }
}
