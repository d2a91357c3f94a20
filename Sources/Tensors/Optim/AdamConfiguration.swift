import Foundation

/// Which release of `torch.optim.Adam` the update copies. They differ only in where `eps` enters.
///
/// With `m`, `v̂` (= `max_exp_avg_sq` under amsgrad, else `exp_avg_sq`) after step `t` (1-based):
///
/// - `pytorch1_1` (PyTorch ≤ 1.2, the **default**: every released DVE checkpoint was trained with
///   PyTorch 1.1.0): eps is added to the *uncorrected* root, and both corrections go into the step:
///   `p ← p − (lr·√(1−β₂ᵗ)/(1−β₁ᵗ)) · m / (√v̂ + eps)`.
/// - `pytorch1_13` (PyTorch ≥ 1.3, pytorch PR #22628, up to 1.13 as stored in the golden set):
///   `p ← p − (lr/(1−β₁ᵗ)) · m / (√v̂/√(1−β₂ᵗ) + eps)`.
///
/// Both are evaluated with the float32 operation order of PyTorch 1.13's AVX2 kernels (see `Adam`).
/// The golden set's 1.1 trajectories are the 1.1 *formula* run on those kernels (PyTorch 1.1 itself
/// is not runnable there); PyTorch 1.1's own kernels may round an ulp differently.
///
/// Algebraically the 1.1 form equals the 1.13 one with `eps·√(1−β₂ᵗ)` in place of `eps`: in early
/// steps eps is effectively ~30× smaller, which matters only for gradients near 1e-8 (golden
/// README §10 / Q10: up to 4.3e-4 apart on a 1e-9 gradient after 5 steps, ~5e-6 elsewhere).
public enum AdamFormula: String, Sendable, Codable, Equatable, CaseIterable, CustomStringConvertible {
    case pytorch1_1
    case pytorch1_13

    /// The formula a PyTorch release used: `"1.1"`, `"1_13"`, `"1.13.1"`, `"2.0"`. Releases before
    /// 1.3 add eps before the bias correction. `nil` when the text is not `major[._]minor…`.
    public init?(pytorchVersion text: String) {
        let parts = text.split(whereSeparator: { $0 == "." || $0 == "_" })
        guard parts.count >= 2, let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0
        else { return nil }
        self = (major, minor) < (1, 3) ? .pytorch1_1 : .pytorch1_13
    }

    public var description: String { self == .pytorch1_1 ? "PyTorch 1.1 Adam" : "PyTorch 1.13 Adam" }
}

/// The group-independent settings of `torch.optim.Adam`. The defaults are the DVE configs':
/// betas (0.9, 0.999), eps 1e-8, **amsgrad on**, and the PyTorch-1.1 formula.
public struct AdamConfiguration: Sendable, Codable, Equatable, CustomStringConvertible {
    public var beta1: Double
    public var beta2: Double
    public var eps: Double
    public var amsgrad: Bool
    public var formula: AdamFormula

    public init(beta1: Double = 0.9, beta2: Double = 0.999, eps: Double = 1e-8, amsgrad: Bool = true,
                formula: AdamFormula = .pytorch1_1) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.eps = eps
        self.amsgrad = amsgrad
        self.formula = formula
    }

    /// PyTorch's constructor checks: `0 ≤ β < 1`, `eps ≥ 0`, all finite.
    public func validate() throws(OptimizerError) {
        for (name, beta) in [("beta1", beta1), ("beta2", beta2)] where !(beta >= 0 && beta < 1) {
            throw .invalidHyperparameter(name: name, value: beta, requirement: "must lie in [0, 1)")
        }
        guard eps >= 0, eps.isFinite else {
            throw .invalidHyperparameter(name: "eps", value: eps, requirement: "must be finite and ≥ 0")
        }
    }

    public var description: String {
        "\(formula) (betas (\(beta1), \(beta2)), eps \(eps), amsgrad \(amsgrad))"
    }
}

/// Parameters that share a learning rate and weight decay, like one entry of PyTorch's
/// `optimizer.param_groups`. Order within the group is the order the update visits (and the order of
/// `model.parameters()` when built from a model); keys are the state_dict names, used to save state.
public struct ParameterGroup {
    public var parameters: [(key: String, parameter: Parameter)]
    /// The lr the next step uses; schedules overwrite it.
    public var learningRate: Double
    /// The lr at construction (PyTorch's `initial_lr`, the schedulers' `base_lrs`).
    public var initialLearningRate: Double
    /// L2 penalty added to the gradient: `g ← g + weightDecay·p`.
    public var weightDecay: Double

    public init(parameters: [(key: String, parameter: Parameter)], learningRate: Double, weightDecay: Double = 0) {
        self.parameters = parameters
        self.learningRate = learningRate
        self.initialLearningRate = learningRate
        self.weightDecay = weightDecay
    }

    public var keys: [String] { parameters.map(\.key) }
}
