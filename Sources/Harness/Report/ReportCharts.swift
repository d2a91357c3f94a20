import Foundation

/// Inline SVG charts for the HTML report. Every bar is a `<rect class="bar">` with a `<title>` (the
/// browser's tooltip), so the charts are readable without scripts and countable by tests.
enum ReportCharts {
    // MARK: Relative deltas

    struct DeltaItem {
        var label: String
        var relative: Double
        var tolerance: Double?
        var verdict: MetricVerdict?
    }

    /// Horizontal bars, one per (row, metric) with a finite relative delta, centred on 0; behind each
    /// bar its tolerance band (±tolerance/|expected|). The axis spans the largest |delta| or band (at
    /// least ±1%, at most ±100%); longer bars are clipped at the edge and their value printed anyway.
    static func deltaChart(_ tables: [ReportTable]) -> String {
        var items: [DeltaItem] = []
        for table in tables {
            for row in table.rows {
                for cell in row.cells {
                    guard let r = cell.relativeDelta, r.isFinite else { continue }
                    items.append(DeltaItem(label: "\(table.short) \(row.label) · \(cell.metric)", relative: r,
                                           tolerance: cell.relativeTolerance, verdict: cell.verdict))
                }
            }
        }
        guard !items.isEmpty else { return "<p>No row has both a reproduced and an expected number.</p>\n" }
        let extent = items.map { max(abs($0.relative), $0.tolerance ?? 0) }.max() ?? 0
        let range = min(max(niceCeiling(extent * 1.05), 0.01), 1)
        let labelWidth = 320.0, plotWidth = 440.0, valueWidth = 90.0, rowHeight = 18.0, top = 34.0, bottom = 34.0
        let width = labelWidth + plotWidth + valueWidth
        let height = top + Double(items.count) * rowHeight + bottom
        func x(_ v: Double) -> Double { labelWidth + plotWidth / 2 + min(max(v / range, -1), 1) * plotWidth / 2 }

        var svg = open(width: width, height: height, label: "Relative delta per row and metric")
        svg += text(x: labelWidth + plotWidth / 2, y: 14, "relative Δ = (reproduced − expected) / |expected|;"
                    + " shaded band: tolerance", anchor: "middle")
        for (i, item) in items.enumerated() {
            let y = top + Double(i) * rowHeight
            svg += text(x: labelWidth - 6, y: y + rowHeight * 0.7, shortened(item.label, to: 52), anchor: "end")
            if let t = item.tolerance {
                svg += rect(x: x(-t), y: y + 1, width: x(t) - x(-t), height: rowHeight - 2, cssClass: "band",
                            fill: "#d6f0d6", title: "tolerance ±\(percent(t))")
            }
            let x0 = x(0), x1 = x(item.relative)
            svg += rect(x: min(x0, x1), y: y + 4, width: max(abs(x1 - x0), 1), height: rowHeight - 8, cssClass: "bar",
                        fill: color(item.verdict),
                        title: "\(item.label): \(percent(item.relative)) (\(item.verdict?.rawValue ?? "not judged"))")
            let clipped = abs(item.relative) > range ? " (clipped)" : ""
            svg += text(x: labelWidth + plotWidth + 6, y: y + rowHeight * 0.7, percent(item.relative) + clipped)
        }
        let axisY = top + Double(items.count) * rowHeight
        svg += line(x(0), top - 4, x(0), axisY, cssClass: "axis")
        svg += line(labelWidth, axisY, labelWidth + plotWidth, axisY, cssClass: "axis")
        for f in [-1.0, -0.5, 0, 0.5, 1] {
            svg += line(x(f * range), axisY, x(f * range), axisY + 4, cssClass: "axis")
            svg += text(x: x(f * range), y: axisY + 16, percent(f * range), anchor: "middle")
        }
        svg += text(x: labelWidth + plotWidth / 2, y: axisY + 30, "relative delta (%)", anchor: "middle")
        return svg + "</svg>\n"
    }

    // MARK: Architectures

    /// One chart per metric: groups are evaluation sets (fine-tuned or not), bars are models (reproduced
    /// value, expected value marked with a black tick). When the run has Hourglass rows, only the groups
    /// where a Hourglass bar stands are drawn (SmallNet against Hourglass); otherwise every SmallNet
    /// dimension with and without DVE. Limited-annotation rows measure something else and are left out.
    static func architectureCharts(_ tables: [ReportTable]) -> String {
        let entries = architectureEntries(tables)
        let hasHourglass = entries.contains { $0.model.architecture == "hourglass" }
        var body = "<p class=\"note\">" + (hasHourglass
            ? "SmallNet against the stacked Hourglass, on the evaluation sets where a Hourglass row ran."
            : "No Hourglass row ran: SmallNet by embedding dimension, with and without DVE.")
            + " Bars: reproduced value; black tick: expected value. Lower is better for every metric here.</p>\n"
        var metrics: [(name: String, unit: String)] = []
        for table in tables {
            for column in table.metrics where !metrics.contains(where: { $0.name == column.name }) {
                metrics.append((column.name, column.unit))
            }
        }
        var drawn = 0
        for metric in metrics {
            var chosen = entries.filter { $0.metric == metric.name }
            if hasHourglass {
                let groups = Set(chosen.filter { $0.model.architecture == "hourglass" }.map(\.group))
                chosen = chosen.filter { groups.contains($0.group) }
            }
            guard !chosen.isEmpty else { continue }
            body += groupedBars(chosen, metric: metric.name, unit: metric.unit)
            drawn += 1
        }
        if drawn == 0 { body += "<p>No finished row with a manifest to compare architectures by.</p>\n" }
        return body
    }

