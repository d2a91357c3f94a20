import Foundation

/// The numbers a run is compared against: `expected/paper.h5` (published numbers, written by the
/// manifests tooling) or `expected/synthetic.h5` (numbers blessed from earlier synthetic runs).
///
/// Rows are keyed by their group path in the file. `paper.h5` holds rows at the row id
/// (`T01/celeba-smallnet-3d-dve/matching`); `synthetic.h5` at `<scale>/<row id>`
/// (`quick/T01/celeba-smallnet-3d-dve/matching`), since each synthetic scale has its own numbers.
/// `key(rowID:scale:)` is the one place that rule lives.
public struct ExpectedSet: Sendable, Equatable {
    /// Free string attributes of the file's root (`description`, `source_file`, `provenance.<field>`),
    /// without `kind` and `schema`.
    public var attributes: [String: String]
    /// Row key (see above) → row.
    public var rows: [String: ExpectedRow]

    public init(attributes: [String: String] = [:], rows: [String: ExpectedRow] = [:]) {
        self.attributes = attributes
        self.rows = rows
    }

    /// The key a result row's expected numbers live under: the id for `paper` scale, otherwise
    /// `<scale>/<id>`. A paper-scale row is thus never compared with blessed synthetic numbers, nor
    /// a synthetic row with published ones, even when one file is named with `--expected`.
    public static func key(rowID: String, scale: String) -> String {
        scale == "paper" ? rowID : "\(scale)/\(rowID)"
    }

    /// The expected row for result row `rowID` run at `scale`.
    public func row(for rowID: String, scale: String) -> ExpectedRow? {
        rows[Self.key(rowID: rowID, scale: scale)]
    }

    /// Adds the rows of `other`; a key present in both is an error naming it (the two files would
    /// disagree about which number is expected).
    public func merging(_ other: ExpectedSet) throws(ExpectedSetError) -> ExpectedSet {
        var merged = self
        for (key, row) in other.rows.sorted(by: { $0.key < $1.key }) {
            guard merged.rows[key] == nil else { throw .duplicateRow(key) }
            merged.rows[key] = row
        }
        // Keep the other file's provenance too (the blessing run's kernel and CPU, its spread runs),
        // without overwriting this file's own.
        for (name, value) in other.attributes where merged.attributes[name] == nil { merged.attributes[name] = value }
        return merged
    }
}

public enum ExpectedSetError: Error, CustomStringConvertible, Sendable {
    case duplicateRow(String)

    public var description: String {
        switch self {
        case .duplicateRow(let key): "row '\(key)' has expected numbers in two files"
        }
    }
}

/// One row of an expected file.
public struct ExpectedRow: Sendable, Equatable {
    /// `paper-tables.json` row key (`<source>|<table_id>|<run id>`).
    public var rowKey: String
    /// `seed-readme`, `upstream-readme`, `upstream-results-json`, or `blessed:<file>@<commit>`.
    public var source: String
    /// `paper-tables.json` table id.
    public var table: String
    /// The published cell is a TODO: the row has no numbers to compare.
    public var todo: Bool
    /// Metric name → number.
    public var metrics: [String: ExpectedMetric]

    public init(rowKey: String, source: String, table: String, todo: Bool, metrics: [String: ExpectedMetric] = [:]) {
        self.rowKey = rowKey
        self.source = source
        self.table = table
        self.todo = todo
        self.metrics = metrics
    }
}

/// One expected number.
public struct ExpectedMetric: Sendable, Equatable {
    public var value: Double
    /// Decimal places the number was published with; nil when not rounded (stored as −1).
    public var decimals: Int?
    /// Where this number comes from (may differ from the row's when a cell was taken from
    /// another source, or says `blessed:<file>@<commit>`).
    public var source: String
    /// The unrounded value, when a source gives one (stored as NaN when absent).
    public var fullPrecision: Double?
    /// Published standard deviation of a `mean-std` metric, with its decimal places.
    public var standardDeviation: Double?
    public var standardDeviationDecimals: Int?
    /// The tolerance blessed with the number, which then overrides the manifest's. Synthetic tiers
    /// carry one (`RunScale.tolerance`): their numbers are bit-reproducible on one machine but move
    /// with the summation order of another CPU's BLAS kernels, more than a published number's
    /// rounding allows.
    public var tolerance: ToleranceSpec?

    public init(value: Double, decimals: Int?, source: String, fullPrecision: Double? = nil,
                standardDeviation: Double? = nil, standardDeviationDecimals: Int? = nil, tolerance: ToleranceSpec? = nil) {
        self.tolerance = tolerance
        self.value = value
        self.decimals = decimals
        self.source = source
        self.fullPrecision = fullPrecision
        self.standardDeviation = standardDeviation
        self.standardDeviationDecimals = standardDeviationDecimals
    }
}
