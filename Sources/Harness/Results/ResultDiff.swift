/// What a comparison of one number (or one row that produced none) concluded.
public enum Verdict: String, Sendable, CaseIterable, Comparable {
    /// Within tolerance of the expected number.
    case pass
    /// Outside tolerance in the worse direction, or not a finite number.
    case regression
    /// Outside tolerance in the better direction (`MetricSpec.better`): not a failure, but the
    /// expected number no longer describes this build.
    case improvement
    /// Nothing to compare with: the published cell is a TODO, the expected file has no such row
    /// or metric, or the metric is not in the manifest.
    case missingExpected = "missing-expected"
    /// The row did not run here (missing data, checkpoint or model); listed with the reason, and
    /// like a failure it makes the diff exit 2.
    case skipped
    /// The row failed, or finished without a metric its manifest lists.
    case failed

    /// Severity order, for sorting summaries: failures first.
    private var rank: Int {
        switch self {
        case .failed: 0
        case .regression: 1
        case .improvement: 2
        case .missingExpected: 3
        case .skipped: 4
        case .pass: 5
        }
    }

    public static func < (a: Verdict, b: Verdict) -> Bool { a.rank < b.rank }
}

/// One line of a diff: a metric of a finished row, or a whole skipped or failed row (`metric` nil).
public struct MetricComparison: Sendable, Equatable {
    public var rowID: String
    public var scale: String
    public var metric: String?
    public var unit: String?
    public var expected: Double?
    /// Decimal places the expected number was published with (nil: not rounded, or no number).
    public var expectedDecimals: Int?
    public var expectedStd: Double?
    public var got: Double?
    public var gotStd: Double?
    /// `got − expected`.
    public var delta: Double?
    /// `tolerance.allowance(for: expected)`.
    public var allowed: Double?
    public var tolerance: ToleranceSpec?
    public var verdict: Verdict
    /// The skip reason, the failure message, or why nothing was compared.
    public var note: String?

    public init(rowID: String, scale: String, metric: String? = nil, unit: String? = nil, expected: Double? = nil,
                expectedDecimals: Int? = nil, expectedStd: Double? = nil, got: Double? = nil, gotStd: Double? = nil,
                delta: Double? = nil, allowed: Double? = nil, tolerance: ToleranceSpec? = nil,
                verdict: Verdict, note: String? = nil) {
        self.rowID = rowID
        self.scale = scale
        self.metric = metric
        self.unit = unit
        self.expected = expected
        self.expectedDecimals = expectedDecimals
        self.expectedStd = expectedStd
        self.got = got
        self.gotStd = gotStd
        self.delta = delta
        self.allowed = allowed
        self.tolerance = tolerance
        self.verdict = verdict
        self.note = note
    }
}

/// Counts of a diff and the exit code they imply.
public struct DiffSummary: Sendable, Equatable {
    /// Lines per verdict (a skipped or failed row is one line).
    public var counts: [Verdict: Int]
    public var rows: Int

    public init(_ comparisons: [MetricComparison]) {
        var counts: [Verdict: Int] = [:]
        for comparison in comparisons { counts[comparison.verdict, default: 0] += 1 }
        self.counts = counts
        rows = Set(comparisons.map(\.rowID)).count
    }

    public func count(_ verdict: Verdict) -> Int { counts[verdict] ?? 0 }

    /// The exit status of `dvebench diff` (and of the diff `bless` prints), decided here only:
    ///
    /// | code | when |
    /// | --- | --- |
    /// | 0 | every compared metric is within tolerance; metrics without an expected number are listed and counted but do not fail |
    /// | 2 | at least one regression, or a row that did not finish: failed, skipped, or requested and missing (whatever else happened) |
    /// | 4 | at least one improvement, and no regression or failure |
    /// | 1 | an error before any comparison (unreadable file, missing manifest); thrown, never returned here |
    ///
    /// 4 is distinct from 0 so that CI notices when the expected numbers should be re-blessed, and
    /// distinct from 2 so that a better number never reads as a broken build.
    public var exitCode: Int32 {
        // A row that did not run is not a row that passed: the gate cannot be satisfied by absence.
        if count(.regression) > 0 || count(.failed) > 0 || count(.skipped) > 0 { return 2 }
        if count(.improvement) > 0 { return 4 }
        return 0
    }
}

/// A diff of one results file against expected numbers.
public struct DiffReport: Sendable, Equatable {
    /// In the results' row order, each row's metrics in its manifest's order.
    public var comparisons: [MetricComparison]
    /// Facts about the inputs worth printing (e.g. an expected file that does not exist yet).
    public var notes: [String]
    public var summary: DiffSummary { DiffSummary(comparisons) }
    public var exitCode: Int32 { summary.exitCode }

    public init(comparisons: [MetricComparison], notes: [String] = []) {
        self.comparisons = comparisons
        self.notes = notes
    }
}

public enum DiffError: Error, CustomStringConvertible, Sendable {
    /// A finished row has no manifest: its tolerances and polarity are unknown.
    case missingManifest(row: String)
    /// `MetricSpec.better` is neither `lower` nor `higher`.
    case unknownPolarity(row: String, metric: String, value: String)
    case file(ResultsFileError)

    public var description: String {
        switch self {
        case .missingManifest(let row):
            "row '\(row)' has no manifest, so its tolerances are unknown (is --manifests the directory it ran from?)"
        case .unknownPolarity(let row, let metric, let value):
            "manifest of row '\(row)': metric '\(metric)' has better: '\(value)', expected 'lower' or 'higher'"
        case .file(let error):
            error.description
        }
    }

    /// Exit status for a diff that could not be computed.
    public var exitCode: Int32 { 1 }
}
