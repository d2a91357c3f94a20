// swift-tools-version: 6.0
import PackageDescription

// Fuzzing for TorchFormat's restricted unpickler and container readers, kept out of the main package so
// `make test` never builds it. Sources/TorchFormat, Sources/Tensors and Sources/CBLAS are symlinks to
// the main package's (the main package exports no TorchFormat product to depend on). Build and run with
// ./run.sh, which adds -sanitize=fuzzer,address.
let package = Package(
    name: "TorchFormatFuzz",
    dependencies: [
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
    ],
    targets: [
        .systemLibrary(name: "CBLAS", pkgConfig: "openblas"),
        .target(name: "Tensors", dependencies: ["CBLAS"]),
        .target(name: "TorchFormat", dependencies: ["Tensors", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "CFuzzerDriver"),
        .executableTarget(name: "TorchFormatFuzz", dependencies: ["TorchFormat", "CFuzzerDriver"]),
    ]
)
