import Foundation

/// One libFuzzer target: what it does with an input, and the seed corpus it starts from.
///
/// The contract every target checks is the one users rely on: any input either parses or ends in
/// DVEBench's typed error. A trap, an out-of-bounds access or leak caught by AddressSanitizer, or a
/// hang is a finding.
struct FuzzTarget: Sendable {
    let name: String
    /// Work done once before fuzzing (trees built, libraries initialised), so executions stay fast.
    let prepare: @Sendable () -> Void
    let run: @Sendable (UnsafeBufferPointer<UInt8>) -> CInt
    /// The seeds as (file name, bytes).
    let seeds: @Sendable () throws -> [(String, [UInt8])]

    static let all: [FuzzTarget] = [.pth, .image, .manifest, .datasets, .hdf5]

    static func named(_ name: String) -> FuzzTarget? { all.first { $0.name == name } }

    /// The target libFuzzer's callback runs; set once, before the driver starts.
    nonisolated(unsafe) static var current: FuzzTarget?

    func writeSeeds(_ directory: URL) throws -> Int {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let files = try seeds()
        for (name, bytes) in files { try Data(bytes).write(to: directory.appendingPathComponent(name)) }
        return files.count
    }
}

/// The repository's root, two levels above this package's build products or the current folder:
/// seeds come from the repository's own fixtures and manifests.
enum FuzzRepository {
    static var root: URL {
        let fuzzFolder = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        return fuzzFolder.lastPathComponent == "Fuzz" ? fuzzFolder.deletingLastPathComponent() : fuzzFolder
    }

    static func files(in relative: String, extension ext: String) throws -> [URL] {
        let folder = root.appendingPathComponent(relative)
        return try FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == ext }.sorted { $0.path < $1.path }
    }

    static func bytes(_ url: URL) throws -> [UInt8] { [UInt8](try Data(contentsOf: url)) }
}
