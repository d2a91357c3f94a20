import Foundation
import Yams

/// A manifest as loaded: the row, the file it came from and the SHA-256 of that file's bytes (the
/// runner stores it as `RowResult.manifestSHA256`).
public struct LoadedManifest: Sendable, Equatable {
    public var manifest: Manifest
    /// The path as found (relative when the loader was given relative paths).
    public var file: String
    public var sha256: String

    public init(manifest: Manifest, file: String, sha256: String) {
        self.manifest = manifest
        self.file = file
        self.sha256 = sha256
    }

    public var id: String { manifest.id }
}

/// Loads and validates manifests: one file, a folder (recursively, in path order) or all of
/// `manifests/`. Anything wrong throws a `ManifestError` whose issues name file, line and field.
///
/// Checks, in order: YAML syntax (and duplicated keys), unknown keys, types and required keys (the
/// decoder), then every rule of `docs/manifests.md` (enums, sizes, geometry, finite tolerances,
/// cross-field consistency, the warps file exists), and for a set, that ids are unique.
public struct ManifestLoader: Sendable {
    /// The repository root: `manifests/` and `expected/eval-warps/` are found under it.
    public var repositoryRoot: URL
    /// Whether to check that a matching row's warps file exists under `expected/eval-warps/`.
    public var checkWarpsFiles: Bool

    public init(repositoryRoot: URL, checkWarpsFiles: Bool = true) {
        self.repositoryRoot = repositoryRoot
        self.checkWarpsFiles = checkWarpsFiles
    }

