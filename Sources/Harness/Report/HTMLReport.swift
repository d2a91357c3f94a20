/// The report as one self-contained HTML file: CSS inline, pictures as `data:image/png;base64,…`,
/// charts as inline SVG, no scripts and no external URL (a Content-Security-Policy forbids loading
/// anything else, so a report can be mailed or archived and still show everything).
///
/// Sections, each a `<section id="…">` with a stable id: `summary`, `tables`, `claims`, `curves`, `landmarks`, `matches`,
/// `embeddings`, `deltas`, `architectures`. Every string from a manifest, result or the provenance
/// is escaped.
public enum HTMLReport {
    public static let sectionIDs = ["summary", "tables", "claims", "curves", "landmarks", "matches", "embeddings", "deltas", "architectures"]

    public static func render(_ input: ReportInput) -> String {
        let tables = ReportTables.build(input)
        var html = """
        <!DOCTYPE html>
        <html lang="en">
        <head>
        <meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>\(ReportEscape.html(input.title))</title>
        <style>\(css)</style>
        </head>
        <body>
        <h1>\(ReportEscape.html(input.title))</h1>
        <nav>
        """
        let names = ["Summary", "Tables", "Claims", "Curves", "Landmarks", "Matches", "Embeddings", "Deltas", "Architectures"]
        html += zip(sectionIDs, names).map { "<a href=\"#\($0)\">\($1)</a>" }.joined(separator: " · ")
        html += "</nav>\n"
        html += summarySection(input, tables: tables)
        html += tablesSection(tables)
        html += section("claims", "Claims", ReportClaims.html(ReportClaims.claims(input)))
        html += section("curves", "Learning curves", ReportCurves.html(input))
        html += section("landmarks", "Per-landmark errors", ReportLandmarks.html(ReportLandmarks.rows(input)))
        html += matchesSection(tables)
        html += embeddingsSection(tables)
        html += section("deltas", "Relative deltas", ReportCharts.deltaChart(tables))
        html += section("architectures", "Architectures", ReportCharts.architectureCharts(tables))
        html += "</body>\n</html>\n"
        return html
    }

    static func section(_ id: String, _ heading: String, _ body: String) -> String {
        "<section id=\"\(id)\">\n<h2>\(ReportEscape.html(heading))</h2>\n\(body)</section>\n"
    }

    static func summarySection(_ input: ReportInput, tables: [ReportTable]) -> String {
        let counts = ReportTables.counts(tables)
        var body = "<div class=\"counts\">"
        for verdict in RowVerdict.allCases {
            body += "<div class=\"count v-\(verdict.rawValue)\"><span class=\"n\">\(counts[verdict, default: 0])"
                + "</span> \(verdict.rawValue)</div>"
        }
        body += "</div>\n<p class=\"summary-line\">\(ReportEscape.html(ReportTables.summaryLine(tables)))</p>\n"
        body += "<table class=\"provenance\">\n"
        for fact in ReportFormat.provenanceFacts(input) {
            let dirty = fact.name == "commit" && input.provenance.gitDirty ? " class=\"v-regression\"" : ""
            body += "<tr><th>\(ReportEscape.html(fact.name))</th><td\(dirty)>\(ReportEscape.html(fact.value))</td></tr>\n"
        }
        body += "</table>\n"
        body += "<p class=\"note\">A metric passes when |reproduced − expected| ≤ absolute + relative·|expected| "
            + "(the manifest's tolerance); outside it, it is an improvement on the better side and a regression "
            + "on the other. A row takes the worst of its metrics; a skipped row is never a pass.</p>\n"
        return section("summary", "Summary", body)
    }

