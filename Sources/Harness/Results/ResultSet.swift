import Foundation

/// The contents of one results file: what each manifest row produced in one run, and where the run
/// happened. Rows keep the order the runner produced them in (the file records it), so reports list
/// rows as they ran.
public struct ResultSet: Sendable, Equatable {
    public var provenance: Provenance
    public var rows: [RowResult]
    /// For a set made by `dvebench merge`: the shard files it was joined from and each one's
    /// provenance (a merged shard contributes its own shards, so the list stays flat).
    public var shards: [ShardProvenance]
    /// Every row a run (or the shards of a merge) was asked for, whether or not it got as far as
    /// writing it: `diff` fails a requested row the file does not hold, so a run that died, or a
    /// file that lost a row, can never pass as a run of fewer rows.
    public var requestedRows: [String]

    public init(provenance: Provenance, rows: [RowResult] = [], shards: [ShardProvenance] = [], requestedRows: [String] = []) {
        self.provenance = provenance
        self.rows = rows
        self.shards = shards
        self.requestedRows = requestedRows
    }

    /// Adds `ids` to the requested rows, keeping the order they were first asked for in.
    public mutating func request(_ ids: [String]) {
        var known = Set(requestedRows)
        for id in ids where known.insert(id).inserted { requestedRows.append(id) }
    }

    /// Requested rows the set does not hold.
    public var missingRows: [String] {
        let present = Set(rows.map(\.id))
        return requestedRows.filter { !present.contains($0) }
    }

    /// The row with manifest id `id`, if the run produced one.
    public func row(_ id: String) -> RowResult? { rows.first { $0.id == id } }

    /// Replaces the row with the same id in place, or appends `row`. A re-run row keeps its
    /// position, so resuming a run never reorders the file.
    public mutating func upsert(_ row: RowResult) {
        if let index = rows.firstIndex(where: { $0.id == row.id }) {
            rows[index] = row
        } else {
            rows.append(row)
        }
    }
}

/// One input of a merged results file.
public struct ShardProvenance: Sendable, Equatable {
    /// The shard's path as given to `dvebench merge`.
    public var file: String
    public var provenance: Provenance

    public init(file: String, provenance: Provenance) {
        self.file = file
        self.provenance = provenance
    }
}

extension RowResult.Status {
    /// `finished`, `skipped` or `failed`: the `status` attribute in a results file.
    public var name: String {
        switch self {
        case .finished: "finished"
        case .skipped: "skipped"
        case .failed: "failed"
        }
    }
}
