/// `nn.Upsample(scale_factor: s)` in its default mode, `'nearest'`, for an integer factor `s`.
///
/// Output pixel (y, x) copies input pixel (y / s, x / s) (integer division), so every input pixel
/// becomes an s×s block. PyTorch's nearest rule is `src = floor(dst · (1/s))`; for an integer factor
/// that is exactly `dst / s`, so there is no rounding question. Backward sums each s×s block of the
/// output gradient into its source pixel.
///
/// The static kernels let a caller fuse the upsample into a residual sum (`skip + up(x)`, the
/// hourglass's `sumN`) without a buffer for the upsampled tensor.
public final class UpsampleNearest2d: Layer {
    public let scale: Int
    private var output = Tensor.empty
    private var gradInput = Tensor.empty
    private var inputShape: [Int]?

    public init(scale: Int = 2) {
        precondition(scale >= 1, "UpsampleNearest2d scale must be ≥ 1, got \(scale)")
        self.scale = scale
    }

    public var stateEntries: [(key: String, entry: StateEntry)] { [] }

    public func forward(_ input: Tensor, training: Bool) -> Tensor {
        Self.upsample(input, scale: scale, adding: nil, into: &output)
        inputShape = training ? input.shape : nil
        return output
    }

    public func backward(_ gradOutput: Tensor) -> Tensor {
        guard let shape = inputShape else { preconditionFailure("UpsampleNearest2d.backward without a training forward") }
        inputShape = nil
        Self.blockSum(gradOutput, scale: scale, inputShape: shape, into: &gradInput)
        return gradInput
    }

    /// `output = up(input)`, or `skip + up(input)` when `skip` is given (it must have the upsampled shape).
    /// Each element is one rounding: `skip[i] + input[src(i)]`.
    public static func upsample(_ input: Tensor, scale s: Int, adding skip: Tensor?, into output: inout Tensor) {
        let (n, c, h, w) = input.nchw
        let outShape = [n, c, h * s, w * s]
        if let skip {
            precondition(skip.shape == outShape, "skip \(skip.shape) does not match upsampled shape \(outShape)")
        }
        output.prepare(shape: outShape)
        let ow = w * s, outPlane = h * s * ow, inPlane = h * w
        input.withUnsafeBufferPointer { x in
            output.withUnsafeMutableBufferPointer { y in
                let xs = SharedConstPointer(x.baseAddress!), ys = SharedPointer(y.baseAddress!)
                let body: @Sendable (UnsafePointer<Float>?) -> Void = { skipBase in
                    let ss = skipBase.map { SharedConstPointer($0) }
                    parallelChunks(total: n * c) { _, planes in
                        for plane in planes {
                            let xp = xs.advanced(by: plane * inPlane), yp = ys.advanced(by: plane * outPlane)
                            let sp = ss?.advanced(by: plane * outPlane)
                            for oy in 0..<(h * s) {
                                let row = xp + (oy / s) * w
                                let yr = yp + oy * ow
                                if let sp {
                                    let sr = sp + oy * ow
                                    for ox in 0..<ow { yr[ox] = sr[ox] + row[ox / s] }
                                } else {
                                    for ox in 0..<ow { yr[ox] = row[ox / s] }
                                }
                            }
                        }
                    }
                }
                if let skip { skip.withUnsafeBufferPointer { body($0.baseAddress!) } } else { body(nil) }
            }
        }
    }

    /// The gradient of `up` with respect to its input: `gradInput[p] = Σ` of the s×s block of
    /// `gradOutput` that `p` was copied to. `inputShape` is the shape of the upsampled tensor's source.
    public static func blockSum(_ gradOutput: Tensor, scale s: Int, inputShape: [Int], into gradInput: inout Tensor) {
        precondition(inputShape.count == 4, "expected an NCHW input shape, got \(inputShape)")
        let n = inputShape[0], c = inputShape[1], h = inputShape[2], w = inputShape[3]
        precondition(gradOutput.shape == [n, c, h * s, w * s],
                     "gradient \(gradOutput.shape) does not match the upsampled shape of \(inputShape)")
        gradInput.prepare(shape: inputShape)
        let ow = w * s, outPlane = h * s * ow, inPlane = h * w
        gradOutput.withUnsafeBufferPointer { gy in
            gradInput.withUnsafeMutableBufferPointer { gx in
                let gys = SharedConstPointer(gy.baseAddress!), gxs = SharedPointer(gx.baseAddress!)
                parallelChunks(total: n * c) { _, planes in
                    for plane in planes {
                        let src = gys.advanced(by: plane * outPlane), dst = gxs.advanced(by: plane * inPlane)
                        for iy in 0..<h {
                            for ix in 0..<w {
                                var sum: Float = 0
                                for dy in 0..<s {
                                    let row = src + (iy * s + dy) * ow + ix * s
                                    for dx in 0..<s { sum += row[dx] }
                                }
                                dst[iy * w + ix] = sum
                            }
                        }
                    }
                }
            }
        }
    }
}
