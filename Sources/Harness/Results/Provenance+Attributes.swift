import HDF5

/// Provenance as attributes: typed at the root of a results file (and under `shard.<i>.` in a merged
/// one), all strings under `provenance.` in an expected file, whose root attributes are free text.
///
/// Names: `git_commit`, `git_dirty` (uint8 0/1), `swift_version`, `lib.<name>` per library, `cpu`,
/// `blas_core`, `threads` (int64), `hostname`, `started_at`, `command`.
extension Provenance {
    func attributes(prefix: String = "") -> [(name: String, value: HDF5Value)] {
        var result: [(String, HDF5Value)] = [
            ("git_commit", .string(gitCommit)), ("git_dirty", .bool(gitDirty)),
            ("swift_version", .string(swiftVersion)), ("cpu", .string(cpu)), ("blas_core", .string(blasCore)),
            ("threads", .int64(Int64(threads))), ("hostname", .string(hostname)),
            ("started_at", .string(startedAt)), ("command", .string(command)),
        ]
        result += libraries.sorted { $0.key < $1.key }.map { ("lib.\($0.key)", .string($0.value)) }
        return result.map { (prefix + $0.0, $0.1) }
    }

    /// The same fields as text, for the free string attributes of an expected file.
    func stringAttributes(prefix: String) -> [String: String] {
        var result: [String: String] = [:]
        for (name, value) in attributes(prefix: prefix) {
            switch value {
            case .uint8(let flags, _): result[name] = flags.first == 1 ? "true" : "false"
            case .int64(let numbers, _): result[name] = numbers.first.map(String.init) ?? ""
            default: result[name] = value.stringValue ?? ""
            }
        }
        return result
    }

    /// Reads the fields written by `attributes(prefix: "")` from `bag` (already scoped to the prefix).
    init(attributes bag: AttributeBag) throws(ResultsFileError) {
        self.init(gitCommit: try bag.string("git_commit"), gitDirty: try bag.bool("git_dirty"),
                  swiftVersion: try bag.string("swift_version"), libraries: try bag.prefixedStrings("lib."),
                  cpu: try bag.string("cpu"), blasCore: try bag.string("blas_core"), threads: try bag.int("threads"),
                  hostname: try bag.string("hostname"), startedAt: try bag.string("started_at"),
                  command: try bag.string("command"))
    }
}
