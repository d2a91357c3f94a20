import Foundation

/// Why generated manifests could not be written or compared.
public enum ManifestGenerationError: Error, Sendable, Equatable, CustomStringConvertible {
    case source(PaperTablesError)
    case write(file: String, reason: String)
    /// The generator produced text that does not load back into the same manifest (a generator bug).
    case roundTrip(file: String, problem: String)

    public var description: String {
        switch self {
        case .source(let error): "\(error)"
        case .write(let file, let reason): "\(file): cannot write: \(reason)"
        case .roundTrip(let file, let problem): "\(file): generated manifest does not load back: \(problem)"
        }
    }
}

/// How the committed manifests differ from the generator's output.
public struct ManifestDrift: Sendable, Equatable, CustomStringConvertible {
    /// Generated but not on disk.
    public var missing: [String] = []
    /// On disk but not generated (a renamed row, or a hand-made file).
    public var extra: [String] = []
    /// On disk with other bytes (a hand edit, or a generator change not regenerated).
    public var changed: [String] = []

    public var isEmpty: Bool { missing.isEmpty && extra.isEmpty && changed.isEmpty }

    public var description: String {
        if isEmpty { return "manifests are up to date" }
        var lines: [String] = []
        lines += missing.map { "missing  \($0)" }
        lines += extra.map { "extra    \($0)" }
        lines += changed.map { "changed  \($0)" }
        return lines.joined(separator: "\n") + "\nregenerate with: dvebench manifests generate"
    }
}

extension ManifestGenerator {
    /// Generates from `jsonPath` and checks every output loads back through `ManifestLoader` into the
    /// same value (the writer's quoting and number formats are exercised on every run).
    public static func generate(jsonPath: String, loader: ManifestLoader) throws(ManifestGenerationError) -> [Output] {
        let tables: PaperTables
        let outputs: [Output]
        do {
            tables = try PaperTables.load(path: jsonPath)
            outputs = try generate(tables)
        } catch { throw .source(error) }
        for output in outputs {
            do {
                let parsed = try loader.parse(output.yaml, file: output.relativePath)
                guard parsed == output.manifest else {
                    throw ManifestGenerationError.roundTrip(file: output.relativePath, problem: "loads as a different manifest")
                }
            } catch let error as ManifestGenerationError {
                throw error
            } catch {
                throw .roundTrip(file: output.relativePath, problem: "\(error)")
            }
        }
        return outputs
    }

    /// Writes every output under `directory` and removes `*.yaml` files in its table folders that the
    /// generator no longer produces (so the folder is exactly the generator's output). Files are
    /// rewritten only when their bytes change.
    public static func write(_ outputs: [Output], to directory: URL) throws(ManifestGenerationError) -> ManifestDrift {
        let drift = compare(outputs, with: directory)
        let fileManager = FileManager.default
        for output in outputs where drift.missing.contains(output.relativePath) || drift.changed.contains(output.relativePath) {
            let url = directory.appendingPathComponent(output.relativePath)
            do {
                try fileManager.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
                try Data(output.yaml.utf8).write(to: url, options: .atomic)
            } catch {
                throw .write(file: url.path, reason: error.localizedDescription)
            }
        }
        for extra in drift.extra {
            let url = directory.appendingPathComponent(extra)
            do { try fileManager.removeItem(at: url) } catch { throw .write(file: url.path, reason: error.localizedDescription) }
        }
        return drift
    }

    /// Compares the outputs with the `*.yaml` files under `directory`'s subfolders.
    public static func compare(_ outputs: [Output], with directory: URL) -> ManifestDrift {
        var drift = ManifestDrift()
        let onDisk = Set(existingManifests(in: directory))
        for output in outputs {
            let url = directory.appendingPathComponent(output.relativePath)
            if !onDisk.contains(output.relativePath) {
                drift.missing.append(output.relativePath)
            } else if (try? Data(contentsOf: url)) != Data(output.yaml.utf8) {
                drift.changed.append(output.relativePath)
            }
        }
        let generated = Set(outputs.map(\.relativePath))
        drift.extra = onDisk.subtracting(generated).sorted()
        return drift
    }

    /// Relative paths of `*.yaml` files in subfolders of `directory` (its own files, e.g. README.md,
    /// are not manifests).
    static func existingManifests(in directory: URL) -> [String] {
        guard let enumerator = FileManager.default.enumerator(atPath: directory.path) else { return [] }
        var found: [String] = []
        while let relative = enumerator.nextObject() as? String {
            if relative.contains("/"), relative.hasSuffix(".yaml") { found.append(relative) }
        }
        return found.sorted()
    }
}
