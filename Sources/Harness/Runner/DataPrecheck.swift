import Foundation
import Landmarks

/// The dataset trees a selection of rows reads under a data root, and the splits of each.
public struct DataTarget: Sendable, Equatable {
    public var layout: SynthLayout
    /// `<data root>/<folder>`, e.g. `data/celeba`.
    public var root: String
    public var splits: [SynthSplit]
    /// Row ids that read it.
    public var rows: [String]
}

public enum DataPrecheck {
    /// What `rows` read in `mode`: the evaluation splits (matching: test; regression: train and test,
    /// unless the released checkpoint brings its regressor) and, when training, the base and
    /// fine-tuning sets.
    public static func targets(rows: [Manifest], mode: RunMode, dataRoot: String) -> [DataTarget] {
        var needs: [String: (layout: SynthLayout, splits: Set<SynthSplit>, rows: [String])] = [:]
        func need(_ dataset: String, _ split: SynthSplit, _ row: String) {
            guard let folder = DatasetResolver.folders[dataset], let layout = DatasetResolver.layouts[dataset] else { return }
            var entry = needs[folder] ?? (layout, [], [])
            entry.splits.insert(split)
            if entry.rows.last != row { entry.rows.append(row) }
            needs[folder] = entry
        }
        for row in rows {
            if mode == .train {
                need(row.model.recipe.dataset, .embeddingTraining, row.id)
                if let finetune = row.finetune { need(finetune.dataset, .embeddingTraining, row.id) }
            }
            need(row.evaluation.dataset, .test, row.id)
            let releasedRegressor = mode == .checkpoint && row.model.checkpoint?.contents == "embedding+regressor"
            if row.protocol.kind != "matching" && !releasedRegressor { need(row.evaluation.dataset, .train, row.id) }
        }
        return needs.keys.sorted().map { folder in
            let entry = needs[folder]!
            return DataTarget(layout: entry.layout, root: (dataRoot as NSString).appendingPathComponent(folder),
                              splits: SynthSplit.allCases.filter(entry.splits.contains), rows: entry.rows)
        }
    }

    /// The cheap check of every target (files and counts, no image).
    public static func annotations(_ targets: [DataTarget]) -> [DatasetAnnotationCheck] {
        targets.map { $0.layout.checkAnnotations(root: $0.root, splits: $0.splits) }
    }

    /// Before a run's first row: the problems of every dataset that is there but broken. A dataset
    /// that is not there at all is no problem here: its rows are skipped, as before.
    static func problems(rows: [Manifest], mode: RunMode, dataRoot: String?) -> [DatasetProblem] {
        guard let dataRoot else { return [] }
        return annotations(targets(rows: rows, mode: mode, dataRoot: dataRoot)).filter { !$0.absent }.flatMap(\.problems)
    }
}
