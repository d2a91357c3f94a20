import Foundation

/// The synthetic seed tables as `dvebench reproduce` prints them: one line per model, the reproduced
/// matching errors (S01) and regression error (S02) next to the blessed synthetic numbers, with the
/// paper's published numbers for context (they are on real faces, so only their trends compare).
public struct ReproductionTable {
    public struct Line {
        public var model: String
        public var cells: [(got: Double?, expected: Double?, paper: Double?)]
    }

    public static let columns: [(table: String, metric: String, title: String)] = [
        ("S01", "same_identity", "same id. (px)"), ("S01", "different_identity", "diff. id. (px)"), ("S02", "iod_error", "MAFL (%IOD)"),
    ]

    public var lines: [Line] = []

    public init(results: ResultSet, manifests: [String: Manifest], expected: ExpectedSet, paper: ExpectedSet?) {
        var byModel: [String: [Int: (Double?, Double?, Double?)]] = [:]
        // Models in the paper's order: by dimension, then without DVE before with it.
        var rank: [String: (dimension: Int, dve: Int)] = [:]
        for row in results.rows {
            guard let manifest = manifests[row.id] else { continue }
            let model = "\(manifest.table.row)\(manifest.model.dve ? " DVE" : "")"
            rank[model] = (manifest.model.embeddingDim, manifest.model.dve ? 1 : 0)
            for (index, column) in Self.columns.enumerated() where column.table == manifest.table.short {
                let got = row.metrics.first { $0.name == column.metric }?.value
                let want = expected.row(for: row.id, scale: row.scale)?.metrics[column.metric]?.value
                let published = paper?.rows[row.id]?.metrics[column.metric]?.value
                byModel[model, default: [:]][index] = (got, want, published)
            }
        }
        let ordered = rank.sorted { ($0.value.dimension, $0.value.dve, $0.key) < ($1.value.dimension, $1.value.dve, $1.key) }
        for model in ordered.map(\.key) {
            let cells = Self.columns.indices.map { index -> (got: Double?, expected: Double?, paper: Double?) in
                let cell = byModel[model]?[index]
                return (cell?.0, cell?.1, cell?.2)
            }
            lines.append(Line(model: model, cells: cells))
        }
    }

    /// Fixed-width text: `got (expected) [paper]` per cell.
    public func render() -> [String] {
        func number(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "–" }
        let width = 24
        var header = "model".padding(toLength: 20, withPad: " ", startingAt: 0)
        for column in Self.columns { header += " | " + column.title.padding(toLength: width, withPad: " ", startingAt: 0) }
        var out = [header, String(repeating: "-", count: header.count)]
        for line in lines {
            var text = line.model.padding(toLength: 20, withPad: " ", startingAt: 0)
            for cell in line.cells {
                let body = "\(number(cell.got)) (\(number(cell.expected))) [\(number(cell.paper))]"
                text += " | " + body.padding(toLength: width, withPad: " ", startingAt: 0)
            }
            out.append(text)
        }
        out.append("cells: reproduced (expected/synthetic.h5) [paper, real faces: context only]")
        return out
    }
}

extension ReportInput {
    /// A report of `results`: synthetic rows are judged against `expected/synthetic.h5` with the
    /// paper's numbers alongside; paper-scale rows against `paper.h5`.
    public init(results: ResultSet, manifests: [String: Manifest], expected: ExpectedSet, paper: ExpectedSet?,
                title: String) {
        func numbers(_ row: ExpectedRow?) -> [String: ReportNumber] {
            (row?.metrics ?? [:]).mapValues {
                ReportNumber(value: $0.value, standardDeviation: $0.standardDeviation, decimals: max(2, $0.decimals ?? 3),
                             source: $0.source, tolerance: $0.tolerance)
            }
        }
        var expectedNumbers: [String: [String: ReportNumber]] = [:]
        var paperNumbers: [String: [String: ReportNumber]] = [:]
        for row in results.rows {
            expectedNumbers[row.id] = numbers(expected.row(for: row.id, scale: row.scale))
            if let paper { paperNumbers[row.id] = numbers(paper.rows[row.id]) }
        }
        self.init(provenance: results.provenance, rows: results.rows, manifests: manifests, expected: expectedNumbers,
                  paper: paperNumbers, title: title)
        if let paper {
            for row in results.rows {
                var numbers = (paper.rows[row.id]?.metrics ?? [:]).mapValues(\.value)
                for (seed, ablation) in Self.ablationTables where row.id.hasPrefix(seed + "/") {
                    let twin = ablation + row.id.dropFirst(seed.count)
                    for (name, metric) in paper.rows[twin]?.metrics ?? [:] where numbers[name] == nil { numbers[name] = metric.value }
                }
                claimNumbers[row.id] = numbers
            }
        }
    }

    /// The seed tables and the ablation tables that publish the same experiments with and without DVE.
    static let ablationTables: [(seed: String, ablation: String)] = [("S01", "T06"), ("S02", "T07")]
}
