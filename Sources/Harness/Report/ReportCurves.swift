import Foundation

/// One small SVG chart per trained model: its matching metrics against training iterations (log
/// scale), from the learning curve the run stored. Shows whether a model sits on its plateau.
enum ReportCurves {
    /// The distinct curves of the run (rows sharing an embedding share a curve), labelled by the first
    /// row that carries each.
    static func curves(_ input: ReportInput) -> [(label: String, curve: LearningCurve)] {
        var seen: [LearningCurve] = []
        var out: [(String, LearningCurve)] = []
        for row in input.rows {
            guard let curve = row.curve, !curve.isEmpty, !seen.contains(curve) else { continue }
            seen.append(curve)
            let manifest = input.manifests[row.id]
            let label = manifest.map { "\($0.model.architecture)-\($0.model.embeddingDim)d\($0.model.dve ? " DVE" : "")" } ?? row.id
            out.append((label, curve))
        }
        return out
    }

    static func html(_ input: ReportInput) -> String {
        let all = curves(input)
        guard !all.isEmpty else {
            return "<p>No learning curve in this run (run with <code>--curve</code>, or the converged tier, to record one).</p>\n"
        }
        var body = "<p class=\"note\">Matching error (pixels, lower is better) at the iterations where training was paused to "
            + "evaluate. A model is on its plateau when doubling its iterations moves no metric by more than 5 %.</p>\n"
        for (label, curve) in all {
            let change = curve.changeOverLastDoubling.map { String(format: "last doubling moved the metrics by at most %.1f %%", 100 * $0) }
                ?? "no doubling pair"
            body += "<figure>" + chart(curve, label: label) + "<figcaption>\(ReportEscape.html(label)): \(ReportEscape.html(change))</figcaption></figure>\n"
        }
        return body
    }

    static func chart(_ curve: LearningCurve, label: String) -> String {
        let width = 300.0, height = 190.0, left = 44.0, right = 10.0, top = 22.0, bottom = 34.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let xs = curve.iterations.map { log2(Double(max($0, 1))) }
        let (xMin, xMax) = (xs.min() ?? 0, max((xs.max() ?? 1), (xs.min() ?? 0) + 1))
        let finite = curve.values.flatMap { $0 }.filter(\.isFinite)
        let yMax = ReportCharts.niceCeiling((finite.max() ?? 1) * 1.05)
        func x(_ v: Double) -> Double { left + (v - xMin) / (xMax - xMin) * plotWidth }
        func y(_ v: Double) -> Double { top + plotHeight - min(max(v / yMax, 0), 1) * plotHeight }

        var svg = ReportCharts.open(width: width, height: height, label: "Learning curve of \(label)", cssClass: "curve")
        svg += ReportCharts.text(x: left, y: 14, label)
        for f in [0.0, 0.5, 1.0] {
            svg += ReportCharts.line(left, y(f * yMax), left + plotWidth, y(f * yMax), cssClass: "grid", stroke: "#e5e5e5")
            svg += ReportCharts.text(x: left - 4, y: y(f * yMax) + 4, ReportFormat.fixed(f * yMax, decimals: 1), anchor: "end")
        }
        for (i, iteration) in curve.iterations.enumerated() {
            svg += ReportCharts.text(x: x(xs[i]), y: top + plotHeight + 14, String(iteration), anchor: "middle")
        }
        svg += ReportCharts.text(x: left + plotWidth / 2, y: height - 4, "iterations (log scale)", anchor: "middle")
        for (s, (name, series)) in zip(curve.names, curve.values).enumerated() {
            let colour = ReportCharts.palette(s)
            let points = zip(xs, series).filter { $0.1.isFinite }.map { "\(ReportCharts.fmt(x($0.0))),\(ReportCharts.fmt(y($0.1)))" }
            svg += "<polyline class=\"series\" fill=\"none\" stroke=\"\(colour)\" stroke-width=\"2\" points=\"\(points.joined(separator: " "))\">"
                + "<title>\(ReportEscape.html(name))</title></polyline>\n"
            for (i, value) in series.enumerated() where value.isFinite {
                svg += "<circle cx=\"\(ReportCharts.fmt(x(xs[i])))\" cy=\"\(ReportCharts.fmt(y(value)))\" r=\"2.5\" fill=\"\(colour)\">"
                    + "<title>\(ReportEscape.html("\(name) at \(curve.iterations[i]): \(ReportFormat.fixed(value, decimals: 3))"))</title></circle>\n"
            }
            svg += ReportCharts.text(x: left + plotWidth - 4, y: top + 12 + 12 * Double(s), name.replacingOccurrences(of: "_", with: " "), anchor: "end")
                .replacingOccurrences(of: "<text ", with: "<text fill=\"\(colour)\" ")
        }
        svg += ReportCharts.line(left, top, left, top + plotHeight, cssClass: "axis")
        svg += ReportCharts.line(left, top + plotHeight, left + plotWidth, top + plotHeight, cssClass: "axis")
        return svg + "</svg>"
    }
}