    struct ArchitectureEntry {
        var metric: String
        var group: String
        var model: ModelSpec
        var value: Double
        var expected: Double?
        var rowID: String
    }

    /// The first finished row (table order) per metric, group and model.
    static func architectureEntries(_ tables: [ReportTable]) -> [ArchitectureEntry] {
        var entries: [ArchitectureEntry] = []
        for row in tables.flatMap(\.rows) {
            guard row.result.status == .finished, let manifest = row.manifest,
                  manifest.protocol.kind != "limited-annotations" else { continue }
            let group = manifest.evaluation.dataset + (manifest.finetune == nil ? "" : ", fine-tuned")
            for cell in row.cells {
                guard let value = cell.reproduced?.value, value.isFinite else { continue }
                if entries.contains(where: { $0.metric == cell.metric && $0.group == group
                                             && seriesKey($0.model) == seriesKey(manifest.model) }) { continue }
                entries.append(ArchitectureEntry(metric: cell.metric, group: group, model: manifest.model, value: value,
                                                 expected: cell.expected?.value, rowID: row.id))
            }
        }
        return entries
    }

    /// SmallNet first, then Hourglass, then anything else; by dimension; without DVE before with.
    static func seriesKey(_ m: ModelSpec) -> SeriesKey {
        SeriesKey(rank: ["smallnet": 0, "hourglass": 1][m.architecture] ?? 2, architecture: m.architecture,
                  dimension: m.embeddingDim, dve: m.dve ? 1 : 0)
    }

    struct SeriesKey: Hashable, Comparable {
        var rank: Int, architecture: String, dimension: Int, dve: Int
        static func < (a: SeriesKey, b: SeriesKey) -> Bool {
            (a.rank, a.architecture, a.dimension, a.dve) < (b.rank, b.architecture, b.dimension, b.dve)
        }
    }

    /// `smallnet 16d DVE`.
    static func seriesName(_ m: ModelSpec) -> String { "\(m.architecture) \(m.embeddingDim)d" + (m.dve ? " DVE" : "") }

    static func groupedBars(_ entries: [ArchitectureEntry], metric: String, unit: String) -> String {
        let series = Array(Set(entries.map { seriesKey($0.model) })).sorted()
        var groups: [String] = []
        for e in entries where !groups.contains(e.group) { groups.append(e.group) }
        let barWidth = 22.0, groupGap = 28.0, left = 64.0, top = 44.0, plotHeight = 200.0, bottom = 56.0
        let groupWidths = groups.map { g in Double(entries.filter { $0.group == g }.count) * barWidth }
        let width = max(left + groupWidths.reduce(0, +) + groupGap * Double(groups.count + 1), 360)
        let height = top + plotHeight + bottom
        let peak = entries.map { max($0.value, $0.expected ?? 0) }.max() ?? 1
        let yMax = niceCeiling(peak * 1.1)
        func y(_ v: Double) -> Double { top + plotHeight - min(max(v / yMax, 0), 1) * plotHeight }
        let axisName = unit.isEmpty ? metric : "\(metric) (\(unit))"

        var svg = open(width: width, height: height, label: "\(axisName) by model", cssClass: "chart arch")
        // Legend: one swatch per series.
        var lx = left
        for s in series {
            let name = entries.first { seriesKey($0.model) == s }.map { seriesName($0.model) } ?? ""
            svg += rect(x: lx, y: 6, width: 10, height: 10, cssClass: "swatch", fill: palette(series.firstIndex(of: s) ?? 0))
            svg += text(x: lx + 14, y: 15, name)
            lx += 22 + Double(name.count) * 6.2
        }
        for f in stride(from: 0.0, through: 1.0, by: 0.25) {
            svg += line(left, y(f * yMax), width - 8, y(f * yMax), cssClass: "grid")
            svg += text(x: left - 6, y: y(f * yMax) + 4, ReportFormat.fixed(f * yMax, decimals: yMax < 1 ? 3 : 2), anchor: "end")
        }
        svg += line(left, top, left, top + plotHeight, cssClass: "axis")
        svg += line(left, top + plotHeight, width - 8, top + plotHeight, cssClass: "axis")
        svg += "<text x=\"14\" y=\"\(fmt(top + plotHeight / 2))\" text-anchor=\"middle\" transform=\"rotate(-90 14 "
            + "\(fmt(top + plotHeight / 2)))\">\(ReportEscape.html(axisName))</text>\n"
        var gx = left + groupGap
        for (g, group) in groups.enumerated() {
            let members = entries.filter { $0.group == group }.sorted { seriesKey($0.model) < seriesKey($1.model) }
            for (i, e) in members.enumerated() {
                let bx = gx + Double(i) * barWidth
                let index = series.firstIndex(of: seriesKey(e.model)) ?? 0
                svg += rect(x: bx + 2, y: y(e.value), width: barWidth - 4, height: top + plotHeight - y(e.value),
                            cssClass: "bar", fill: palette(index),
                            title: "\(seriesName(e.model)) on \(group): \(ReportFormat.fixed(e.value, decimals: 3))"
                                + (e.expected.map { " (expected \(ReportFormat.fixed($0, decimals: 2)))" } ?? "")
                                + " — \(e.rowID)")
                if let expected = e.expected {
                    svg += line(bx + 1, y(expected), bx + barWidth - 1, y(expected), cssClass: "expected", stroke: "#000", width: 2)
                }
            }
            svg += text(x: gx + groupWidths[g] / 2, y: top + plotHeight + 16,
                        shortened(group, to: max(Int(groupWidths[g] / 5), 12)), anchor: "middle")
            gx += groupWidths[g] + groupGap
        }
        svg += text(x: left + (width - left) / 2, y: top + plotHeight + 40, "evaluation set", anchor: "middle")
        return svg + "</svg>\n"
    }

