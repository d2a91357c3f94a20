import Foundation

/// Why `paper-tables.json` could not be read. Every case names the file.
public enum PaperTablesError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(file: String, reason: String)
    case malformed(file: String, reason: String)
    /// A row breaks an assumption the manifests and `paper.h5` are built on (e.g. two rows with one id).
    case invalidRow(file: String, rowKey: String, problem: String)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason): "\(file): cannot read: \(reason)"
        case .malformed(let file, let reason): "\(file): not a paper-tables file: \(reason)"
        case .invalidRow(let file, let rowKey, let problem): "\(file): row \(rowKey): \(problem)"
        }
    }
}

/// `expected/sources/paper-tables.json`: every published result row of the DVE reference, one per
/// (source, table, run, task). The manifests and `expected/paper.h5` are both generated from it.
public struct PaperTables: Sendable, Equatable {
    public var description: String
    public var rows: [PaperTableRow]
    /// SHA-256 of the file's bytes (recorded in `paper.h5` so a stale import is detectable).
    public var sha256: String

    /// The metrics as displayed, in this order (`metrics` in the JSON is an unordered object).
    public static let metricOrder = ["same_identity", "different_identity", "iod_error"]

    public static func load(path: String) throws(PaperTablesError) -> PaperTables {
        let data: Data
        do { data = try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
            throw .unreadable(file: path, reason: error.localizedDescription)
        }
        return try parse(data, file: path)
    }

    public static func parse(_ data: Data, file: String) throws(PaperTablesError) -> PaperTables {
        struct Top: Decodable {
            var description: String
            var row_count: Int
            var rows: [PaperTableRow]
        }
        let top: Top
        do { top = try JSONDecoder().decode(Top.self, from: data) } catch {
            throw .malformed(file: file, reason: "\(error)")
        }
        guard top.row_count == top.rows.count else {
            throw .malformed(file: file, reason: "row_count is \(top.row_count) but \(top.rows.count) rows are listed")
        }
        var seenKeys = Set<String>(), seenIDs = Set<String>()
        for row in top.rows {
            guard seenKeys.insert(row.rowKey).inserted else {
                throw .invalidRow(file: file, rowKey: row.rowKey, problem: "row_key appears twice")
            }
            guard seenIDs.insert(row.rowID).inserted else {
                throw .invalidRow(file: file, rowKey: row.rowKey, problem: "row id \(row.rowID) appears twice")
            }
            guard row.rowKey == "\(row.source)|\(row.tableID)|\(row.id)" else {
                throw .invalidRow(file: file, rowKey: row.rowKey, problem: "row_key is not <source>|<table_id>|<id>")
            }
            guard row.tableShort.count == 3 else {
                throw .invalidRow(file: file, rowKey: row.rowKey, problem: "table_id \(row.tableID) does not start with a short id like T01-")
            }
            for name in row.metrics.keys where !metricOrder.contains(name) && !name.hasSuffix("_std") {
                throw .invalidRow(file: file, rowKey: row.rowKey, problem: "unknown metric \(name)")
            }
        }
        return PaperTables(description: top.description, rows: top.rows,
                           sha256: SHA256.hexDigest([UInt8](data)))
    }
}

/// One row of `paper-tables.json` (field meanings: `paper-tables.md`).
public struct PaperTableRow: Sendable, Equatable, Decodable {
    public var rowKey: String
    /// `<experiment>/<task>`.
    public var id: String
    public var source: String
    public var tableID: String
    public var table: String
    public var experiment: String
    /// `matching`, `regression` or `regression-limited-annotations`.
    public var task: String
    public var dataset: String
    public var finetuneDataset: String?
    public var architecture: String
    public var embeddingDim: Int
    public var dve: Bool
    public var finetuned: Bool
    public var numAnnotations: Int?
    public var displayGroup: String?
    public var variant: String?
    /// As displayed; a nil value is a TODO cell. `<name>_std` holds the std of mean ± std cells.
    public var metrics: [String: Double?]
    public var metricsFullPrecision: [String: Double]?
    public var params: Int?
    public var timestamp: String?
    public var epoch: Int?
    public var checkpointURL: String?
    public var configPath: String?
    public var notes: String?

    enum CodingKeys: String, CodingKey {
        case rowKey = "row_key", id, source, tableID = "table_id", table, experiment, task, dataset
        case finetuneDataset = "finetune_dataset", architecture, embeddingDim = "embedding_dim", dve, finetuned
        case numAnnotations = "num_annotations", displayGroup = "display_group", variant, metrics
        case metricsFullPrecision = "metrics_full_precision", params, timestamp, epoch
        case checkpointURL = "checkpoint_url", configPath = "config_path", notes
    }

    /// `T01` from `T01-learned-embeddings-matching-on-mafl-test`.
    public var tableShort: String { String(tableID.prefix { $0 != "-" }) }
    /// The manifest and `paper.h5` id: `<table short id>/<experiment>/<task>`.
    public var rowID: String { "\(tableShort)/\(id)" }
    /// The displayed metric names of this row, in `PaperTables.metricOrder`.
    public var metricNames: [String] { PaperTables.metricOrder.filter { metrics.keys.contains($0) } }
    /// True when any displayed metric is a TODO.
    public var isTodo: Bool { metricNames.contains { metrics[$0] ?? nil == nil } }
}
