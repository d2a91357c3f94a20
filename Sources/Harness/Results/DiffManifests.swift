import Foundation
import Yams

/// The manifests `diff`, `bless` need, by row id: every `*.yaml` under a directory.
///
/// A stand-in for the manifest loader (owned with the manifests, `docs/manifests.md`): it decodes
/// with the same convention (YAML keys snake_case, Swift properties camelCase) but does no schema
/// validation beyond decoding. The commands call only `load(directory:)`, so switching to the real
/// loader is a one-line change there.
public enum DiffManifests {
    public static func load(directory: String) throws(ManifestDirectoryError) -> [String: Manifest] {
        let root = URL(fileURLWithPath: directory)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw .notADirectory(directory)
        }
        var files: [URL] = []
        if let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: nil) {
            for case let url as URL in walker where ["yaml", "yml"].contains(url.pathExtension) { files.append(url) }
        }
        var manifests: [String: Manifest] = [:]
        var origin: [String: String] = [:]
        for url in files.sorted(by: { $0.path < $1.path }) {
            let manifest: Manifest
            do {
                let text = try String(contentsOf: url, encoding: .utf8)
                guard let node = try Yams.compose(yaml: text) else { throw ManifestDirectoryError.invalid(file: url.path, problem: "empty") }
                manifest = try YAMLDecoder().decode(Manifest.self, from: camelCased(node))
            } catch let error as ManifestDirectoryError {
                throw error
            } catch {
                throw .invalid(file: url.path, problem: "\(error)")
            }
            if let first = origin[manifest.id] { throw .duplicateID(manifest.id, first: first, second: url.path) }
            origin[manifest.id] = url.path
            manifests[manifest.id] = manifest
        }
        return manifests
    }

    /// Mapping keys `snake_case` → `camelCase`, recursively; values are left alone.
    static func camelCased(_ node: Node) -> Node {
        switch node {
        case .mapping(let mapping):
            let pairs = mapping.map { key, value -> (Node, Node) in
                (key.string.map { Node(camelCase($0)) } ?? key, camelCased(value))
            }
            return Node(pairs, mapping.tag, mapping.style)
        case .sequence(let sequence):
            return Node(sequence.map(camelCased), sequence.tag, sequence.style)
        default:
            return node
        }
    }

    static func camelCase(_ key: String) -> String {
        let parts = key.split(separator: "_", omittingEmptySubsequences: true)
        guard let first = parts.first else { return key }
        return String(first) + parts.dropFirst().map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
    }
}

public enum ManifestDirectoryError: Error, CustomStringConvertible, Sendable {
    case notADirectory(String)
    case invalid(file: String, problem: String)
    case duplicateID(String, first: String, second: String)

    public var description: String {
        switch self {
        case .notADirectory(let path): "\(path) is not a manifests directory"
        case .invalid(let file, let problem): "\(file): not a readable manifest: \(problem)"
        case .duplicateID(let id, let first, let second): "row id '\(id)' is in both \(first) and \(second)"
        }
    }
}
