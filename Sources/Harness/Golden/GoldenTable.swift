import Foundation

/// The terminal rendering of a `GoldenReport`: one aligned line per check.
public struct GoldenTable {
    public let report: GoldenReport

    public init(_ report: GoldenReport) { self.report = report }

    static func number(_ x: Double) -> String {
        x.isNaN ? "-" : String(format: "%.3e", x)
    }

    static func verdict(_ outcome: GoldenCheck.Outcome) -> String {
        switch outcome {
        case .pass: "PASS"
        case .fail: "FAIL"
        case .notCovered: "NOT COVERED"
        }
    }

    public func lines(includePassing: Bool = true) -> [String] {
        let shown = report.checks.filter { includePassing || $0.outcome != .pass }
        let rows = shown.map { check in
            [check.file, check.name, "max_abs=" + Self.number(check.maxAbsError),
             "rel_to_max=" + Self.number(check.maxErrorRelativeToScale), "tol=" + check.tolerance,
             Self.verdict(check.outcome) + (check.detail.map { "  (\($0))" } ?? "")]
        }
        guard let first = rows.first else { return [] }
        let widths = (0..<first.count - 1).map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { index, cell in
                index < widths.count ? cell.padding(toLength: widths[index], withPad: " ", startingAt: 0) : cell
            }.joined(separator: "  ")
        }
    }

    public var summary: String {
        let passed = report.checks.filter { $0.outcome == .pass }.count
        let failed = report.failures.count
        let uncovered = Set(report.uncovered.map(\.file)).count
        // Only a set with uncovered files says "not covered", so a log search for failures finds real ones.
        let coverage = uncovered == 0 ? "every file covered" : "\(uncovered) files not covered"
        return "golden verify \(report.directory): \(passed) passed, \(failed) failed, \(coverage)"
    }
}
