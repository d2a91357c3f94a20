/// `nn.LeakyReLU(negative_slope)`; with slope 0 it is `nn.ReLU`.
///
/// The derivative at exactly 0 follows PyTorch: the negative branch (slope) is taken for x ≤ 0.
public final class LeakyReLU: Layer {
    public let negativeSlope: Float
    private var output = Tensor.empty
    private var gradInput = Tensor.empty
    private var cachedOutput: Tensor?

    public init(negativeSlope: Float) { self.negativeSlope = negativeSlope }

    public var stateEntries: [(key: String, entry: StateEntry)] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        output.prepare(shape: input.shape)
        let slope = negativeSlope
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                for i in 0..<x.count {
                    let v = x[i]
                    y[i] = v > 0 ? v : v * slope
                }
            }
        }
        cachedOutput = training ? output : nil
        return output
    }

    /// Uses the output's sign, which equals the input's for any slope ≥ 0 (for slope 0 an output of 0
    /// means x ≤ 0, where PyTorch's ReLU gradient is 0 too).
    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let y = cachedOutput else { preconditionFailure("LeakyReLU.backward without a training forward") }
        cachedOutput = nil
        gradInput.prepare(shape: gradOutput.shape)
        let slope = negativeSlope
        y.withUnsafeBufferPointer { y in
            gradOutput.withUnsafeBufferPointer { gy in
                gradInput.withUnsafeMutableBufferPointer { gx in
                    for i in 0..<gy.count {
                        gx[i] = y[i] > 0 ? gy[i] : gy[i] * slope
                    }
                }
            }
        }
        return gradInput
    }
}

public func ReLU() -> LeakyReLU { LeakyReLU(negativeSlope: 0) }
