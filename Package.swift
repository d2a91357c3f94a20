// swift-tools-version: 6.0
import PackageDescription

// Each C library sits behind exactly one small target; Swift modules above it never see a C type.
let package = Package(
    name: "DVEBench",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "dvebench", targets: ["dvebench"]),
        .library(name: "Landmarks", targets: ["Landmarks"]),
        .library(name: "Harness", targets: ["Harness"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(
            name: "CBLAS",
            pkgConfig: "openblas",
            providers: [.apt(["libopenblas-dev"])]
        ),
        .systemLibrary(
            name: "CHDF5",
            pkgConfig: "hdf5-serial",
            providers: [.apt(["libhdf5-dev"])]
        ),
        .systemLibrary(
            name: "CTurboJPEG",
            pkgConfig: "libturbojpeg",
            providers: [.apt(["libturbojpeg0-dev"])]
        ),
        .systemLibrary(
            name: "CPNG",
            pkgConfig: "libpng16",
            providers: [.apt(["libpng-dev"])]
        ),
        .target(name: "Tensors", dependencies: ["CBLAS"]),
        .target(name: "HDF5", dependencies: ["CHDF5"]),
        .target(name: "ImageIO", dependencies: ["CTurboJPEG", "CPNG"]),
        .target(name: "Landmarks", dependencies: ["Tensors", "ImageIO"]),
        .target(name: "TorchFormat", dependencies: ["Tensors", .product(name: "ZIPFoundation", package: "ZIPFoundation")]),
        .target(name: "Harness", dependencies: ["Landmarks", "Tensors", "HDF5", "ImageIO", "TorchFormat", .product(name: "Yams", package: "Yams")],
                plugins: ["BuildCommit"]),
        // The git commit of the build, for `dvebench --version` and provenance (BuildInfo).
        .plugin(name: "BuildCommit", capability: .buildTool()),
        .executableTarget(
            name: "dvebench",
            dependencies: [
                "Harness",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(name: "TestSupport", dependencies: ["Tensors"], path: "Tests/TestSupport"),
        .testTarget(name: "TensorsTests", dependencies: ["Tensors", "TestSupport"]),
        .testTarget(name: "HDF5Tests", dependencies: ["HDF5"]),
        .testTarget(name: "ImageIOTests", dependencies: ["ImageIO"]),
        .testTarget(name: "LandmarksTests", dependencies: ["Landmarks", "HDF5", "TestSupport"]),
        .testTarget(name: "HarnessTests", dependencies: ["Harness", "HDF5", "TestSupport"]),
        .testTarget(name: "TorchFormatTests", dependencies: ["TorchFormat", "Tensors", "TestSupport"]),
        // The local HTTP server the fetch tests download from (no internet in tests).
        .executableTarget(name: "dvebench-test-server", path: "Tests/TestServer"),
        .testTarget(name: "CommandLineTests", dependencies: ["dvebench", "dvebench-test-server", "Harness", "TestSupport"]),
    ]
)
