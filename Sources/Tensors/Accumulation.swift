/// The precision in which a kernel sums products.
///
/// Float32 summation differs from any other summation order by about 1e-7 relative per reduction,
/// compounding to about 1e-6 through a network. That is harmless except at discontinuities: a
/// LeakyReLU input within ~1e-6 of 0 can take the other branch than PyTorch's float32 run took, which
/// changes that channel's gradient by about 1% (golden README §2, "Discontinuities"). PyTorch's
/// float32 run is known to take the float64 branches on the golden inputs, so summing in Float64 lets
/// a verifier take them too. Training and evaluation use `.float32`.
public enum Accumulation: Sendable, Equatable {
    case float32
    case float64
}

/// A layer made of other layers, so network-wide settings can reach every leaf.
public protocol LayerContainer {
    var sublayers: [any Layer] { get }
}

extension Sequential: LayerContainer {
    public var sublayers: [any Layer] { children.map(\.layer) }
}

/// Every convolution inside `layer` (itself included), in forward order.
public func convolutions(in layer: any Layer) -> [Conv2d] {
    if let conv = layer as? Conv2d { return [conv] }
    if let container = layer as? any LayerContainer { return container.sublayers.flatMap(convolutions(in:)) }
    return []
}

/// Sets how every convolution inside `layer` sums its forward products.
public func setAccumulation(_ accumulation: Accumulation, in layer: any Layer) {
    convolutions(in: layer).forEach { $0.accumulation = accumulation }
}

/// Sets which arithmetic every convolution inside `layer` uses (benchmarks compare the two).
public func setConvolutionAlgorithm(_ algorithm: ConvolutionAlgorithm, in layer: any Layer) {
    convolutions(in: layer).forEach { $0.algorithm = algorithm }
}
