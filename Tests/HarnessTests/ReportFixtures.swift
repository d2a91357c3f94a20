import Foundation
@testable import Harness

/// Hand-built report inputs: a few rows of several tables covering every verdict, figures, a row
/// without a manifest, and a hostile label.
enum ReportFixtures {
    static let provenance = Provenance(
        gitCommit: "0123456789abcdef", gitDirty: true, swiftVersion: "6.3", libraries: ["hdf5": "1.10.10", "libpng": "1.6"],
        cpu: "test cpu", blasCore: "Haswell", threads: 2, hostname: "host", startedAt: "2025-01-01T00:00:00Z",
        command: "dvebench run --scale quick")

    static let matchingMetrics = [
        MetricSpec(name: "same_identity", unit: "px", better: "lower", statistic: "value",
                   tolerance: ToleranceSpec(absolute: 0.01, relative: 0.01)),
        MetricSpec(name: "different_identity", unit: "px", better: "lower", statistic: "value",
                   tolerance: ToleranceSpec(absolute: 0.01, relative: 0.01)),
    ]
    static let iodMetric = [MetricSpec(name: "iod_error", unit: "%IOD", better: "lower", statistic: "last-epoch",
                                       tolerance: ToleranceSpec(absolute: 0, relative: 0.02))]

    static func manifest(_ id: String, short: String, row: String, variant: String? = nil, architecture: String = "smallnet",
                         dim: Int, dve: Bool, dataset: String = "mafl", kind: String = "matching",
                         finetune: String? = nil, todo: Bool = false) -> Manifest {
        let recipe = RecipeSpec(config: "configs/x.json", dataset: "celeba", loss: "dense_correlation_loss_dve",
                                normalizeVectors: false, batchPairs: 32, epochs: 1, learningRate: 1e-3,
                                biasLearningRate: nil, weightDecay: 0, schedule: ScheduleSpec(kind: "constant"),
                                imwidth: 100, crop: 15, seed: 0)
        return Manifest(
            schema: 1, id: id,
            table: TableRef(id: "\(short)-caption-id", short: short, title: "Caption of \(short)", row: row, variant: variant),
            expected: ExpectedRef(rowKey: "upstream-readme|\(short)|\(id)", source: "upstream-readme", alsoIn: nil, todo: todo),
            model: ModelSpec(architecture: architecture, embeddingDim: dim, dve: dve, parameters: nil, checkpoint: nil,
                             recipe: recipe),
            finetune: finetune.map { FinetuneSpec(dataset: $0, recipe: recipe) },
            evaluation: EvaluationSpec(dataset: dataset, split: "test", imwidth: 100, crop: 15),
            protocol: ProtocolSpec(kind: kind),
            metrics: kind == "matching" ? matchingMetrics : iodMetric, notes: nil)
    }

    static func picture(_ w: Int, _ h: Int, seed: UInt8) -> RGBPicture {
        RGBPicture(width: w, height: h, pixels: (0..<(w * h * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) })
    }

    static func matchFigure(seed: UInt8) -> MatchFigure {
        MatchFigure(source: picture(14, 14, seed: seed), target: picture(14, 14, seed: seed &+ 1),
                    sourcePoints: [(2, 3), (7, 7)], matchedPoints: [(4, 4), (8, 6)], truePoints: [(3, 3), (8, 8)])
    }

    static let hostileLabel = "<script>alert(\"x\")</script> | *bold* & 'quote'"

    /// Six rows in five tables, handed over out of table order.
    static func input() -> ReportInput {
        let m = [
            manifest("T02/smallnet-16d-dve/regression", short: "T02", row: "smallnet-16d", dim: 16, dve: true, kind: "regression"),
            manifest("T01/smallnet-16d-dve/matching", short: "T01", row: "smallnet-16d", dim: 16, dve: true),
            manifest("T01/smallnet-3d-dve/matching", short: "T01", row: "smallnet-3d", dim: 3, dve: true),
            manifest("S01/smallnet-3d/matching", short: "S01", row: "smallnet-3d", dim: 3, dve: false),
            manifest("T06/hostile/matching", short: "T06", row: hostileLabel, variant: "no DVE", dim: 32, dve: false),
            manifest("T17/smallnet-64d-dve/limited-1", short: "T17", row: "1 image", dim: 64, dve: true,
                     dataset: "aflw-m", kind: "limited-annotations"),
        ]
        func row(_ id: String, _ status: RowResult.Status, _ metrics: [MetricValue], figures: RowFigures? = nil) -> RowResult {
            RowResult(id: id, manifestSHA256: "00", status: status, metrics: metrics, mode: "train", scale: "quick",
                      dataSource: "synthfaces", figures: figures)
        }
        let rows = [
            row(m[0].id, .finished, [MetricValue(name: "iod_error", value: 3.80)],          // 3.97 → improvement
                figures: RowFigures(embeddingInput: picture(20, 20, seed: 1), embeddingPCA: picture(20, 20, seed: 2))),
            row(m[1].id, .finished, [MetricValue(name: "same_identity", value: 1.281),
                                     MetricValue(name: "different_identity", value: 3.10)],   // 2.79 → regression
                figures: RowFigures(matches: [matchFigure(seed: 3)])),
            row(m[2].id, .skipped(reason: "checkpoint missing: smallnet-3d-dve.pth"), []),
            row(m[3].id, .finished, [MetricValue(name: "same_identity", value: 1.331),
                                     MetricValue(name: "different_identity", value: 2.885)],
                figures: RowFigures(matches: [matchFigure(seed: 5), matchFigure(seed: 9)],
                                    embeddingInput: picture(14, 14, seed: 4), embeddingPCA: picture(14, 14, seed: 6))),
            row(m[4].id, .failed(message: "bad <img src=x onerror=alert(1)> file"), []),
            row(m[5].id, .finished, [MetricValue(name: "iod_error", value: 30.1, standardDeviation: 1.2, runs: 3)]),
            row("R00/no-manifest/matching", .finished, [MetricValue(name: "same_identity", value: 2)]),
        ]
        let expected: [String: [String: ReportNumber]] = [
            m[0].id: ["iod_error": ReportNumber(value: 3.97, source: "upstream-readme")],
            m[1].id: ["same_identity": ReportNumber(value: 1.28, source: "upstream-readme"),
                      "different_identity": ReportNumber(value: 2.79, source: "upstream-readme")],
            m[2].id: ["same_identity": ReportNumber(value: 1.36, source: "upstream-readme"),
                      "different_identity": ReportNumber(value: 3.03, source: "upstream-readme")],
            m[3].id: ["same_identity": ReportNumber(value: 1.33, source: "upstream-readme"),
                      "different_identity": ReportNumber(value: 2.89, source: "upstream-readme")],
            m[5].id: ["iod_error": ReportNumber(value: 30.0, standardDeviation: 1.5, decimals: 1, source: "upstream-readme")],
        ]
        let paper: [String: [String: ReportNumber]] = [
            m[0].id: ["iod_error": ReportNumber(value: 3.97, source: "upstream-readme")],   // same: not shown twice
            m[3].id: ["same_identity": ReportNumber(value: 1.25, source: "seed-readme")],
        ]
        return ReportInput(provenance: provenance, rows: rows,
                           manifests: Dictionary(uniqueKeysWithValues: m.map { ($0.id, $0) }),
                           expected: expected, paper: paper)
    }
}
