/// A paper table as the report lays it out: rows of the run that belong to it, one column group per
/// metric. Markdown, HTML and a terminal table render from the same model, so they cannot disagree.
public struct ReportTable: Sendable {
    /// `TableRef.short` (`T01`).
    public var short: String
    /// `TableRef.id`, empty for rows without a manifest.
    public var id: String
    /// The published caption.
    public var title: String
    public var metrics: [ReportMetricColumn]
    public var rows: [ReportRow]
    /// Whether any row carries a published number that differs from its expected one (synthetic runs):
    /// then a "paper" column is shown for context.
    public var showsPaper: Bool
}

public struct ReportMetricColumn: Sendable, Equatable {
    public var name: String
    /// `px`, `%IOD`, or empty when no manifest names it.
    public var unit: String
}

public struct ReportRow: Sendable {
    public var id: String
    /// `table.row`, with the variant in parentheses; the id when there is no manifest.
    public var label: String
    public var verdict: RowVerdict
    /// One cell per column of the table, in column order.
    public var cells: [ReportCell]
    /// Skip reason, failure message, or why nothing could be checked.
    public var note: String?
    public var result: RowResult
    public var manifest: Manifest?
}

public struct ReportCell: Sendable {
    public var metric: String
    public var expected: ReportNumber?
    /// Shown only when it differs from `expected`.
    public var paper: ReportNumber?
    public var reproduced: MetricValue?
    public var tolerance: ToleranceSpec?
    /// Nil when the row did not finish (skipped, failed) or the metric is not one of the row's.
    public var verdict: MetricVerdict?

    /// `reproduced − expected`, when both exist.
    public var delta: Double? {
        guard let e = expected?.value, let r = reproduced?.value else { return nil }
        return r - e
    }

    /// `delta / |expected|`, when expected is non-zero.
    public var relativeDelta: Double? {
        guard let d = delta, let e = expected?.value, e != 0 else { return nil }
        return d / abs(e)
    }

    /// The tolerance as a fraction of |expected|.
    public var relativeTolerance: Double? {
        guard let e = expected?.value, let tolerance else { return nil }
        return ReportVerdict.relativeTolerance(expected: e, tolerance: tolerance)
    }
}

public enum ReportTables {
    /// The tables present in `input.rows`, in paper order (`S01, S02, T01 … T17, R00`, then anything
    /// else by name), rows in input order inside each table.
    public static func build(_ input: ReportInput) -> [ReportTable] {
        var order: [String] = []
        var rowsByTable: [String: [RowResult]] = [:]
        for row in input.rows {
            let short = tableShort(row: row, manifest: input.manifests[row.id])
            if rowsByTable[short] == nil { order.append(short) }
            rowsByTable[short, default: []].append(row)
        }
        return order.sorted { sortKey($0) < sortKey($1) }.map { short in
            table(short: short, results: rowsByTable[short] ?? [], input: input)
        }
    }

    /// Rows per verdict over every table.
    public static func counts(_ tables: [ReportTable]) -> [RowVerdict: Int] {
        var counts: [RowVerdict: Int] = [:]
        for row in tables.flatMap(\.rows) { counts[row.verdict, default: 0] += 1 }
        return counts
    }

    /// One line, e.g. `12 rows: 8 pass, 1 regression, 1 improvement, 2 skipped, 0 failed, 0 unchecked`.
    public static func summaryLine(_ tables: [ReportTable]) -> String {
        let counts = counts(tables)
        let total = tables.reduce(0) { $0 + $1.rows.count }
        let parts = RowVerdict.allCases.map { "\(counts[$0, default: 0]) \($0.rawValue)" }
        return "\(total) row\(total == 1 ? "" : "s"): " + parts.joined(separator: ", ")
    }

    /// `label (variant)`, or the id without a manifest.
    public static func label(row id: String, manifest: Manifest?) -> String {
        guard let table = manifest?.table else { return id }
        if let variant = table.variant, !variant.isEmpty { return "\(table.row) (\(variant))" }
        return table.row
    }

    static func tableShort(row: RowResult, manifest: Manifest?) -> String {
        if let short = manifest?.table.short, !short.isEmpty { return short }
        let first = row.id.split(separator: "/", maxSplits: 1).first.map(String.init) ?? ""
        return first.isEmpty ? "other" : first
    }

