import HDF5

/// Row ids (`T01/celeba-smallnet-3d-dve/matching`) become nested group paths in results and expected
/// files, and metric names become dataset names; both must therefore be usable HDF5 paths.
enum RowPath {
    /// Group names a results row uses for its own contents; a row id component with one of these
    /// names would collide with a parent row's metrics or figures.
    static let reservedInResults: Set<String> = ["metrics", "figures", "keypoints", "curve"]

    /// Why `id` cannot be a row path, or nil when it can: non-empty components separated by single
    /// slashes, none of them `.` or `..`, no NUL, and (in results files) none reserved.
    static func problem(with id: String, reserved: Set<String> = []) -> String? {
        if id.isEmpty { return "a row id is empty" }
        if id.utf8.contains(0) { return "row id \(id.debugDescription) contains a NUL byte" }
        let components = id.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains(where: { $0.isEmpty || $0 == "." || $0 == ".." }) {
            return "row id '\(id)' has an empty, '.' or '..' component"
        }
        if let bad = components.first(where: { reserved.contains(String($0)) }) {
            return "row id '\(id)' has a component named '\(bad)', which the layout reserves"
        }
        return nil
    }

    /// Why `name` cannot be a dataset name (metric), or nil.
    static func problem(withName name: String, what: String) -> String? {
        if name.isEmpty || name == "." || name == ".." || name.contains("/") || name.utf8.contains(0) {
            return "\(what) '\(name)' cannot be an HDF5 name (empty, '.', '..', or contains '/' or NUL)"
        }
        return nil
    }
}

extension HDF5Group {
    /// Row groups nest as deep as row ids have parts (three today, `S01/<row>/<protocol>`, under a
    /// tier group in expected files). A file whose groups nest far deeper has a group linked into
    /// itself (the fuzzer made one from `expected/synthetic.h5`); a recursive walk would follow that
    /// cycle until the stack ran out.
    static let maxRowNesting = 16

    /// Throws when a walk from the root has gone `depth` groups down, deeper than any row a DVEBench
    /// file holds. The depth is counted by the walk, not read from the path: a link with an empty
    /// name or "." leads back to its own group without lengthening the path.
    func checkNesting(depth: Int) throws(ResultsFileError) {
        if depth > Self.maxRowNesting {
            throw .malformed(file: file.path, object: String(path.prefix(200)) + (path.count > 200 ? "…" : ""),
                             problem: "groups nest more than the \(Self.maxRowNesting) deep any DVEBench file uses (a group linked into itself?)")
        }
    }
}
