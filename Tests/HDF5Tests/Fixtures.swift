import Foundation
import HDF5

/// Golden files live in Tests/Fixtures/golden, found relative to this source
/// file so the tests work from any working directory.
enum Fixtures {
    static let golden: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()   // HDF5Tests
        .deletingLastPathComponent()   // Tests
        .appendingPathComponent("Fixtures/golden")

    static func path(_ name: String) -> String {
        golden.appendingPathComponent(name).path
    }
}

/// A fresh directory under the system temporary directory, removed by `remove()`.
struct TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("HDF5Tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    /// Every entry, including hidden temporary files.
    func contents() throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: url.path).sorted()
    }

    func remove() { try? FileManager.default.removeItem(at: url) }
}
