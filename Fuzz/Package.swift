// swift-tools-version: 6.0
import PackageDescription

// libFuzzer targets for every kind of input DVEBench reads from others: checkpoints (.pth), images
// (JPEG, PNG), manifests, DVEBench's HDF5 files (results, expected, trajectories, eval warps) and the
// datasets' annotation text and MAT v5 files. Kept out of the main package so `make test` never
// builds it; it depends on the main package by path and reaches internal parsers with
// `@testable import`, which is why run.sh builds with -enable-testing next to
// -sanitize=fuzzer,address. See README.md.
let package = Package(
    name: "DVEBenchFuzz",
    dependencies: [
        .package(name: "DVEBench", path: ".."),
    ],
    targets: [
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "Fuzzers", dependencies: [
            "CFuzzerDriver",
            .product(name: "Harness", package: "DVEBench"),
            .product(name: "Landmarks", package: "DVEBench"),
        ]),
    ]
)
