import Foundation

/// The terminal rendering of a `DiffReport`: columns row, metric, expected, got, delta, tolerance,
/// verdict, note; then the counts. The CLI prints these lines as they are.
public struct DiffTable: Sendable {
    public let report: DiffReport

    public init(_ report: DiffReport) { self.report = report }

    /// One line per comparison; `includePassing: false` keeps only what needs attention.
    public func lines(includePassing: Bool = true) -> [String] {
        var table = TextTable(["row", "metric", "expected", "got", "delta", "tolerance", "verdict", "note"])
        for line in report.comparisons where includePassing || line.verdict != .pass {
            let unit = line.unit.map { " \($0)" } ?? ""
            table.add([
                line.rowID + (line.scale == "paper" ? "" : " [\(line.scale)]"),
                line.metric ?? "—",
                NumberText.format(line.expected, std: line.expectedStd, decimals: line.expectedDecimals),
                NumberText.format(line.got, std: line.gotStd) + (line.got == nil ? "" : unit),
                NumberText.signed(line.delta),
                line.allowed.map { "±" + NumberText.format($0) } ?? "—",
                line.verdict.rawValue,
                line.note ?? "",
            ])
        }
        return report.notes.map { "note: \($0)" } + table.lines
    }

    /// "12 rows: 30 pass, 1 regression, …, exit 2" with only the verdicts that occurred.
    public var summary: String {
        let summary = report.summary
        let parts = Verdict.allCases.sorted().compactMap { verdict -> String? in
            let count = summary.count(verdict)
            return count == 0 ? nil : "\(count) \(verdict.rawValue)"
        }
        let body = parts.isEmpty ? "nothing to compare" : parts.joined(separator: ", ")
        return "\(summary.rows) rows: \(body); exit \(summary.exitCode)"
    }
}
