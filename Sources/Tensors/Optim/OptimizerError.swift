/// Why an optimiser or a learning-rate schedule could not be built, stepped or restored. Every case
/// names the offending parameter key, group or value.
public enum OptimizerError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A hyper-parameter outside its domain (`lr < 0`, `beta ∉ [0, 1)`, `eps < 0`, a non-finite value…).
    case invalidHyperparameter(name: String, value: Double, requirement: String)
    /// The same key, or the same `Parameter` object under two keys, appears more than once across the
    /// groups (PyTorch: "some parameters appear in more than one parameter group").
    case duplicateParameter(key: String)
    /// A group index or a list of per-group values that does not fit the optimiser's groups.
    case groupCountMismatch(expected: Int, found: Int)
    /// `step(skipping:)` named a key that no group holds.
    case unknownParameter(key: String)
    /// A parameter's gradient does not have as many elements as its value.
    case gradientShapeMismatch(key: String, valueCount: Int, gradientCount: Int)
    /// Restoring state: the saved groups list other keys than the optimiser's groups.
    case stateGroupMismatch(group: Int, expected: [String], found: [String])
    /// Restoring state: a saved moment buffer does not have the parameter's element count, or
    /// `max_exp_avg_sq` is missing under amsgrad.
    case stateShapeMismatch(key: String, buffer: String, expected: Int, found: Int)
    /// Restoring state: saved with another formula, betas, eps or amsgrad setting.
    case stateConfigurationMismatch(expected: AdamConfiguration, found: AdamConfiguration)
    /// A schedule that cannot be evaluated (`StepLR` with a step size below 1, a non-finite gamma…).
    case invalidSchedule(String)

    public var description: String {
        switch self {
        case .invalidHyperparameter(let name, let value, let requirement):
            "invalid optimiser hyper-parameter \(name) = \(value): \(requirement)"
        case .duplicateParameter(let key):
            "parameter \(key) appears more than once in the optimiser's parameter groups"
        case .groupCountMismatch(let expected, let found):
            "the optimiser has \(expected) parameter groups, got \(found)"
        case .unknownParameter(let key):
            "no parameter group holds a parameter named \(key)"
        case .gradientShapeMismatch(let key, let valueCount, let gradientCount):
            "parameter \(key) has \(valueCount) elements but its gradient has \(gradientCount)"
        case .stateGroupMismatch(let group, let expected, let found):
            "saved optimiser state for group \(group) lists \(found.count) parameters \(found.prefix(4))…, the optimiser has \(expected.count) \(expected.prefix(4))…"
        case .stateShapeMismatch(let key, let buffer, let expected, let found):
            "saved optimiser state \(key).\(buffer) has \(found) elements, the parameter has \(expected)"
        case .stateConfigurationMismatch(let expected, let found):
            "saved optimiser state was made with \(found), this optimiser uses \(expected)"
        case .invalidSchedule(let message):
            "invalid learning-rate schedule: \(message)"
        }
    }
}
