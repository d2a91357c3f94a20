/// Everything a report is rendered from. The runner fills it from the results file, the manifests and
/// the expected store; the report computes nothing that needs the network or the data.
///
/// Kept independent of the results file's own types (`ResultSet`, `ExpectedSet`, which another part of
/// the harness owns) so the report can be built and tested on its own; a convenience initialiser from
/// those types belongs next to them.
public struct ReportInput: Sendable {
    public var provenance: Provenance
    /// The rows of the run, in the order they should appear inside each table (manifest order).
    public var rows: [RowResult]
    /// Manifests by `Manifest.id`. A row without one is still reported, under the table named by its
    /// id's first component, labelled by its id and with no tolerance to judge it by.
    public var manifests: [String: Manifest]
    /// Expected numbers: row id → metric name → number. These decide the verdict.
    public var expected: [String: [String: ReportNumber]]
    /// Published numbers shown for context when they are not what the row is judged against (synthetic
    /// or quick runs judged against `expected/synthetic.h5`); row id → metric name → number. A number
    /// equal to the expected one is not shown twice.
    public var paper: [String: [String: ReportNumber]]
    /// Report title (first heading, HTML `<title>`).
    public var title: String
    /// Published numbers the claims section compares directions with: the row's own (seed table),
    /// else those of the same experiment in the paper's DVE ablation tables (T06 for matching, T07
    /// for MAFL regression), which publish both sides of every dimension. Row id → metric → value.
    public var claimNumbers: [String: [String: Double]] = [:]

    public init(provenance: Provenance, rows: [RowResult], manifests: [String: Manifest],
                expected: [String: [String: ReportNumber]], paper: [String: [String: ReportNumber]] = [:],
                title: String = "DVEBench report") {
        self.provenance = provenance
        self.rows = rows
        self.manifests = manifests
        self.expected = expected
        self.paper = paper
        self.title = title
    }
}

/// One expected or published number of one row and metric.
public struct ReportNumber: Sendable, Equatable {
    public var value: Double
    /// Standard deviation for `mean-std` statistics (population, over the runs).
    public var standardDeviation: Double?
    /// Digits after the decimal point as published; reproduced values and deltas get one more.
    public var decimals: Int
    /// Where the number comes from (`upstream-readme`, `seed-readme`, `synthetic`, …).
    public var source: String
    /// A tolerance that came with the number (blessed synthetic numbers); nil: the manifest's.
    public var tolerance: ToleranceSpec?

    public init(value: Double, standardDeviation: Double? = nil, decimals: Int = 2, source: String,
                tolerance: ToleranceSpec? = nil) {
        self.tolerance = tolerance
        self.value = value
        self.standardDeviation = standardDeviation
        self.decimals = decimals
        self.source = source
    }
}