    /// 1, 2, 2.5 or 5 times a power of ten, at least `v` (axis maxima that read well).
    static func niceCeiling(_ v: Double) -> Double {
        guard v.isFinite, v > 0 else { return 1 }
        let p = pow(10, (log10(v)).rounded(.down))
        return [1, 2, 2.5, 5, 10].map { $0 * p }.first { $0 >= v * (1 - 1e-12) } ?? 10 * p
    }

    // MARK: SVG primitives (all text escaped)

    static func open(width: Double, height: Double, label: String, cssClass: String = "chart") -> String {
        "<svg class=\"\(cssClass)\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" "
            + "viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" role=\"img\" aria-label=\"\(ReportEscape.html(label))\">\n"
    }

    static func rect(x: Double, y: Double, width: Double, height: Double, cssClass: String, fill: String,
                     title: String? = nil) -> String {
        let head = "<rect class=\"\(cssClass)\" x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(max(width, 0)))\" "
            + "height=\"\(fmt(max(height, 0)))\" fill=\"\(fill)\""
        guard let title else { return head + "/>\n" }
        return head + "><title>\(ReportEscape.html(title))</title></rect>\n"
    }

    static func line(_ x1: Double, _ y1: Double, _ x2: Double, _ y2: Double, cssClass: String,
                     stroke: String = "#333", width: Double = 1) -> String {
        "<line class=\"\(cssClass)\" x1=\"\(fmt(x1))\" y1=\"\(fmt(y1))\" x2=\"\(fmt(x2))\" y2=\"\(fmt(y2))\" "
            + "stroke=\"\(stroke)\" stroke-width=\"\(fmt(width))\"/>\n"
    }

    static func text(x: Double, y: Double, _ content: String, anchor: String = "start") -> String {
        "<text x=\"\(fmt(x))\" y=\"\(fmt(y))\" text-anchor=\"\(anchor)\">\(ReportEscape.html(content))</text>\n"
    }

    /// At most `limit` characters, the cut marked with "…" (the full text is in the bar's tooltip), so a
    /// long row label cannot run off the left edge of the chart.
    static func shortened(_ text: String, to limit: Int) -> String {
        text.count <= limit ? text : String(text.prefix(max(limit - 1, 1))) + "…"
    }

    static func fmt(_ v: Double) -> String { v.isFinite ? String(format: "%.1f", v) : "0" }

    static func percent(_ v: Double) -> String {
        (v > 0 ? "+" : v < 0 ? "−" : "") + ReportFormat.fixed(abs(v) * 100, decimals: 2) + "%"
    }

    static func color(_ verdict: MetricVerdict?) -> String {
        switch verdict {
        case .pass?: "#3a9a3a"
        case .improvement?: "#3a6fc4"
        case .regression?, .missing?: "#c43a3a"
        case .unchecked?, nil: "#999999"
        }
    }

    /// Colour-blind-safe categorical palette (Okabe–Ito), cycled.
    static func palette(_ i: Int) -> String {
        let colours = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
        return colours[((i % colours.count) + colours.count) % colours.count]
    }
}
