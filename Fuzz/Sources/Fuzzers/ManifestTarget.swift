import Foundation
import Harness

extension FuzzTarget {
    /// Manifest text → `Manifest`: YAML (Yams over libyaml), the key schema, decoding and every
    /// validation rule, exactly as `ManifestLoader.load(file:)` does after reading a file.
    static let manifest = FuzzTarget(
        name: "manifest",
        prepare: {},
        run: { input in
            // load(file:) refuses bytes that are not UTF-8 before parsing.
            guard let text = String(data: Data(buffer: input), encoding: .utf8) else { return 0 }
            _ = try? manifestLoader.parse(text, file: "fuzz.yaml")
            return 0
        },
        seeds: {
            let root = FuzzRepository.root.appendingPathComponent("manifests")
            guard let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) else { return [] }
            var seeds: [(String, [UInt8])] = []
            for case let url as URL in walker where url.pathExtension == "yaml" {
                let name = url.path.dropFirst(root.path.count + 1).replacingOccurrences(of: "/", with: "_")
                seeds.append((name, try FuzzRepository.bytes(url)))
            }
            return seeds
        })

    /// Validation checks that a manifest's eval-warps file exists, so the loader looks at the
    /// repository's own `expected/eval-warps`.
    private static let manifestLoader = ManifestLoader(repositoryRoot: FuzzRepository.root)
}