    static func tablesSection(_ tables: [ReportTable]) -> String {
        guard !tables.isEmpty else { return section("tables", "Tables", "<p>No rows in this run.</p>\n") }
        var body = ""
        for table in tables {
            body += "<div class=\"paper-table\" id=\"table-\(ReportEscape.html(table.short))\">\n"
            body += "<h3>\(ReportEscape.html(ReportFormat.tableHeading(table)))</h3>\n<table class=\"results\">\n"
            let perMetric = table.showsPaper ? 6 : 5
            body += "<thead><tr><th rowspan=\"2\">row</th>"
            for column in table.metrics {
                body += "<th colspan=\"\(perMetric)\" class=\"metric\">\(ReportEscape.html(ReportFormat.columnName(column)))</th>"
            }
            body += "<th rowspan=\"2\">row verdict</th><th rowspan=\"2\">notes</th></tr>\n<tr>"
            for _ in table.metrics {
                if table.showsPaper { body += "<th>paper</th>" }
                body += "<th>expected</th><th>reproduced</th><th>Δ</th><th>tol</th><th>verdict</th>"
            }
            body += "</tr></thead>\n<tbody>\n"
            for row in table.rows {
                body += "<tr class=\"row-\(row.verdict.rawValue)\" title=\"\(ReportEscape.html(row.id))\">"
                body += "<th class=\"label\">\(ReportEscape.html(row.label))</th>"
                for cell in row.cells {
                    if table.showsPaper { body += numberCell(cell.paper.map(ReportFormat.number)) }
                    body += numberCell(cell.expected.map(ReportFormat.number))
                    body += numberCell(cell.reproduced.map { ReportFormat.reproduced($0, decimals: cell.expected?.decimals) })
                    body += numberCell(cell.delta == nil ? nil : ReportFormat.delta(cell))
                    let rule = cell.tolerance.map { ReportFormat.describe($0) + ($0.rule.map { ": " + $0 } ?? "") } ?? ""
                    body += "<td class=\"num\" title=\"\(ReportEscape.html(rule))\">\(ReportEscape.html(ReportFormat.allowance(cell)))</td>"
                    let verdict = cell.verdict.map { "v-\($0.rawValue)" } ?? ""
                    body += "<td class=\"\(verdict)\">\(ReportEscape.html(ReportFormat.verdict(cell)))</td>"
                }
                body += "<td class=\"v-\(row.verdict.rawValue)\">\(row.verdict.rawValue)</td>"
                body += "<td class=\"notes\">\(ReportEscape.html(row.note ?? ""))</td></tr>\n"
            }
            body += "</tbody></table>\n"
            let rules = ReportFormat.toleranceRules(table)?.map { "\($0.metric) \($0.text)" }.joined(separator: "; ")
            let footer = [rules.map { "Tolerance rules: " + $0 },
                          ReportFormat.sources(table).isEmpty ? nil : "Numbers: " + ReportFormat.sources(table)]
                .compactMap { $0 }
            if !footer.isEmpty { body += "<p class=\"note\">\(ReportEscape.html(footer.joined(separator: ". "))).</p>\n" }
            body += "</div>\n"
        }
        return section("tables", "Tables", body)
    }

    private static func numberCell(_ text: String?) -> String {
        "<td class=\"num\">\(ReportEscape.html(text ?? ReportFormat.dash))</td>"
    }

    static let css = """
    body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1200px;padding:1em 2em;color:#222}
    h1{margin-bottom:.2em}nav{margin-bottom:1.5em}nav a{color:#245}section{margin:2em 0}
    table{border-collapse:collapse;margin:.5em 0}th,td{border:1px solid #ccc;padding:3px 7px;vertical-align:top}
    thead th{background:#f2f2f2}td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
    th.label{text-align:left;font-weight:600;white-space:nowrap}td.notes{font-size:12px;color:#555;max-width:28em}
    .v-pass{background:#e3f6e3}.v-regression,.v-failed,.v-missing{background:#fbe0e0}.v-improvement{background:#e0ecfb}
    .v-skipped,.v-unchecked{background:#f3f3f3;color:#666}
    .counts{display:flex;gap:.6em;flex-wrap:wrap}.count{padding:.5em 1em;border-radius:6px;border:1px solid #ddd}
    .count .n{font-size:1.6em;font-weight:700;margin-right:.2em}table.provenance th{text-align:left;background:#f8f8f8}
    .note{color:#555;font-size:13px}figure{display:inline-block;margin:.5em 1em .5em 0;vertical-align:top}
    figcaption{font-size:12px;color:#444;max-width:520px}img{image-rendering:pixelated;border:1px solid #ddd}
    .legend span.swatch{display:inline-block;width:.9em;height:.9em;border:1px solid #000;margin:0 .3em 0 1em;vertical-align:middle}
    svg{font:11px system-ui,sans-serif;background:#fff}svg .axis{stroke:#333;stroke-width:1}svg .grid{stroke:#e5e5e5}
    .error{color:#a00}
    """
}
