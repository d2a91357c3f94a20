import Testing
import Tensors
import TestSupport

/// dL/dW, dL/db and dL/dx of L = Σ y·R for a stride-1, ungrouped convolution, in Float64 by the
/// definition, as the backward oracle.
func naiveConvGradients(_ x: Tensor, _ conv: Conv2d, _ r: Tensor) -> (weight: [Double], bias: [Double], input: [Double]) {
    let (n, cin, h, w) = x.nchw
    let ho = conv.outputSize(h), wo = conv.outputSize(w), k = conv.kernel
    var gw = [Double](repeating: 0, count: conv.weight.value.count)
    var gb = [Double](repeating: 0, count: conv.outChannels)
    var gx = [Double](repeating: 0, count: x.count)
    for b in 0..<n {
        for o in 0..<conv.outChannels {
            for oy in 0..<ho {
                for ox in 0..<wo {
                    let g = Double(r[flat: ((b * conv.outChannels + o) * ho + oy) * wo + ox])
                    gb[o] += g
                    for c in 0..<cin {
                        for ky in 0..<k {
                            for kx in 0..<k {
                                let iy = oy - conv.padding + ky * conv.dilation
                                let ix = ox - conv.padding + kx * conv.dilation
                                guard iy >= 0, iy < h, ix >= 0, ix < w else { continue }
                                let xi = ((b * cin + c) * h + iy) * w + ix
                                let wi = ((o * cin + c) * k + ky) * k + kx
                                gw[wi] += g * Double(x[flat: xi])
                                gx[xi] += g * Double(conv.weight.value[flat: wi])
                            }
                        }
                    }
                }
            }
        }
    }
    return (gw, gb, gx)
}

struct WinogradCase: CustomStringConvertible, Sendable {
    var cin, cout, padding, dilation, height, width, batch: Int
    var kernel = 3
    var description: String {
        "\(kernel)×\(kernel) conv \(cin)→\(cout) p\(padding) d\(dilation) on \(batch)×\(height)×\(width)"
    }
}

/// Odd and even sizes (partial edge tiles), padding below, at and above the dilation, kernels split into
/// 2×2 and 3×3 sub-kernels (4, 5, 7) with zero taps, and SmallNet's conv2–conv5 at their eval size.
let winogradCases: [WinogradCase] = [
    WinogradCase(cin: 5, cout: 7, padding: 1, dilation: 1, height: 9, width: 8, batch: 3),
    WinogradCase(cin: 3, cout: 4, padding: 0, dilation: 1, height: 8, width: 11, batch: 2),
    WinogradCase(cin: 4, cout: 6, padding: 4, dilation: 4, height: 11, width: 13, batch: 3),
    WinogradCase(cin: 6, cout: 5, padding: 2, dilation: 2, height: 10, width: 7, batch: 2),
    WinogradCase(cin: 2, cout: 3, padding: 3, dilation: 1, height: 5, width: 6, batch: 2),
    WinogradCase(cin: 3, cout: 2, padding: 1, dilation: 3, height: 12, width: 9, batch: 2),
    WinogradCase(cin: 3, cout: 4, padding: 2, dilation: 1, height: 9, width: 10, batch: 2, kernel: 5),
    WinogradCase(cin: 4, cout: 3, padding: 1, dilation: 2, height: 13, width: 11, batch: 2, kernel: 5),
    WinogradCase(cin: 2, cout: 3, padding: 3, dilation: 1, height: 8, width: 9, batch: 2, kernel: 7),
    WinogradCase(cin: 3, cout: 2, padding: 1, dilation: 1, height: 7, width: 10, batch: 2, kernel: 4),
    WinogradCase(cin: 20, cout: 48, padding: 2, dilation: 1, height: 35, width: 35, batch: 2, kernel: 5),
    WinogradCase(cin: 48, cout: 64, padding: 4, dilation: 2, height: 35, width: 35, batch: 2, kernel: 5),
    WinogradCase(cin: 64, cout: 80, padding: 4, dilation: 4, height: 35, width: 35, batch: 2),
    WinogradCase(cin: 80, cout: 96, padding: 2, dilation: 2, height: 35, width: 35, batch: 2),
]

func makeWinogradConv(_ c: WinogradCase, seed: UInt64, algorithm: ConvolutionAlgorithm) -> (Conv2d, Tensor, Tensor) {
    var rng = SeededGenerator(seed: seed)
    let conv = Conv2d(inChannels: c.cin, outChannels: c.cout, kernel: c.kernel, padding: c.padding, dilation: c.dilation)
    conv.algorithm = algorithm
    let std = Float(1 / (Double(c.kernel) * Double(c.cin).squareRoot()))
    conv.weight.value = .normal(shape: conv.weight.value.shape, std: std, using: &rng)
    conv.bias!.value = .normal(shape: [c.cout], std: 0.3, using: &rng)
    let x = Tensor.normal(shape: [c.batch, c.cin, c.height, c.width], using: &rng)
    let r = Tensor.normal(shape: [c.batch, c.cout, conv.outputSize(c.height), conv.outputSize(c.width)], using: &rng)
    return (conv, x, r)
}

