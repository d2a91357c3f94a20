/// `nn.MaxPool2d(k, stride: k)` with floor mode and no padding.
///
/// Ties go to the first maximum in row-major window order, as PyTorch's CPU kernel does (it replaces
/// the running max only on a strictly greater value or a NaN); the gradient goes to that element only.
public final class MaxPool2d: Layer {
    public let kernel: Int
    private var output = Tensor.empty
    private var argmax: [Int32] = []
    private var gradInput = Tensor.empty
    private var inputShape: [Int]?

    public init(kernel: Int) { self.kernel = kernel }

    public var stateEntries: [(key: String, entry: StateEntry)] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        let (n, c, h, w) = input.nchw
        let k = kernel
        let ho = h / k, wo = w / k
        output.prepare(shape: [n, c, ho, wo])
        if argmax.count != output.count { argmax = [Int32](repeating: 0, count: output.count) }
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                argmax.withUnsafeMutableBufferPointer { arg in
                    for plane in 0..<(n * c) {
                        let xp = x.baseAddress! + plane * h * w
                        let base = plane * ho * wo
                        for oy in 0..<ho {
                            for ox in 0..<wo {
                                var best = -Float.infinity
                                var bestIndex = (oy * k) * w + ox * k
                                for ky in 0..<k {
                                    let row = (oy * k + ky) * w + ox * k
                                    for kx in 0..<k {
                                        let v = xp[row + kx]
                                        if v > best || v.isNaN { best = v; bestIndex = row + kx }
                                    }
                                }
                                y[base + oy * wo + ox] = best
                                arg[base + oy * wo + ox] = Int32(bestIndex)
                            }
                        }
                    }
                }
            }
        }
        inputShape = training ? input.shape : nil
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("MaxPool2d.backward without a training forward") }
        inputShape = nil
        gradInput.prepareZeroed(shape: shape)
        let plane = shape[2] * shape[3]
        let outPlane = gradOutput.shape[2] * gradOutput.shape[3]
        gradOutput.withUnsafeBufferPointer { gy in
            argmax.withUnsafeBufferPointer { arg in
                gradInput.withUnsafeMutableBufferPointer { gx in
                    for i in 0..<gy.count {
                        let p = i / outPlane
                        gx[p * plane + Int(arg[i])] += gy[i]
                    }
                }
            }
        }
        return gradInput
    }
}
