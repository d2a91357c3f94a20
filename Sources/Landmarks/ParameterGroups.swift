import Tensors

/// How the reference `train.py` hands a model's parameters to the optimiser (quirk Q12).
///
/// - Without `bias_lr`: one group, every trainable parameter in `model.parameters()` order, at `lr`.
/// - With `bias_lr` (all `configs/celeba/smallnet-*` configs, 1e-5): two groups, both in
///   `model.parameters()` order —
///   - group 0: every trainable parameter that is **not** a `Conv2d` bias, at `lr`. That includes the
///     conv weights **and the BatchNorm weights and biases** (only `nn.Conv2d` biases are split off);
///   - group 1: the `Conv2d` biases, at `bias_lr`.
///   Both groups get the optimiser's weight decay, and a scheduler multiplies both by γ.
///   For SmallNet that is 16 and 6 tensors.
///
/// "Trainable" is every `Parameter` of the model (DVEBench has no `requires_grad = False`; a frozen
/// backbone is simply not handed over). A `Parameter` object reachable under two keys is listed once,
/// under its first key, as `model.parameters()` deduplicates shared parameters.
///
/// Convolution biases are found by walking the layer tree (`convolutions(in:)`), so a model must expose
/// its children through `LayerContainer` (SmallNet does); a bias of a convolution hidden inside a
/// non-container layer would stay in group 0.
public enum ParameterGrouping {
    /// One group with every parameter of `model` at `learningRate`.
    public static func single(_ model: any Layer, learningRate: Double, weightDecay: Double = 0) -> [ParameterGroup] {
        [ParameterGroup(parameters: uniqueParameters(model), learningRate: learningRate, weightDecay: weightDecay)]
    }

    /// The `bias_lr` split: group 0 (not Conv2d biases) at `learningRate`, group 1 (Conv2d biases) at
    /// `biasLearningRate`.
    public static func biasLR(_ model: any Layer, learningRate: Double, biasLearningRate: Double,
                              weightDecay: Double = 0) -> [ParameterGroup] {
        let convBiases = Set(convolutions(in: model).compactMap(\.bias).map(ObjectIdentifier.init))
        let parameters = uniqueParameters(model)
        let weights = parameters.filter { !convBiases.contains(ObjectIdentifier($0.parameter)) }
        let biases = parameters.filter { convBiases.contains(ObjectIdentifier($0.parameter)) }
        return [ParameterGroup(parameters: weights, learningRate: learningRate, weightDecay: weightDecay),
                ParameterGroup(parameters: biases, learningRate: biasLearningRate, weightDecay: weightDecay)]
    }

    /// What `train.py` builds from a config: `biasLR` when `bias_lr` is set, `single` otherwise.
    public static func groups(for model: any Layer, learningRate: Double, biasLearningRate: Double?,
                              weightDecay: Double = 0) -> [ParameterGroup] {
        if let biasLearningRate {
            return biasLR(model, learningRate: learningRate, biasLearningRate: biasLearningRate, weightDecay: weightDecay)
        }
        return single(model, learningRate: learningRate, weightDecay: weightDecay)
    }

    /// `model.namedParameters` with repeated `Parameter` objects dropped after their first key.
    static func uniqueParameters(_ model: any Layer) -> [(key: String, parameter: Parameter)] {
        var seen = Set<ObjectIdentifier>()
        return model.namedParameters.filter { seen.insert(ObjectIdentifier($0.parameter)).inserted }
    }
}