@Suite struct WinogradTests {
    /// Winograd's rounding against the float64 definition stays within a small multiple of the lowered
    /// path's: the transforms add a few roundings per output, never a loss of digits.
    @Test(arguments: winogradCases)
    func matchesTheDefinitionInFloat64(_ c: WinogradCase) {
        let (conv, x, r) = makeWinogradConv(c, seed: 21, algorithm: .winograd)
        let y = conv.forward(x, training: true)
        conv.zeroGrad()
        let gx = conv.backward(r)
        let oracle = naiveConvGradients(x, conv, r)
        let forward = Tolerance.scaled(1e-6).compare(y.storage, naiveConv(x, conv))
        #expect(forward.passed, "\(c) forward: \(forward)")
        let tolerance = Tolerance.scaled(2e-6)
        let weight = tolerance.compare(conv.weight.grad.storage, oracle.weight)
        #expect(weight.passed, "\(c) dW: \(weight)")
        let bias = tolerance.compare(conv.bias!.grad.storage, oracle.bias)
        #expect(bias.passed, "\(c) db: \(bias)")
        let input = tolerance.compare(gx.storage, oracle.input)
        #expect(input.passed, "\(c) dx: \(input)")
    }

    @Test func smallNetShapesUseWinogradAutomaticallyAndSmallOnesDoNot() {
        let conv5 = Conv2d(inChannels: 80, outChannels: 256, kernel: 3, padding: 2, dilation: 2)
        let conv3 = Conv2d(inChannels: 48, outChannels: 64, kernel: 5, padding: 4, dilation: 2)
        let conv1 = Conv2d(inChannels: 3, outChannels: 20, kernel: 5, padding: 2)
        let strided = Conv2d(inChannels: 64, outChannels: 64, kernel: 3, stride: 2, padding: 1)
        let pointwise = Conv2d(inChannels: 64, outChannels: 64, kernel: 1)
        #expect(conv5.algorithmInUse == .winograd)
        #expect(conv3.algorithmInUse == .lowered, "5×5 kernels are not faster split into 3×3 sub-kernels")
        conv3.algorithm = .winograd
        #expect(conv3.algorithmInUse == .winograd)
        #expect(conv1.algorithmInUse == .lowered)
        #expect(strided.algorithmInUse == .lowered)
        #expect(pointwise.algorithmInUse == .lowered)
        conv5.accumulation = .float64
        #expect(conv5.algorithmInUse == .lowered, "float64 verification sums stay on the lowered path")
    }

    /// Images go to workers whole and the weight gradient is reduced per fixed chunk, so 1, 2 and 4
    /// threads give the same bits.
    @Test func bitsDoNotDependOnTheThreadCount() {
        for kernel in [3, 5] {
            let c = WinogradCase(cin: 16, cout: 24, padding: 2, dilation: 2, height: 13, width: 14, batch: 9, kernel: kernel)
            var runs: [[Float]] = []
            for threads in [1, 2, 4] {
                let (conv, x, r) = makeWinogradConv(c, seed: 5, algorithm: .winograd)
                ComputeThreads.withCount(threads) {
                    let y = conv.forward(x, training: true)
                    conv.zeroGrad()
                    let gx = conv.backward(r)
                    runs.append(y.storage + gx.storage + conv.weight.grad.storage + conv.bias!.grad.storage)
                }
            }
            #expect(runs[0] == runs[1] && runs[0] == runs[2], "\(c)")
        }
    }

    @Test(arguments: [3, 5])
    func backwardMatchesFiniteDifferences(kernel: Int) {
        let c = WinogradCase(cin: 4, cout: 5, padding: 2, dilation: 2, height: 11, width: 10, batch: 2, kernel: kernel)
        let (conv, x, _) = makeWinogradConv(c, seed: 8, algorithm: .winograd)
        for (key, report) in GradientCheck(epsilon: 0.5, samples: 30).run(conv, input: x) {
            #expect(report.worstScaledError < 1e-4, "\(c) d/d\(key): \(report)")
        }
    }

    @Test func gradientsAccumulateAcrossBackwardPasses() {
        let c = WinogradCase(cin: 16, cout: 16, padding: 1, dilation: 1, height: 7, width: 9, batch: 3)
        let (conv, x, r) = makeWinogradConv(c, seed: 9, algorithm: .automatic)
        conv.zeroGrad()
        _ = conv.forward(x, training: true)
        _ = conv.backward(r)
        let first = conv.weight.grad.storage
        _ = conv.forward(x, training: true)
        _ = conv.backward(r)
        #expect(Tolerance.scaled(1e-6).compare(conv.weight.grad.storage, first.map { $0 * 2 }).passed)
    }
}
