extension ToleranceSpec {
    /// The largest |got − expected| accepted for `expected`: `absolute + relative · |expected|`.
    public func allowance(for expected: Double) -> Double {
        absolute + relative * abs(expected)
    }

    /// Whether `got` reproduces `expected`: `|got − expected| ≤ absolute + relative · |expected|`.
    ///
    /// - Both numbers must be finite: a NaN or infinite `got` (a diverged run) never passes, and a
    ///   non-finite `expected` is not a number to compare with (callers treat it as missing).
    /// - The bound is inclusive, so `absolute = relative = 0` demands exact equality, which is what
    ///   blessed synthetic numbers of a deterministic run use.
    /// - The predicate is not symmetric in its arguments: the relative part scales with the
    ///   expected number only, so a run cannot widen its own tolerance by being far off.
    /// - Published numbers are rounded (e.g. 2 decimals); the tolerance in the manifest must cover
    ///   that rounding. It is not added here, so the bound is exactly what the manifest says.
    /// - Misuse: a negative `absolute` or `relative` shrinks the bound and can make every
    ///   comparison fail; manifests must not use them.
    public func accepts(got: Double, expected: Double) -> Bool {
        guard got.isFinite, expected.isFinite else { return false }
        return abs(got - expected) <= allowance(for: expected)
    }
}

/// Which way a metric improves (`MetricSpec.better`).
public enum Polarity: String, Sendable {
    case lower, higher

    /// Whether `got` is better than `expected` under this polarity. A NaN or infinite `got` is
    /// never better: a diverged run is a regression whichever way the metric points.
    public func isBetter(_ got: Double, than expected: Double) -> Bool {
        guard got.isFinite else { return false }
        switch self {
        case .lower: return got < expected
        case .higher: return got > expected
        }
    }
}
