/// A learnable tensor with its accumulated gradient. Shared by reference between a layer and the
/// optimiser, as PyTorch's `Parameter` is.
public final class Parameter {
    public var value: Tensor
    public var grad: Tensor

    public init(_ value: Tensor) {
        self.value = value
        self.grad = Tensor(shape: value.shape)
    }

    public func zeroGrad() { grad.prepareZeroed(shape: value.shape) }
}

/// A non-learnable float state tensor (BatchNorm running statistics).
public final class Buffer {
    public var value: Tensor
    public init(_ value: Tensor) { self.value = value }
}

/// An int64 scalar state entry (`num_batches_tracked`).
public final class Counter {
    public var value: Int64
    public init(_ value: Int64 = 0) { self.value = value }
}

/// One entry of a module's state, as it appears in a PyTorch `state_dict`.
public enum StateEntry {
    case parameter(Parameter)
    case buffer(Buffer)
    case counter(Counter)

    public var shape: [Int] {
        switch self {
        case .parameter(let p): p.value.shape
        case .buffer(let b): b.value.shape
        case .counter: []
        }
    }
}

/// Anything that owns named state: entries come in PyTorch `state_dict` order, keyed relative to the
/// module (`weight`, `0.bias`, `conv1.1.running_mean`).
public protocol StateHolder: AnyObject {
    var stateEntries: [(key: String, entry: StateEntry)] { get }
}

extension StateHolder {
    /// The trainable parameters in state_dict order.
    public var namedParameters: [(key: String, parameter: Parameter)] {
        stateEntries.compactMap { item in
            if case .parameter(let p) = item.entry { return (item.key, p) }
            return nil
        }
    }

    public var parameterCount: Int { namedParameters.reduce(0) { $0 + $1.parameter.value.count } }

    public func zeroGrad() { namedParameters.forEach { $0.parameter.zeroGrad() } }
}

/// Prefixes child keys the way PyTorch composes module names (`conv1` + `0.weight` → `conv1.0.weight`).
public func prefixed(_ prefix: String, _ entries: [(key: String, entry: StateEntry)]) -> [(key: String, entry: StateEntry)] {
    entries.map { (prefix + "." + $0.key, $0.entry) }
}
