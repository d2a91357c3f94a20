import Testing
import Tensors
import TestSupport

/// Direct (no im2col) convolution in Float64, the textbook definition, as the forward oracle.
func naiveConv(_ x: Tensor, _ conv: Conv2d) -> [Double] {
    let (n, _, h, w) = x.nchw
    let ho = conv.outputSize(h), wo = conv.outputSize(w)
    let cinG = conv.inChannels / conv.groups, coutG = conv.outChannels / conv.groups
    let k = conv.kernel
    var out = [Double](repeating: 0, count: n * conv.outChannels * ho * wo)
    for b in 0..<n {
        for o in 0..<conv.outChannels {
            let g = o / coutG
            for oy in 0..<ho {
                for ox in 0..<wo {
                    var s = Double(conv.bias?.value[flat: o] ?? 0)
                    for c in 0..<cinG {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy * conv.stride - conv.padding + ky * conv.dilation
                                let ix = ox * conv.stride - conv.padding + kx * conv.dilation
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                let xv = x[flat: ((b * conv.inChannels + g * cinG + c) * h + iy) * w + ix]
                                let wv = conv.weight.value[flat: ((o * cinG + c) * k + ky) * k + kx]
                                s += Double(xv) * Double(wv)
                            }
                        }
                    }
                    out[((b * conv.outChannels + o) * ho + oy) * wo + ox] = s
                }
            }
        }
    }
    return out
}

struct ConvCase: CustomStringConvertible, Sendable {
    var cin, cout, kernel, stride, padding, dilation, groups, size: Int
    var description: String {
        "conv \(cin)→\(cout) k\(kernel) s\(stride) p\(padding) d\(dilation) g\(groups) on \(size)×\(size + 1)"
    }
}

let convCases: [ConvCase] = [
    ConvCase(cin: 3, cout: 4, kernel: 5, stride: 1, padding: 2, dilation: 1, groups: 1, size: 9),
    ConvCase(cin: 4, cout: 6, kernel: 3, stride: 1, padding: 4, dilation: 4, groups: 1, size: 7),
    ConvCase(cin: 4, cout: 4, kernel: 3, stride: 2, padding: 1, dilation: 1, groups: 2, size: 8),
    ConvCase(cin: 3, cout: 5, kernel: 7, stride: 2, padding: 3, dilation: 1, groups: 1, size: 10),
    ConvCase(cin: 6, cout: 4, kernel: 1, stride: 1, padding: 0, dilation: 1, groups: 1, size: 5),
    ConvCase(cin: 6, cout: 9, kernel: 1, stride: 1, padding: 0, dilation: 1, groups: 3, size: 4),
    ConvCase(cin: 2, cout: 3, kernel: 3, stride: 3, padding: 0, dilation: 2, groups: 1, size: 11),
]

func makeConv(_ c: ConvCase, seed: UInt64) -> (Conv2d, Tensor) {
    var rng = SeededGenerator(seed: seed)
    let conv = Conv2d(inChannels: c.cin, outChannels: c.cout, kernel: c.kernel, stride: c.stride,
                      padding: c.padding, dilation: c.dilation, groups: c.groups)
    conv.weight.value = .normal(shape: conv.weight.value.shape, std: 0.3, using: &rng)
    conv.bias!.value = .normal(shape: [c.cout], std: 0.3, using: &rng)
    let x = Tensor.normal(shape: [3, c.cin, c.size, c.size + 1], using: &rng)
    return (conv, x)
}

@Suite struct ConvolutionTests {
    @Test(arguments: convCases)
    func forwardMatchesDirectConvolution(_ c: ConvCase) {
        let (conv, x) = makeConv(c, seed: 11)
        for threads in [1, 2] {
            ComputeThreads.withCount(threads) {
                let y = conv.forward(x, training: false)
                let result = Tolerance.scaled(1e-6).compare(y.storage, naiveConv(x, conv))
                #expect(result.passed, "\(c), \(threads) threads: \(result)")
            }
        }
    }

    @Test(arguments: convCases)
    func backwardMatchesFiniteDifferences(_ c: ConvCase) {
        let (conv, x) = makeConv(c, seed: 12)
        for (key, report) in GradientCheck(epsilon: 0.5, samples: 30).run(conv, input: x) {
            #expect(report.worstScaledError < 1e-4, "\(c) d/d\(key): \(report)")
        }
    }

    @Test func gradientsAreBitIdenticalAcrossRunsAndAccumulate() {
        let (conv, x) = makeConv(convCases[0], seed: 3)
        ComputeThreads.withCount(2) { check(conv, x) }
    }

    private func check(_ conv: Conv2d, _ x: Tensor) {
        var rng = SeededGenerator(seed: 5)
        let r = Tensor.normal(shape: conv.forward(x, training: true).shape, using: &rng)
        conv.zeroGrad()
        _ = conv.backward(r)
        let first = conv.weight.grad
        conv.zeroGrad()
        _ = conv.forward(x, training: true)
        _ = conv.backward(r)
        #expect(conv.weight.grad == first, "weight gradients differ between identical runs")
        _ = conv.forward(x, training: true)
        _ = conv.backward(r)
        let doubled = first.storage.map { $0 * 2 }
        #expect(Tolerance.scaled(1e-6).compare(conv.weight.grad.storage, doubled).passed)
    }
}
