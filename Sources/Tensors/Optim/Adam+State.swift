/// Everything an `Adam` needs to continue exactly where it stopped: PyTorch's
/// `optimizer.state_dict()` with parameters named by their state_dict keys instead of `id()`s.
///
/// Plain values (Codable, Equatable, Sendable): a checkpoint writer can store it as JSON, HDF5 or
/// anything else; restoring it into an optimiser over the same parameters and then stepping gives
/// bit-identical results to never having stopped.
public struct AdamState: Sendable, Codable, Equatable {
    /// One parameter group's settings and membership (`param_groups[g]`).
    public struct Group: Sendable, Codable, Equatable {
        public var keys: [String]
        public var learningRate: Double
        public var initialLearningRate: Double
        public var weightDecay: Double

        public init(keys: [String], learningRate: Double, initialLearningRate: Double, weightDecay: Double) {
            self.keys = keys
            self.learningRate = learningRate
            self.initialLearningRate = initialLearningRate
            self.weightDecay = weightDecay
        }
    }

    public var configuration: AdamConfiguration
    public var groups: [Group]
    /// State of every parameter stepped at least once, by key. Parameters that never had a gradient
    /// have no entry, as in PyTorch.
    public var parameters: [String: AdamParameterState]

    public init(configuration: AdamConfiguration, groups: [Group], parameters: [String: AdamParameterState]) {
        self.configuration = configuration
        self.groups = groups
        self.parameters = parameters
    }
}

extension Adam {
    /// A copy of the optimiser's state (group settings, step counts, moments).
    public func saveState() -> AdamState {
        var parameters: [String: AdamParameterState] = [:]
        for (g, group) in groups.enumerated() {
            for (i, entry) in group.parameters.enumerated() {
                if let state = slots[g][i] { parameters[entry.key] = state }
            }
        }
        return AdamState(configuration: configuration,
                         groups: groups.map { AdamState.Group(keys: $0.keys, learningRate: $0.learningRate,
                                                              initialLearningRate: $0.initialLearningRate,
                                                              weightDecay: $0.weightDecay) },
                         parameters: parameters)
    }

    /// Restores a saved state: group lrs, initial lrs and weight decays, and every parameter's step
    /// count and moments. Parameters without a saved entry start fresh at their next step.
    ///
    /// Stricter than PyTorch's `load_state_dict`, which adopts whatever hyper-parameters were saved:
    /// the saved configuration (formula, betas, eps, amsgrad) must equal this optimiser's, the groups
    /// must list the same keys in the same order, and every buffer must have its parameter's element
    /// count. Nothing changes unless everything fits.
    public func loadState(_ saved: AdamState) throws(OptimizerError) {
        guard saved.configuration == configuration else {
            throw .stateConfigurationMismatch(expected: configuration, found: saved.configuration)
        }
        guard saved.groups.count == groups.count else {
            throw .groupCountMismatch(expected: groups.count, found: saved.groups.count)
        }
        var counts: [String: Int] = [:]
        for (g, group) in groups.enumerated() {
            guard saved.groups[g].keys == group.keys else {
                throw .stateGroupMismatch(group: g, expected: group.keys, found: saved.groups[g].keys)
            }
            try Self.validate(learningRate: saved.groups[g].learningRate)
            try Self.validate(learningRate: saved.groups[g].initialLearningRate)
            let decay = saved.groups[g].weightDecay
            guard decay >= 0, decay.isFinite else {
                throw .invalidHyperparameter(name: "weight_decay", value: decay, requirement: "must be finite and ≥ 0")
            }
            for (key, parameter) in group.parameters { counts[key] = parameter.value.count }
        }
        for key in saved.parameters.keys.sorted() {
            guard let count = counts[key], let state = saved.parameters[key] else { throw .unknownParameter(key: key) }
            guard state.step >= 1 else {
                throw .invalidHyperparameter(name: "\(key).step", value: Double(state.step), requirement: "a stepped parameter has step ≥ 1")
            }
            let maxCount = state.maxExpAvgSq?.count ?? (configuration.amsgrad ? -1 : 0)
            for (buffer, found, expected) in [("exp_avg", state.expAvg.count, count), ("exp_avg_sq", state.expAvgSq.count, count),
                                              ("max_exp_avg_sq", maxCount, configuration.amsgrad ? count : 0)]
            where found != expected {
                throw .stateShapeMismatch(key: key, buffer: buffer, expected: expected, found: found)
            }
        }
        for (g, group) in groups.enumerated() {
            groups[g].learningRate = saved.groups[g].learningRate
            groups[g].initialLearningRate = saved.groups[g].initialLearningRate
            groups[g].weightDecay = saved.groups[g].weightDecay
            slots[g] = group.parameters.map { saved.parameters[$0.key] }
        }
    }
}
