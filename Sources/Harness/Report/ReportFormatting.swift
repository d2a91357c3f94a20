import Foundation

/// Number formatting and escaping shared by the Markdown and HTML reports. Formatting never depends on
/// the locale (a report compared across machines must read the same).
enum ReportFormat {
    static let dash = "—"

    /// `value` with `decimals` digits after the point (clamped to 0…12); `NaN`, `+∞`, `−∞` spelled out.
    static func fixed(_ value: Double, decimals: Int) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "+∞" : "−∞") }
        return String(format: "%.\(min(max(decimals, 0), 12))f", value)
    }

    /// `value ± std` as published (std with the same digits).
    static func number(_ n: ReportNumber) -> String {
        let v = fixed(n.value, decimals: n.decimals)
        guard let s = n.standardDeviation else { return v }
        return "\(v) ± \(fixed(s, decimals: n.decimals))"
    }

    /// A reproduced value with one digit more than the expected number has (two when none is known).
    static func reproduced(_ m: MetricValue, decimals: Int?) -> String {
        let d = (decimals ?? 2) + 1
        let v = fixed(m.value, decimals: d)
        var text = m.standardDeviation.map { "\(v) ± \(fixed($0, decimals: d))" } ?? v
        if let runs = m.runs { text += " (n=\(runs))" }
        return text
    }

    /// `+0.012 (+0.9%)`: the signed difference and, when defined, the relative one.
    static func delta(_ cell: ReportCell) -> String {
        guard let d = cell.delta else { return dash }
        let digits = (cell.expected?.decimals ?? 2) + 1
        var text = signed(fixed(d, decimals: digits), d)
        if let r = cell.relativeDelta { text += " (\(signed(fixed(100 * r, decimals: 1), r))%)" }
        return text
    }

    /// An explicit sign on every finite difference, with a typographic minus.
    private static func signed(_ text: String, _ value: Double) -> String {
        if text.hasPrefix("-") { return "−" + text.dropFirst() }
        return value.isFinite ? "+" + text : text
    }

    static func verdict(_ cell: ReportCell) -> String { cell.verdict?.rawValue ?? dash }

    /// `T01 — Caption (T01-id)`, omitting what is unknown.
    static func tableHeading(_ table: ReportTable) -> String {
        var heading = table.short
        if !table.title.isEmpty { heading += " — \(table.title)" }
        if !table.id.isEmpty, table.id != table.short { heading += " (\(table.id))" }
        return heading
    }

    /// `same_identity (px)`.
    static func columnName(_ column: ReportMetricColumn) -> String {
        column.unit.isEmpty ? column.name : "\(column.name) (\(column.unit))"
    }

    /// Each metric's tolerance rule (unescaped), when every row of `table` is judged by one rule per
    /// metric; nil when a metric has several (blessed synthetic numbers carry their own, rows of two
    /// modes differ) or none: each row's allowance is then in its own `tol` column only, rather than
    /// in a run-on list under the table.
    static func toleranceRules(_ table: ReportTable) -> [(metric: String, text: String)]? {
        var rules: [(metric: String, text: String)] = []
        for column in table.metrics {
            var seen: [ToleranceSpec] = []
            for row in table.rows {
                // The cell's tolerance is the one the row was judged by (train or checkpoint mode).
                if let tolerance = row.cells.first(where: { $0.metric == column.name })?.tolerance, !seen.contains(tolerance) {
                    seen.append(tolerance)
                }
            }
            if seen.count > 1 { return nil }
            if let rule = seen.first { rules.append((column.name, describe(rule))) }
        }
        return rules.isEmpty ? nil : rules
    }

    /// Where the table's numbers come from: `expected from upstream-readme; paper column from
    /// seed-readme` (distinct sources in row order; empty when the table has no numbers).
    static func sources(_ table: ReportTable) -> String {
        let cells = table.rows.flatMap(\.cells)
        let expected = distinct(cells.compactMap { $0.expected?.source })
        let paper = distinct(cells.compactMap { $0.paper?.source })
        var parts: [String] = []
        if expected != dash { parts.append("expected from \(expected)") }
        if paper != dash { parts.append("paper column from \(paper)") }
        return parts.joined(separator: "; ")
    }

    /// The cell's own allowance, `±0.42` (absolute + relative·|expected|), or a dash when the cell
    /// has no tolerance or no expected number.
    static func allowance(_ cell: ReportCell) -> String {
        guard let tolerance = cell.tolerance, let expected = cell.expected?.value else { return dash }
        let value = tolerance.allowance(for: expected)
        return value == 0 ? "exact" : "±" + fixed(value, decimals: value < 0.1 ? 3 : 2)
    }

    /// `±(0.05 + 2.0%·|expected|)`, dropping a zero term; `exact` when both are zero.
    static func describe(_ t: ToleranceSpec) -> String {
        let absolute = t.absolute != 0 ? "\(t.absolute)" : nil
        let relative = t.relative != 0 ? "\(fixed(100 * t.relative, decimals: 1))%·|expected|" : nil
        let terms = [absolute, relative].compactMap { $0 }
        return terms.isEmpty ? "exact" : "±(" + terms.joined(separator: " + ") + ")"
    }

    /// Distinct values in first-seen order, joined (`quick, paper`): a run may mix scales or modes.
    static func distinct(_ values: [String]) -> String {
        var seen: Set<String> = []
        let kept = values.filter { seen.insert($0).inserted }
        return kept.isEmpty ? dash : kept.joined(separator: ", ")
    }

    /// Provenance facts in display order, shared by both reports.
    static func provenanceFacts(_ input: ReportInput) -> [(name: String, value: String)] {
        let p = input.provenance
        let libraries = p.libraries.keys.sorted().map { "\($0) \(p.libraries[$0] ?? "")" }.joined(separator: ", ")
        return [
            ("commit", p.gitCommit + (p.gitDirty ? " (dirty: uncommitted changes)" : "")),
            ("threads", String(p.threads)),
            ("BLAS core", p.blasCore),
            ("scale", distinct(input.rows.map(\.scale))),
            ("mode", distinct(input.rows.map(\.mode))),
            ("data source", distinct(input.rows.map(\.dataSource))),
            ("Swift", p.swiftVersion),
            ("libraries", libraries.isEmpty ? dash : libraries),
            ("CPU", p.cpu),
            ("host", p.hostname),
            ("started", p.startedAt),
            ("command", p.command),
        ]
    }
}

/// Escaping for the two output languages. Every string that comes from a manifest, a result or the
/// provenance goes through one of these: row labels and failure messages are data, not markup.
enum ReportEscape {
    /// Text and attribute values in HTML: `& < > " '`.
    static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for ch in text {
            switch ch {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(ch)
            }
        }
        return out
    }

    /// Text inside a Markdown table cell or line: newlines become spaces (a cell is one line), Markdown
    /// punctuation is backslash-escaped, and `<`, `>`, `&` become entities so renderers that pass HTML
    /// through cannot be fed markup.
    static func markdown(_ text: String) -> String {
        var out = ""
        for ch in text {
            switch ch {
            case "\n", "\r", "\t": out.append(" ")
            case "\\", "`", "*", "_", "[", "]", "|", "#", "!": out += "\\\(ch)"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "&": out += "&amp;"
            default: out.append(ch)
            }
        }
        return out
    }
}
