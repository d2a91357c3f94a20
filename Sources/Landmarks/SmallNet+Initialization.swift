import Tensors

extension SmallNet {
    /// SmallNet's own initialisation (`model/smallnet.py __init__`): conv biases 0, conv weights
    /// `xavier_normal_` (std = √(2 / (fan_in + fan_out)), fan = channels·k²), then the BatchNorm
    /// defaults of the PyTorch that trained the released models. PyTorch 1.1 drew BN weights from
    /// U(0, 1) (PyTorch ≥ 1.2 uses 1); BN biases 0, running mean 0, running variance 1, counters 0.
    /// Draws come from `generator` in state_dict order; the values are not PyTorch's stream.
    public func initialize(using generator: inout SeededGenerator) {
        for conv in convolutions(in: self) {
            let k2 = conv.kernel * conv.kernel
            let fanIn = conv.inChannels / conv.groups * k2, fanOut = conv.outChannels / conv.groups * k2
            let std = Float((2.0 / Double(fanIn + fanOut)).squareRoot())
            conv.weight.value = .normal(shape: conv.weight.value.shape, std: std, using: &generator)
            conv.bias?.value = Tensor(shape: [conv.outChannels])
        }
        for bn in batchNorms(in: self) {
            bn.weight.value = .uniform(shape: [bn.channels], low: 0, high: 1, using: &generator)
            bn.bias.value = Tensor(shape: [bn.channels])
            bn.runningMean.value = Tensor(shape: [bn.channels])
            bn.runningVar.value = Tensor(shape: [bn.channels], repeating: 1)
            bn.numBatchesTracked.value = 0
        }
        zeroGrad()
    }
}

/// Every BatchNorm inside `layer`, in forward order.
func batchNorms(in layer: any Layer) -> [BatchNorm2d] {
    if let bn = layer as? BatchNorm2d { return [bn] }
    if let container = layer as? any LayerContainer { return container.sublayers.flatMap(batchNorms(in:)) }
    return []
}
