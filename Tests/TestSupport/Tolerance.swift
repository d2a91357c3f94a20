import Foundation
import Tensors

/// Where the test fixtures live in a checkout (the golden set is copied there byte for byte).
public enum Fixtures {
    public static var root: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures")
    }
    public static var golden: URL { root.appendingPathComponent("golden") }
    public static var goldenAlt: URL { root.appendingPathComponent("golden-alt") }
    /// Inputs that once broke a build (../shared/repro, unchanged).
    public static var repro: URL { root.appendingPathComponent("repro") }
    /// Inputs the fuzzers found (`Tests/Fixtures/fuzz/README.md`).
    public static var fuzz: URL { root.appendingPathComponent("fuzz") }
}

/// A fresh empty directory under the system temporary directory.
public func makeTemporaryDirectory(_ label: String = "dvebench") throws -> URL {
    let url = FileManager.default.temporaryDirectory
        .appendingPathComponent("\(label)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}
