// swift-tools-version: 6.0
import PackageDescription

// Hourglass timing and memory, kept out of the root package and out of Benchmarks/Package.swift
// (another engineer's file): a tiny nested package that depends on DVEBench by path. Build and run
// from this directory; it keeps its own scratch directory (Benchmarks/hourglass/.build).
// Folding it into Benchmarks/Package.swift later is one executableTarget with the same sources.
let package = Package(
    name: "HourglassBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [.package(name: "DVEBench", path: "../..")],
    targets: [
        .executableTarget(
            name: "hourglass-timing",
            dependencies: [.product(name: "Landmarks", package: "DVEBench")],
            path: "Sources/hourglass-timing"
        ),
    ]
)
