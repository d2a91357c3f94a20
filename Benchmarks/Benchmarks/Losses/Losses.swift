import Foundation
import Benchmark
import Landmarks
import Tensors

// The correlation losses on one pair (2 images) of 35×35 descriptors with C = 64, the SmallNet-64
// training shape: forward + explicit backward. The acceptance bound for the DVE loss is a peak
// resident-memory growth under 64 MB for one pair; the reference's autograd version builds a
// C×HW×HW tensor (about 400 MB here). Malloc counts come from the MallocInterposer trait.

let benchmarks: @Sendable () -> Void = {
    let timing = Benchmark.Configuration(
        metrics: [.wallClock, .mallocCountTotal, .mallocBytesCount],
        timeUnits: .milliseconds, warmupIterations: 2, scalingFactor: .one,
        maxDuration: .seconds(10), maxIterations: 30)
    let memory = Benchmark.Configuration(
        metrics: [.peakMemoryResident, .peakMemoryResidentDelta],
        warmupIterations: 0, maxDuration: .seconds(10), maxIterations: 3)

    for dve in [true, false] {
        for (suffix, configuration) in [("", timing), (", peak memory", memory)] {
            let name = (dve ? "DVE loss" : "correlation loss") + " fwd+bwd 1 pair C64 35x35 normalised" + suffix
            Benchmark(name, configuration: configuration) { benchmark, input in
                ComputeThreads.set(1)
                let result = try denseCorrelationLoss(
                    features: input.features, grid: input.grid,
                    options: CorrelationLossOptions(exchangeDescriptors: dve, normalizeVectors: true))
                blackHole(result.value)
                blackHole(result.gradient)
            } setup: {
                LossInput(pairs: 1)
            }
        }
    }
}

/// Smooth random features and a mildly warped grid, as in a training step.
struct LossInput: Sendable {
    let features: Tensor
    let grid: Tensor

    init(pairs: Int, channels: Int = 64, side: Int = 35, stride: Int = 2) {
        var generator = SeededGenerator(seed: 11)
        features = .normal(shape: [2 * pairs, channels, side, side], using: &generator)
        let inSide = side * stride
        var values = [Float](repeating: 0, count: pairs * inSide * inSide * 2)
        for b in 0..<pairs {
            for y in 0..<inSide {
                for x in 0..<inSide {
                    let i = ((b * inSide + y) * inSide + x) * 2
                    let gx = 2 * Float(x) / Float(inSide - 1) - 1, gy = 2 * Float(y) / Float(inSide - 1) - 1
                    values[i] = gx + 0.03 * sin(3 * gy)
                    values[i + 1] = gy + 0.03 * cos(2 * gx)
                }
            }
        }
        grid = Tensor(shape: [pairs, inSide, inSide, 2], storage: values)
    }
}
