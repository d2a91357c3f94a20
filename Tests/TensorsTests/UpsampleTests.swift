import Testing
import Tensors
import TestSupport

@Suite struct UpsampleTests {
    @Test func nearestTimesTwoCopiesEachPixelIntoATwoByTwoBlock() {
        let layer = UpsampleNearest2d()
        let x = Tensor(shape: [1, 1, 2, 2], storage: [1, 2, 3, 4])
        let y = layer.forward(x, training: false)
        #expect(y.shape == [1, 1, 4, 4])
        #expect(y.storage == [1, 1, 2, 2,
                              1, 1, 2, 2,
                              3, 3, 4, 4,
                              3, 3, 4, 4])
    }

    @Test func backwardSumsEachBlockIntoItsSourcePixel() {
        let layer = UpsampleNearest2d()
        _ = layer.forward(Tensor(shape: [1, 1, 2, 2]), training: true)
        let g = layer.backward(Tensor(shape: [1, 1, 4, 4], storage: (0..<16).map(Float.init)))
        #expect(g.shape == [1, 1, 2, 2])
        // Blocks {0,1,4,5}, {2,3,6,7}, {8,9,12,13}, {10,11,14,15}.
        let expected: [Float] = [10, 18, 42, 50]
        #expect(g.storage == expected)
    }

    @Test func nonSquareMapsAndOtherFactorsKeepPlanesApart() {
        // Two images × two channels of 1×3, factor 3: output 3×9 per plane.
        let layer = UpsampleNearest2d(scale: 3)
        let x = Tensor(shape: [2, 2, 1, 3], storage: (1...12).map(Float.init))
        let y = layer.forward(x, training: true)
        #expect(y.shape == [2, 2, 3, 9])
        for plane in 0..<4 {
            for row in 0..<3 {
                let got = (0..<9).map { y[flat: plane * 27 + row * 9 + $0] }
                let base = Float(plane * 3)
                #expect(got == [1, 1, 1, 2, 2, 2, 3, 3, 3].map { $0 + base }, "plane \(plane) row \(row)")
            }
        }
        let g = layer.backward(Tensor(shape: [2, 2, 3, 9], repeating: 1))
        #expect(g.shape == [2, 2, 1, 3])
        #expect(g.storage.allSatisfy { $0 == 9 })
    }

    @Test func fusedSkipSumEqualsUpsampleThenAdd() {
        var rng = SeededGenerator(seed: 3)
        let x = Tensor.normal(shape: [2, 3, 4, 5], using: &rng)
        let skip = Tensor.normal(shape: [2, 3, 8, 10], using: &rng)
        var fused = Tensor.empty
        UpsampleNearest2d.upsample(x, scale: 2, adding: skip, into: &fused)
        let up = UpsampleNearest2d().forward(x, training: false)
        #expect(fused.shape == skip.shape)
        for i in 0..<fused.count { #expect(fused[flat: i] == skip[flat: i] + up[flat: i]) }
    }

    @Test func backwardMatchesFiniteDifferences() {
        var rng = SeededGenerator(seed: 5)
        let x = Tensor.normal(shape: [2, 2, 3, 4], using: &rng)
        let report = GradientCheck(epsilon: 1e-2, samples: 24).run(UpsampleNearest2d(), input: x)["input"]!
        #expect(report.worstScaledError < 1e-4, "\(report)")
    }

    @Test func reusesItsOutputBufferAcrossCalls() {
        let layer = UpsampleNearest2d()
        var rng = SeededGenerator(seed: 6)
        let first = layer.forward(.normal(shape: [1, 2, 3, 3], using: &rng), training: false)
        let firstValues = first.storage
        let second = layer.forward(.normal(shape: [1, 2, 3, 3], using: &rng), training: false)
        // The caller's copy of the first result is untouched (value semantics) even though the layer
        // writes into the same buffer when nobody holds it.
        #expect(first.storage == firstValues)
        #expect(second.storage != firstValues)
    }
}
