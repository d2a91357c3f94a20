/// How one reproduced metric compares with its expected number.
public enum MetricVerdict: String, Sendable, Equatable, CaseIterable {
    /// Within the manifest's tolerance.
    case pass
    /// Outside the tolerance on the worse side (or not a finite number).
    case regression
    /// Outside the tolerance on the better side: not a failure, but the expected number should be
    /// looked at (a bless, or a bug that makes the metric too good).
    case improvement
    /// Nothing to compare against: the published cell is a TODO, or the row has no manifest/tolerance.
    case unchecked
    /// An expected number exists but the finished row did not report the metric.
    case missing
}

/// One row's verdict: the worst of its metrics, or what kept it from running.
public enum RowVerdict: String, Sendable, Equatable, CaseIterable {
    case pass, regression, improvement, skipped, failed, unchecked

    /// Combines a finished row's metric verdicts: a regression or a missing metric makes the row a
    /// regression (a number that vanished is worse than one that moved); else any improvement makes it an
    /// improvement; else any pass a pass; a row with nothing checked is unchecked.
    public static func rollUp(_ verdicts: [MetricVerdict]) -> RowVerdict {
        if verdicts.contains(where: { $0 == .regression || $0 == .missing }) { return .regression }
        if verdicts.contains(.improvement) { return .improvement }
        if verdicts.contains(.pass) { return .pass }
        return .unchecked
    }
}

public enum ReportVerdict {
    /// Judges `reproduced` against `expected` with the manifest's tolerance: within
    /// `absolute + relative·|expected|` (inclusive) is `.pass`; beyond it, on the side `better` names
    /// (`"lower"` or `"higher"`; anything else is read as `"lower"`, the convention of every error metric
    /// here) `.improvement`, otherwise `.regression`. A non-finite reproduced value is a `.regression`;
    /// a non-finite expected value or tolerance gives `.unchecked`.
    public static func judge(reproduced: Double, expected: Double, tolerance: ToleranceSpec,
                             better: String) -> MetricVerdict {
        // The diff's predicate and polarity, so a report and `dvebench diff` never disagree.
        guard expected.isFinite, tolerance.allowance(for: expected).isFinite else { return .unchecked }
        if tolerance.accepts(got: reproduced, expected: expected) { return .pass }
        return (Polarity(rawValue: better) ?? .lower).isBetter(reproduced, than: expected) ? .improvement : .regression
    }

    /// The tolerance as a fraction of |expected| (`allowed / |expected|`), for charts; nil when expected
    /// is 0 or not finite.
    public static func relativeTolerance(expected: Double, tolerance: ToleranceSpec) -> Double? {
        guard expected.isFinite, expected != 0 else { return nil }
        let allowed = tolerance.allowance(for: expected)
        return allowed.isFinite ? allowed / abs(expected) : nil
    }
}
