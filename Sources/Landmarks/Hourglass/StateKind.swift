import Tensors

/// What a `state_dict` entry is, in the words of the golden file's `state_dict_kinds`
/// (`conv_weight`, …, `bn_num_batches_tracked`). Initialisers and the formula weights choose a value
/// rule by kind, and a conv weight's rule also needs its fan-in.
public enum StateKind: String, Sendable, CaseIterable, Equatable {
    case convWeight = "conv_weight"
    case convBias = "conv_bias"
    case bnWeight = "bn_weight"
    case bnBias = "bn_bias"
    case bnRunningMean = "bn_running_mean"
    case bnRunningVar = "bn_running_var"
    case bnNumBatchesTracked = "bn_num_batches_tracked"
}

/// One entry of a model's state with its kind. `fanIn` is `in_channels/groups · kh · kw` of the
/// convolution the entry belongs to (its weight's `shape[1]·shape[2]·shape[3]`), nil for BatchNorm.
public struct ClassifiedStateEntry {
    public var key: String
    public var kind: StateKind
    public var entry: StateEntry
    public var fanIn: Int?
}

/// Classifies every state entry of `model`, in state_dict order, by finding the `Conv2d` and
/// `BatchNorm2d` objects it belongs to through `LayerContainer` (identity, not key names, so a renamed
/// key cannot be misread). Returns nil when an entry belongs to neither (a model with other layer
/// types): such a model has no kinds in this vocabulary.
public func classifiedStateEntries(of model: any Layer) -> [ClassifiedStateEntry]? {
    var kinds: [ObjectIdentifier: (StateKind, Int?)] = [:]
    for conv in convolutions(in: model) {
        let fanIn = conv.inChannels / conv.groups * conv.kernel * conv.kernel
        kinds[ObjectIdentifier(conv.weight)] = (.convWeight, fanIn)
        if let bias = conv.bias { kinds[ObjectIdentifier(bias)] = (.convBias, fanIn) }
    }
    for bn in batchNorms(in: model) {
        kinds[ObjectIdentifier(bn.weight)] = (.bnWeight, nil)
        kinds[ObjectIdentifier(bn.bias)] = (.bnBias, nil)
        kinds[ObjectIdentifier(bn.runningMean)] = (.bnRunningMean, nil)
        kinds[ObjectIdentifier(bn.runningVar)] = (.bnRunningVar, nil)
        kinds[ObjectIdentifier(bn.numBatchesTracked)] = (.bnNumBatchesTracked, nil)
    }
    var result: [ClassifiedStateEntry] = []
    for (key, entry) in model.stateEntries {
        let id: ObjectIdentifier
        switch entry {
        case .parameter(let p): id = ObjectIdentifier(p)
        case .buffer(let b): id = ObjectIdentifier(b)
        case .counter(let c): id = ObjectIdentifier(c)
        }
        guard let (kind, fanIn) = kinds[id] else { return nil }
        result.append(ClassifiedStateEntry(key: key, kind: kind, entry: entry, fanIn: fanIn))
    }
    return result
}
