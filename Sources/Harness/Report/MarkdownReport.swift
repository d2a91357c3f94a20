/// The report as GitHub-flavoured Markdown: provenance, a summary line, then one section per paper
/// table with the table's rows and, per metric, expected / reproduced / Δ / verdict.
public enum MarkdownReport {
    public static func render(_ input: ReportInput) -> String {
        let tables = ReportTables.build(input)
        var lines: [String] = []
        lines.append("# \(ReportEscape.markdown(input.title))")
        lines.append("")
        for fact in ReportFormat.provenanceFacts(input) {
            lines.append("- \(fact.name): \(ReportEscape.markdown(fact.value))")
        }
        lines.append("")
        lines.append("**Summary:** \(ReportTables.summaryLine(tables)).")
        lines.append("")
        lines.append("A metric passes when |reproduced − expected| ≤ absolute + relative·|expected| (the "
                     + "manifest's tolerance); outside it, it is an improvement on the better side and a "
                     + "regression on the other. Reproduced values carry one digit more than published.")
        for table in tables {
            lines.append("")
            lines += section(table)
        }
        let claims = ReportClaims.markdown(ReportClaims.claims(input))
        if !claims.isEmpty {
            lines.append("")
            lines += claims
        }
        let landmarks = ReportLandmarks.markdown(ReportLandmarks.rows(input))
        if !landmarks.isEmpty {
            lines.append("")
            lines += landmarks
        }
        lines.append("")
        return lines.joined(separator: "\n")
    }

    static func section(_ table: ReportTable) -> [String] {
        var lines = ["## \(ReportEscape.markdown(ReportFormat.tableHeading(table)))", ""]
        var header = ["row"]
        var align = ["---"]
        for column in table.metrics {
            let name = ReportEscape.markdown(ReportFormat.columnName(column))
            if table.showsPaper {
                header.append("\(name) paper")
                align.append("---:")
            }
            header += ["\(name) expected", "reproduced", "Δ", "tol", "verdict"]
            align += ["---:", "---:", "---:", "---:", "---"]
        }
        header += ["row verdict", "notes"]
        align += ["---", "---"]
        lines.append(tableLine(header))
        lines.append(tableLine(align))
        for row in table.rows {
            var cells = [ReportEscape.markdown(row.label)]
            for cell in row.cells {
                if table.showsPaper { cells.append(cell.paper.map(ReportFormat.number) ?? ReportFormat.dash) }
                cells.append(cell.expected.map(ReportFormat.number) ?? ReportFormat.dash)
                cells.append(cell.reproduced.map { ReportFormat.reproduced($0, decimals: cell.expected?.decimals) }
                             ?? ReportFormat.dash)
                cells.append(ReportFormat.delta(cell))
                cells.append(ReportFormat.allowance(cell))
                cells.append(emphasised(ReportFormat.verdict(cell), cell.verdict == .regression || cell.verdict == .missing))
            }
            cells.append(emphasised(row.verdict.rawValue, row.verdict == .regression || row.verdict == .failed))
            cells.append(row.note.map(ReportEscape.markdown) ?? "")
            lines.append(tableLine(cells))
        }
        let footer = [toleranceLine(table).map { "Tolerance rules: \($0)" },
                      ReportFormat.sources(table).isEmpty ? nil : "Numbers: " + ReportEscape.markdown(ReportFormat.sources(table))]
            .compactMap { $0 }
        if !footer.isEmpty {
            lines.append("")
            lines.append(footer.joined(separator: ". ") + ".")
        }
        return lines
    }

    /// `same_identity ±(0.05 + 2.0%·|expected|); …`, escaped, when the table has one rule per metric.
    static func toleranceLine(_ table: ReportTable) -> String? {
        ReportFormat.toleranceRules(table)?.map { "\(ReportEscape.markdown($0.metric)) \($0.text)" }.joined(separator: "; ")
    }

    private static func tableLine(_ cells: [String]) -> String { "| " + cells.joined(separator: " | ") + " |" }

    private static func emphasised(_ text: String, _ flag: Bool) -> String { flag ? "**\(text)**" : text }
}
