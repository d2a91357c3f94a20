/// `dvebench merge`: joins results files written by shards of one run into one file.
public enum ResultsMerge {
    /// Rows of every shard, in shard order then each shard's row order.
    ///
    /// - A row id in several shards must be the same row there (bit for bit, including wall time
    ///   and figures: typically a shard that was copied or resumed from another); then it is kept
    ///   once. Otherwise the merge fails naming the row, both files and the first field that differs.
    /// - The merged set's provenance is `provenance` (the merge itself); each shard's own
    ///   provenance is kept in `shards`, flattened: a shard that is itself a merge contributes the
    ///   shards it was made from.
    public static func merge(_ shards: [(file: String, set: ResultSet)], provenance: Provenance) throws(MergeError) -> ResultSet {
        var merged = ResultSet(provenance: provenance)
        var origin: [String: String] = [:]
        for (file, set) in shards {
            for row in set.rows {
                if let existing = merged.row(row.id), let firstFile = origin[row.id] {
                    if let field = firstDifference(existing, row) {
                        throw .conflict(row: row.id, first: firstFile, second: file, field: field)
                    }
                    continue
                }
                merged.rows.append(row)
                origin[row.id] = file
            }
            merged.request(set.requestedRows)
            merged.shards += set.shards.isEmpty ? [ShardProvenance(file: file, provenance: set.provenance)] : set.shards
        }
        return merged
    }

    /// Reads the shard files, merges them and saves the result atomically at `output`.
    public static func run(output: String, shardPaths: [String], provenance: Provenance) throws(MergeError) -> ResultSet {
        guard !shardPaths.isEmpty else { throw .noShards }
        var shards: [(file: String, set: ResultSet)] = []
        for path in shardPaths {
            do { shards.append((path, try ResultSet.read(from: path))) } catch { throw .file(error) }
        }
        let merged = try merge(shards, provenance: provenance)
        do { try ResultsFile.save(merged, to: output) } catch { throw .file(error) }
        return merged
    }

    /// The first field in which two rows with the same id differ, or nil when they are the same.
    /// Numbers are compared by bit pattern, so a NaN metric in both copies is the same row.
    static func firstDifference(_ a: RowResult, _ b: RowResult) -> String? {
        func bits(_ metrics: [MetricValue]) -> [[UInt64?]] {
            metrics.map { [$0.value.bitPattern, $0.standardDeviation?.bitPattern, $0.runs.map { UInt64(bitPattern: Int64($0)) }] }
        }
        if a.status != b.status { return "status" }
        if a.manifestSHA256 != b.manifestSHA256 { return "manifest_sha256" }
        if a.metrics.map(\.name) != b.metrics.map(\.name) || bits(a.metrics) != bits(b.metrics) { return "metrics" }
        if a.mode != b.mode { return "mode" }
        if a.scale != b.scale { return "scale" }
        if a.dataSource != b.dataSource { return "data_source" }
        if a.seeds != b.seeds { return "seeds" }
        if a.wallSeconds.bitPattern != b.wallSeconds.bitPattern { return "wall_seconds" }
        if a.details != b.details { return "details" }
        if a.figures != b.figures { return "figures" }
        return nil
    }
}

public enum MergeError: Error, CustomStringConvertible, Sendable {
    case conflict(row: String, first: String, second: String, field: String)
    case noShards
    case file(ResultsFileError)

    public var description: String {
        switch self {
        case .conflict(let row, let first, let second, let field):
            "row '\(row)' is in \(first) and \(second) with different \(field); remove it from one shard and merge again"
        case .noShards: "no shard files to merge"
        case .file(let error): error.description
        }
    }
}