    /// A loader rooted at the current directory (how `dvebench` runs: from the repository).
    public static var currentDirectory: ManifestLoader {
        ManifestLoader(repositoryRoot: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
    }

    public var manifestsDirectory: URL { repositoryRoot.appendingPathComponent("manifests") }
    public var warpsDirectory: URL { EvalWarpsFile.directory(repositoryRoot: repositoryRoot) }

    // MARK: - Sets

    /// Every manifest under `manifests/`. Paths are relative (`manifests/T01-…/….yaml`) when the
    /// repository root is the current directory, so messages stay short; absolute otherwise.
    public func loadAll() throws(ManifestError) -> [LoadedManifest] {
        let cwd = URL(fileURLWithPath: FileManager.default.currentDirectoryPath).standardizedFileURL.path
        let folder = repositoryRoot.standardizedFileURL.path == cwd ? "manifests" : manifestsDirectory.path
        return try load(folder: folder)
    }

    /// Every `*.yaml` / `*.yml` file under `folder`, recursively, sorted by path; ids must be unique.
    public func load(folder: String) throws(ManifestError) -> [LoadedManifest] {
        try load(paths: [folder])
    }

    /// Files and folders (folders recursively); each file once, in path order; ids unique across all.
    public func load(paths: [String]) throws(ManifestError) -> [LoadedManifest] {
        var files: [String] = []
        var issues: [ManifestIssue] = []
        for path in paths {
            do { files += try Self.manifestFiles(at: path) } catch { issues += error.issues }
        }
        var loaded: [LoadedManifest] = []
        for file in Self.unique(files) {
            do { loaded.append(try load(file: file)) } catch { issues += error.issues }
        }
        issues += Self.duplicateIDs(loaded)
        guard issues.isEmpty else { throw ManifestError(issues) }
        return loaded
    }

    // MARK: - One file

    public func load(file: String) throws(ManifestError) -> LoadedManifest {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch {
            throw ManifestError(ManifestIssue(file: file, line: nil, field: ManifestFieldPath(), kind: .unreadable,
                                              message: "cannot read: \(error.localizedDescription)"))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ManifestError(ManifestIssue(file: file, line: nil, field: ManifestFieldPath(), kind: .unreadable,
                                              message: "is not UTF-8 text"))
        }
        let manifest = try parse(text, file: file)
        return LoadedManifest(manifest: manifest, file: file, sha256: SHA256.hexDigest([UInt8](data)))
    }

    /// Parses and validates manifest text; `file` is used in errors only.
    public func parse(_ text: String, file: String) throws(ManifestError) -> Manifest {
        func issue(_ line: Int?, _ field: ManifestFieldPath, _ kind: ManifestIssue.Kind, _ message: String) -> ManifestError {
            ManifestError(ManifestIssue(file: file, line: line, field: field, kind: kind, message: message))
        }
        let root: Node
        do {
            guard let node = try Yams.compose(yaml: text) else { throw issue(1, ManifestFieldPath(), .syntax, "is empty") }
            root = node
        } catch let error as ManifestError {
            throw error
        } catch let error as YamlError {
            let (line, message) = Self.describe(error)
            throw issue(line, ManifestFieldPath(), .syntax, message)
        } catch {
            throw issue(nil, ManifestFieldPath(), .syntax, "\(error)")
        }
        guard case .mapping = root else {
            throw issue(root.mark?.line, ManifestFieldPath(), .wrongType, "the document must be a mapping of keys to values")
        }
        if let unknown = ManifestKeySchema.manifest.firstUnknownKey(in: root) {
            throw issue(unknown.line, unknown.path, .unknownKey,
                        "unknown key (allowed here: \(unknown.allowed.joined(separator: ", ")))")
        }

        let manifest: Manifest
        do {
            manifest = try YAMLDecoder().decode(Manifest.self, from: root)
        } catch let error as DecodingError {
            let (path, kind, message) = Self.describe(error)
            throw issue(ManifestNodes.line(of: path, in: root), path, kind, message)
        } catch {
            throw issue(root.mark?.line, ManifestFieldPath(), .wrongType, "\(error)")
        }

        let problems = ManifestValidator.problems(in: manifest, warpsDirectory: checkWarpsFiles ? warpsDirectory : nil)
        guard problems.isEmpty else {
            throw ManifestError(problems.map {
                ManifestIssue(file: file, line: ManifestNodes.line(of: $0.field, in: root), field: $0.field,
                              kind: $0.kind, message: $0.message)
            })
        }
        return manifest
    }

    // MARK: - Helpers

    /// `path` itself if it is a file; every manifest file below it, sorted, if it is a folder.
    static func manifestFiles(at path: String) throws(ManifestError) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ManifestError(ManifestIssue(file: path, line: nil, field: ManifestFieldPath(), kind: .unreadable,
                                              message: "no such file or folder"))
        }
        guard isDirectory.boolValue else { return [path] }
        // Resolved first: the enumerator does not descend into a folder given as a symbolic link
        // (an installed `share/dvebench/manifests` may be one). Paths still start with `path`.
        guard let enumerator = FileManager.default.enumerator(atPath: URL(fileURLWithPath: path).resolvingSymlinksInPath().path) else {
            throw ManifestError(ManifestIssue(file: path, line: nil, field: ManifestFieldPath(), kind: .unreadable,
                                              message: "cannot list the folder"))
        }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            guard !name.hasPrefix("."), name.hasSuffix(".yaml") || name.hasSuffix(".yml") else { continue }
            found.append(relative)
        }
        // Sorted by relative path so the order is the same on every file system.
        return found.sorted().map { (path as NSString).appendingPathComponent($0) }
    }

    private static func unique(_ files: [String]) -> [String] {
        var seen = Set<String>()
        return files.filter { seen.insert(URL(fileURLWithPath: $0).standardizedFileURL.path).inserted }
    }

    static func duplicateIDs(_ loaded: [LoadedManifest]) -> [ManifestIssue] {
        var first: [String: LoadedManifest] = [:]
        var issues: [ManifestIssue] = []
        for entry in loaded {
            if let earlier = first[entry.id] {
                issues.append(ManifestIssue(file: entry.file, line: idLine(entry.file), field: ManifestFieldPath([.key("id")]),
                                            kind: .duplicateID,
                                            message: "id '\(entry.id)' is also the id of \(earlier.file)\(idLine(earlier.file).map { ":\($0)" } ?? "")"))
            } else {
                first[entry.id] = entry
            }
        }
        return issues
    }

    /// The line of the top-level `id` key, re-read for the duplicate-id message only.
    private static func idLine(_ file: String) -> Int? {
        guard let text = try? String(contentsOfFile: file, encoding: .utf8), let root = try? Yams.compose(yaml: text) else { return nil }
        return ManifestNodes.line(of: ManifestFieldPath([.key("id")]), in: root)
    }

    private static func describe(_ error: YamlError) -> (line: Int?, message: String) {
        switch error {
        case .scanner(_, let problem, let mark, _), .parser(_, let problem, let mark, _), .composer(_, let problem, let mark, _):
            return (mark.line, "YAML syntax error: \(problem)")
        case .duplicatedKeysInMapping(let duplicates, let context):
            return (context.mark.line, "duplicated key(s) \(duplicates.sorted().joined(separator: ", "))")
        case .reader(let problem, _, _, _):
            return (nil, "YAML reader error: \(problem)")
        default:
            return (nil, "\(error)")
        }
    }

    private static func describe(_ error: DecodingError) -> (ManifestFieldPath, ManifestIssue.Kind, String) {
        switch error {
        case .keyNotFound(let key, let context):
            return (ManifestNodes.path(context.codingPath, appending: key), .missingField, "is required")
        case .valueNotFound(let type, let context):
            return (ManifestNodes.path(context.codingPath), .missingField, "is null; a \(typeName(type)) is required")
        case .typeMismatch(let type, let context):
            return (ManifestNodes.path(context.codingPath), .wrongType, "must be \(typeName(type))")
        case .dataCorrupted(let context):
            return (ManifestNodes.path(context.codingPath), .wrongType, context.debugDescription)
        @unknown default:
            return (ManifestFieldPath(), .wrongType, "\(error)")
        }
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is Int.Type: "an integer"
        case is Double.Type: "a number"
        case is Bool.Type: "true or false"
        case is String.Type: "text"
        case is [Int].Type: "a list of integers"
        case is [String].Type: "a list of text"
        default:
            String(describing: type).contains("Array") || String(describing: type).hasPrefix("[") ? "a list" : "a mapping"
        }
    }
}

extension Sequence where Element == LoadedManifest {
    /// The manifests by row id, as the diff and the reports look them up. The loader rejects
    /// duplicate ids, so the first of a duplicate (which cannot occur) is kept.
    public var byID: [String: Manifest] { Dictionary(map { ($0.id, $0.manifest) }, uniquingKeysWith: { first, _ in first }) }
}
