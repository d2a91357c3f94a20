import Benchmark
import SmallNetWorkloads

// SmallNet-64 on a 32×3×70×70 batch: eval forward and one train step (forward, zeroGrad, backward of
// a fixed random output gradient), each with 1 and 2 compute threads (`ComputeThreads.set`, OpenBLAS
// pinned to one thread). The machine is small and noisy, so each benchmark runs a few warm-up
// iterations and then up to 15 measured ones (or 20 s) and the p50 is the number to quote.
// `memoryLeakedBytes` ("Malloc / free Δ") reads about 64 bytes per parallel kernel call with 2
// threads: a GCD continuation allocated on the calling thread and freed or cached by a worker
// outside the measured window. It is not a leak (RSS stays flat over millions of calls).

let imagesPerSecond = BenchmarkMetric.custom("images/s", polarity: .prefersLarger, useScalingFactor: false)

let benchmarks: @Sendable () -> Void = {
    // Timing and malloc metrics only. The malloc interposer counts the whole process, so metrics
    // that make the harness allocate inside the measured window would be counted as SmallNet's:
    // the peak-memory metrics start a 5 ms sampling thread (it made up most of the "mallocs per
    // iteration" and also wakes up mid-measurement), and cpuTotal reads /proc at start and stop
    // (+16 mallocs, +35 KB per iteration). Peak memory gets its own short benchmarks below; ask for
    // CPU time with `--metric cpuTotal --metric wallClock` if needed.
    Benchmark.defaultConfiguration = .init(
        metrics: [
            .wallClock,
            .mallocCountTotal, .mallocBytesCount, .memoryLeakedBytes,
            imagesPerSecond,
        ],
        timeUnits: .milliseconds,
        warmupIterations: 3,
        scalingFactor: .one,
        maxDuration: .seconds(20),
        maxIterations: 15
    )
    let memoryConfiguration = Benchmark.Configuration(
        metrics: [.peakMemoryResident, .peakMemoryResidentDelta],
        warmupIterations: 1,
        maxDuration: .seconds(10),
        maxIterations: 3
    )

    let batch = SmallNetWorkload.defaultBatch
    let size = SmallNetWorkload.defaultSize
    let channels = SmallNetWorkload.defaultOutputChannels

    // The thread count is part of the name rather than a tag: `swift package benchmark --filter`
    // matches the name without its tags, so a tag could not select one thread count.
    for (suffix, configuration) in [("", Benchmark.defaultConfiguration), (", peak memory", memoryConfiguration)] {
        for kind in SmallNetWorkloadKind.allCases {
            for threads in [1, 2] {
                Benchmark(
                    kind.benchmarkName(batch: batch, size: size, outputChannels: channels)
                        + (threads == 1 ? ", 1 thread" : ", \(threads) threads") + suffix,
                    configuration: configuration
                ) { (benchmark: Benchmark, workload: SmallNetWorkload) in
                    SmallNetWorkload.setThreads(threads)
                    let clock = ContinuousClock()
                    let start = clock.now
                    blackHole(workload.run(kind))
                    let elapsed = clock.now - start
                    benchmark.stopMeasurement()
                    let ns = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
                    benchmark.measurement(imagesPerSecond, Int((Double(batch) * 1e9 / ns).rounded()))
                } setup: {
                    SmallNetWorkload.setThreads(threads)
                    return SmallNetWorkload(batch: batch, size: size, outputChannels: channels)
                }
            }
        }
    }
}
