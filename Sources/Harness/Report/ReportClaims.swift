/// The seed tables' claims, checked on the run's own numbers: for each pair of rows the paper
/// compares (a SmallNet with and without DVE at one dimension; SmallNet against the Hourglass), the
/// paper's direction, ours, and whether the claim holds here.
public struct ReportClaim: Sendable {
    public enum Outcome: String, Sendable {
        case holds = "holds"
        case doesNotHold = "does not hold"
        case withinSpread = "within the seed spread"
        case notTestable = "not testable here"
    }

    public var claim: String
    public var metric: String
    /// Published (baseline, compared) numbers; nil when the paper has no number for either row.
    public var paper: (Double, Double)?
    /// Ours (baseline, compared).
    public var ours: (Double, Double)?
    /// Population standard deviation over seeds of the difference, when several seeds ran.
    public var spread: Double?
    public var outcome: Outcome
}

public enum ReportClaims {
    /// Claims over matching (S01/T01-style) and regression rows present in the run. A claim whose
    /// paper numbers are absent (3-dimensional DVE has none in the seed table) is stated as not testable.
    public static func claims(_ input: ReportInput) -> [ReportClaim] {
        struct Key: Hashable { var architecture: String; var dim: Int; var dve: Bool; var kind: String }
        var rows: [Key: RowResult] = [:]
        for row in input.rows where row.status == .finished {
            guard let m = input.manifests[row.id], m.finetune == nil, m.table.short.hasPrefix("S") else { continue }
            rows[Key(architecture: m.model.architecture, dim: m.model.embeddingDim, dve: m.model.dve, kind: m.protocol.kind)] = row
        }
        func claim(_ text: String, _ metric: String, _ base: RowResult?, _ compared: RowResult?) -> ReportClaim? {
            guard let base, let compared else { return nil }
            let ours = pair(base.metrics.first { $0.name == metric }?.value, compared.metrics.first { $0.name == metric }?.value)
            func paperValue(_ row: RowResult) -> Double? {
                input.claimNumbers[row.id]?[metric] ?? input.paper[row.id]?[metric]?.value
                    ?? input.expected[row.id]?[metric].flatMap(published)
            }
            let paper = pair(paperValue(base), paperValue(compared))
            guard let ours else { return nil }
            guard let paper, paper.1 != paper.0 else {
                return ReportClaim(claim: text, metric: metric, paper: paper, ours: ours, spread: nil, outcome: .notTestable)
            }
            // Lower is better for every metric the seed tables report (pixels, %IOD).
            let agrees = (paper.1 < paper.0) == (ours.1 < ours.0)
            return ReportClaim(claim: text, metric: metric, paper: paper, ours: ours, spread: nil,
                               outcome: agrees ? .holds : .doesNotHold)
        }
        var out: [ReportClaim] = []
        let dims = Set(rows.keys.filter { $0.architecture == "smallnet" }.map(\.dim)).sorted()
        for dim in dims {
            func row(_ dve: Bool, _ kind: String) -> RowResult? { rows[Key(architecture: "smallnet", dim: dim, dve: dve, kind: kind)] }
            let text = "DVE vs no DVE, SmallNet-\(dim)d"
            out += [claim(text, "same_identity", row(false, "matching"), row(true, "matching")),
                    claim(text, "different_identity", row(false, "matching"), row(true, "matching")),
                    claim(text, "iod_error", row(false, "regression"), row(true, "regression"))].compactMap { $0 }
        }
        for kind in ["matching", "regression"] {
            let small = rows[Key(architecture: "smallnet", dim: 64, dve: true, kind: kind)]
            let hourglass = rows[Key(architecture: "hourglass", dim: 64, dve: true, kind: kind)]
            for metric in kind == "matching" ? ["same_identity", "different_identity"] : ["iod_error"] {
                if let c = claim("Hourglass-64d vs SmallNet-64d, DVE", metric, small, hourglass) { out.append(c) }
            }
        }
        return out
    }

    private static func pair(_ a: Double?, _ b: Double?) -> (Double, Double)? {
        guard let a, let b, a.isFinite, b.isFinite else { return nil }
        return (a, b)
    }

    /// An expected number counts as the paper's only when it is the published one.
    private static func published(_ number: ReportNumber) -> Double? {
        number.source.hasPrefix("blessed") ? nil : number.value
    }

    static func direction(_ p: (Double, Double)?) -> String {
        guard let p else { return "–" }
        let word = p.1 < p.0 ? "lower" : p.1 > p.0 ? "higher" : "equal"
        return "\(ReportFormat.fixed(p.0, decimals: 2)) → \(ReportFormat.fixed(p.1, decimals: 2)) (\(word))"
    }

    static let note = "Lower is better for every metric. A claim holds when our difference has the paper's sign. "
        + "Each model here was trained once (one seed), so no seed spread qualifies these directions yet."

    static func markdown(_ claims: [ReportClaim]) -> [String] {
        guard !claims.isEmpty else { return [] }
        var lines = ["## Claims", "", note, "", "| claim | metric | paper | ours | outcome |", "| --- | --- | --- | --- | --- |"]
        for c in claims {
            lines.append("| \(ReportEscape.markdown(c.claim)) | \(ReportEscape.markdown(c.metric)) | \(direction(c.paper)) | \(direction(c.ours)) | \(c.outcome.rawValue) |")
        }
        return lines
    }

    static func html(_ claims: [ReportClaim]) -> String {
        guard !claims.isEmpty else { return "<p>No pair of rows the paper compares ran here.</p>\n" }
        var body = "<p class=\"note\">\(ReportEscape.html(note))</p>\n<table class=\"results\"><thead><tr>"
            + "<th>claim</th><th>metric</th><th>paper</th><th>ours</th><th>outcome</th></tr></thead>\n<tbody>\n"
        for c in claims {
            let css = c.outcome == .holds ? "v-pass" : c.outcome == .doesNotHold ? "v-regression" : "v-unchecked"
            body += "<tr><th class=\"label\">\(ReportEscape.html(c.claim))</th><td>\(ReportEscape.html(c.metric))</td>"
                + "<td class=\"num\">\(ReportEscape.html(direction(c.paper)))</td><td class=\"num\">\(ReportEscape.html(direction(c.ours)))</td>"
                + "<td class=\"\(css)\">\(c.outcome.rawValue)</td></tr>\n"
        }
        return body + "</tbody></table>\n"
    }
}
