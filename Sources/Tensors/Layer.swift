/// A differentiable building block with PyTorch-named state.
///
/// `forward(_:training:)` with `training: true` remembers what `backward` needs; `backward` consumes
/// that memory, accumulates parameter gradients into `Parameter.grad` (like PyTorch, it adds to what
/// is there) and returns the gradient with respect to the input. Layers own and reuse their output
/// and gradient buffers, so a caller that keeps a returned tensor across the next call pays for a copy.
public protocol Layer: StateHolder {
    func forward(_ input: Tensor, training: Bool) -> Tensor
    func backward(_ gradOutput: Tensor) -> Tensor
}

/// Layers applied in order; state keys are prefixed by each child's name, as `nn.Sequential` and
/// named submodules do.
public final class Sequential: Layer {
    public let children: [(name: String, layer: any Layer)]

    public init(_ children: [(name: String, layer: any Layer)]) {
        self.children = children
    }

    /// Children named "0", "1", … as `nn.Sequential(a, b, …)` names them.
    public convenience init(indexed layers: [any Layer]) {
        self.init(layers.enumerated().map { (String($0.offset), $0.element) })
    }

    public var stateEntries: [(key: String, entry: StateEntry)] {
        children.flatMap { prefixed($0.name, $0.layer.stateEntries) }
    }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        forward(input, training: training, tap: nil)
    }

    /// `tap` sees each child's output under the child's name (for per-block diagnostics).
    public func forward(_ input: Tensor, training: Bool, tap: ((String, Tensor) -> Void)?) -> Tensor {
        var x = input
        for (name, layer) in children {
            x = layer.forward(x, training: training)
            tap?(name, x)
        }
        return x
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        var g = gradOutput
        for (_, layer) in children.reversed() {
            g = layer.backward(g)
        }
        return g
    }
}
