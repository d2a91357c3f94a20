// swift-tools-version: 6.1
import PackageDescription

// A nested package so that benchmark-only dependencies (ordo-one/benchmark and everything it pulls in)
// never reach the DVEBench library products. Build and run from this directory; it keeps its own
// scratch directory (Benchmarks/.build).
let package = Package(
    name: "DVEBenchBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "DVEBench", path: ".."),
        // The trait list replaces the package's defaults: it keeps malloc statistics and drops the
        // "RuntimeInterposer" trait (ARC counters on Linux/Swift 6.3), whose package is not available here.
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        // Shared workload definitions (model, inputs, one forward / one train step).
        .target(
            name: "SmallNetWorkloads",
            dependencies: [.product(name: "Landmarks", package: "DVEBench")],
            path: "Sources/SmallNetWorkloads"
        ),
        // Canonical suite: `swift package benchmark` (the plugin discovers executables under Benchmarks/).
        .executableTarget(
            name: "SmallNetBenchmarks",
            dependencies: [
                "SmallNetWorkloads",
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/SmallNet",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // The correlation losses (plain and DVE) on one training pair: time, mallocs and peak memory.
        .executableTarget(
            name: "LossBenchmarks",
            dependencies: [
                .product(name: "Landmarks", package: "DVEBench"),
                .product(name: "Benchmark", package: "benchmark"),
            ],
            path: "Benchmarks/Losses",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        ),
        // Plain-clock timer printing JSON medians, used by compare.sh next to the PyTorch script.
        .executableTarget(
            name: "smallnet-timing",
            dependencies: ["SmallNetWorkloads"],
            path: "Sources/smallnet-timing"
        ),
        // The whole pipeline (training iterations, matching, regression), used by pipeline.sh next to
        // torch/pipeline_bench.py.
        .executableTarget(
            name: "pipeline-timing",
            dependencies: ["SmallNetWorkloads", .product(name: "Landmarks", package: "DVEBench")],
            path: "Sources/pipeline-timing"
        ),
    ]
)