    /// S before T before R, then by number: the order the reference README and the seed README print.
    static func sortKey(_ short: String) -> SortKey {
        let rank = ["S": 0, "T": 1, "R": 2][short.first.map { String($0) } ?? ""] ?? 3
        let number = Int(short.drop(while: { !$0.isNumber }).prefix(while: \.isNumber)) ?? Int.max
        return SortKey(rank: rank, number: number, name: short)
    }

    struct SortKey: Comparable {
        var rank: Int, number: Int, name: String
        static func < (a: SortKey, b: SortKey) -> Bool {
            (a.rank, a.number, a.name) < (b.rank, b.number, b.name)
        }
    }

    private static func table(short: String, results: [RowResult], input: ReportInput) -> ReportTable {
        let manifests = results.compactMap { input.manifests[$0.id] }
        // Columns: the manifests' metrics in order, then any metric only the results or expected name.
        var columns: [ReportMetricColumn] = []
        func add(_ name: String, unit: String) {
            if let i = columns.firstIndex(where: { $0.name == name }) {
                if columns[i].unit.isEmpty { columns[i].unit = unit }
            } else {
                columns.append(ReportMetricColumn(name: name, unit: unit))
            }
        }
        for spec in manifests.flatMap(\.metrics) { add(spec.name, unit: spec.unit) }
        for row in results {
            for metric in row.metrics { add(metric.name, unit: "") }
            for name in (input.expected[row.id] ?? [:]).keys.sorted() { add(name, unit: "") }
        }
        let rows = results.map { reportRow($0, columns: columns, input: input) }
        let ref = manifests.first?.table
        return ReportTable(short: short, id: ref?.id ?? "", title: ref?.title ?? "",
                           metrics: columns, rows: rows,
                           showsPaper: rows.contains { $0.cells.contains { $0.paper != nil } })
    }

    private static func reportRow(_ row: RowResult, columns: [ReportMetricColumn], input: ReportInput) -> ReportRow {
        let manifest = input.manifests[row.id]
        let expected = input.expected[row.id] ?? [:]
        let paper = input.paper[row.id] ?? [:]
        let finished = row.status == .finished
        let cells = columns.map { column -> ReportCell in
            var spec = manifest?.metrics.first { $0.name == column.name }
            // A trained row is judged by the looser train tolerance, as the diff judges it.
            if let found = spec { spec?.tolerance = expected[column.name]?.tolerance ?? found.tolerance(forMode: row.mode) }
            let reproduced = row.metrics.first { $0.name == column.name }
            var cell = ReportCell(metric: column.name, expected: expected[column.name], paper: nil,
                                  reproduced: reproduced, tolerance: spec?.tolerance, verdict: nil)
            if let p = paper[column.name], p != cell.expected { cell.paper = p }
            let belongs = spec != nil || reproduced != nil || cell.expected != nil
            guard finished, belongs else { return cell }
            switch (cell.expected, reproduced, spec) {
            case (nil, _, _), (_, _, nil): cell.verdict = .unchecked
            case (_?, nil, _): cell.verdict = .missing
            case (let e?, let r?, let s?):
                cell.verdict = ReportVerdict.judge(reproduced: r.value, expected: e.value, tolerance: s.tolerance,
                                                   better: s.better)
            }
            return cell
        }
        let verdict: RowVerdict
        var note: String?
        switch row.status {
        case .skipped(let reason):
            verdict = .skipped
            note = "skipped: \(reason)"
        case .failed(let message):
            verdict = .failed
            note = "failed: \(message)"
        case .finished:
            verdict = RowVerdict.rollUp(cells.compactMap(\.verdict))
            if manifest == nil {
                note = "no manifest for this row: nothing to judge it by"
            } else if manifest?.expected.todo == true {
                note = "the published cell is a TODO: nothing to compare against"
            } else if verdict == .unchecked {
                note = "no expected number for this row"
            }
        }
        return ReportRow(id: row.id, label: label(row: row.id, manifest: manifest), verdict: verdict, cells: cells,
                         note: note, result: row, manifest: manifest)
    }
}
