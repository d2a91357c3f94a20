import Foundation

/// Which rows a command works on: `dvebench … [PATH…] [--table T01…] [--id GLOB…]`.
///
/// Paths decide which files are loaded (nothing given: all of `manifests/`). Tables and id globs then
/// filter the loaded rows: a row is kept when it is in one of the tables (if any are given) and
/// matches one of the globs (if any are given). A table or glob that selects nothing is an error, so
/// a typo (`--table T1`) is not mistaken for an empty table.
public struct ManifestSelection: Sendable, Equatable {
    /// Manifest files or folders (folders recursively).
    public var paths: [String]
    /// Short table ids: `T01`, `S02`, `R00` (case-insensitive).
    public var tables: [String]
    /// Globs over row ids: `*` any run of characters (including `/`), `?` one character,
    /// e.g. `T0?/celeba-smallnet-*-dve/*`.
    public var idPatterns: [String]

    public init(paths: [String] = [], tables: [String] = [], idPatterns: [String] = []) {
        self.paths = paths
        self.tables = tables
        self.idPatterns = idPatterns
    }

    /// Loads the selected files with `loader` and filters them.
    public func load(with loader: ManifestLoader) throws(ManifestError) -> [LoadedManifest] {
        let loaded = paths.isEmpty ? try loader.loadAll() : try loader.load(paths: paths)
        return try filter(loaded)
    }

    /// The rows of `manifests` that pass the table and id filters, in their order.
    public func filter(_ manifests: [LoadedManifest]) throws(ManifestError) -> [LoadedManifest] {
        var issues: [ManifestIssue] = []
        let wantedTables = Set(tables.map { $0.uppercased() })
        for table in wantedTables where !manifests.contains(where: { $0.manifest.table.short == table }) {
            issues.append(Self.selectsNothing("--table \(table)", known: Set(manifests.map(\.manifest.table.short)).sorted()))
        }
        for pattern in idPatterns where !manifests.contains(where: { Self.glob(pattern, matches: $0.id) }) {
            issues.append(Self.selectsNothing("--id \(pattern)", known: []))
        }
        guard issues.isEmpty else { throw ManifestError(issues) }
        return manifests.filter { entry in
            (wantedTables.isEmpty || wantedTables.contains(entry.manifest.table.short))
                && (idPatterns.isEmpty || idPatterns.contains { Self.glob($0, matches: entry.id) })
        }
    }

    private static func selectsNothing(_ what: String, known: [String]) -> ManifestIssue {
        let hint = known.isEmpty ? "" : " (tables here: \(known.joined(separator: ", ")))"
        return ManifestIssue(file: "selection", line: nil, field: ManifestFieldPath(), kind: .invalidValue,
                             message: "\(what) selects no manifest\(hint)")
    }

    /// Whole-string glob match with `*` and `?`; every other character is literal.
    public static func glob(_ pattern: String, matches text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        // Iterative matcher with single-star backtracking: linear in practice, no recursion.
        var pi = 0, ti = 0, starP = -1, starT = 0
        while ti < t.count {
            if pi < p.count, p[pi] == "*" {
                starP = pi; starT = ti; pi += 1
            } else if pi < p.count, p[pi] == "?" || p[pi] == t[ti] {
                pi += 1; ti += 1
            } else if starP >= 0 {
                pi = starP + 1; starT += 1; ti = starT
            } else {
                return false
            }
        }
        while pi < p.count, p[pi] == "*" { pi += 1 }
        return pi == p.count
    }
}
