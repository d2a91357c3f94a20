import Foundation

/// One row of one results table: everything the runner needs to reproduce it, read from a YAML file
/// under `manifests/` (schema: `docs/manifests.md`). The runner never special-cases a row.
///
/// Keys in YAML are snake_case (`embedding_dim`); the Swift names are their camelCase spelling.
public struct Manifest: Sendable, Codable, Equatable {
    /// Schema version; this build reads 1.
    public var schema: Int
    /// Stable row id, unique across all manifests: `<table short id>/<run id>`, e.g.
    /// `T01/celeba-smallnet-3d-dve/matching`, or with a variant `T06/celeba-smallnet-16d/matching`.
    public var id: String
    public var table: TableRef
    /// Where the expected numbers come from. The numbers themselves live in `expected/paper.h5`
    /// (and `expected/synthetic.h5` for the synthetic counterparts), keyed by `id`.
    public var expected: ExpectedRef
    public var model: ModelSpec
    /// Unsupervised fine-tuning of the embedding on the target dataset before evaluation, if any.
    public var finetune: FinetuneSpec?
    public var evaluation: EvaluationSpec
    public var `protocol`: ProtocolSpec
    public var metrics: [MetricSpec]
    public var notes: String?
}

public struct TableRef: Sendable, Codable, Equatable {
    /// `paper-tables.json` `table_id`, e.g. `T01-learned-embeddings-matching-on-mafl-test`.
    public var id: String
    /// Short id used in row ids and folder names: `T01`, `S02`, `R00`.
    public var short: String
    /// The table's caption as published.
    public var title: String
    /// The row label as displayed (`display_group`, e.g. `smallnet-16d`), with the ablation variant.
    public var row: String
    public var variant: String?
}

public struct ExpectedRef: Sendable, Codable, Equatable {
    /// `paper-tables.json` `row_key` (`<source>|<table_id>|<run id>`): the row this manifest reproduces.
    public var rowKey: String
    /// `seed-readme`, `upstream-readme` or `upstream-results-json`.
    public var source: String
    /// Other sources that publish a number for the same run and task (the seed and final READMEs
    /// disagree on some regression rows; both are kept in `paper.h5`).
    public var alsoIn: [String]?
    /// True when the published cell is a TODO (no number): the row runs, but the diff has nothing
    /// to compare against and says so.
    public var todo: Bool
}

public struct ModelSpec: Sendable, Codable, Equatable {
    /// `smallnet` or `hourglass`.
    public var architecture: String
    public var embeddingDim: Int
    public var dve: Bool
    /// Published parameter count, when known.
    public var parameters: Int?
    /// The released checkpoint (the run the row's number came from), when published.
    public var checkpoint: CheckpointRef?
    /// How to train the embedding from scratch (`--mode train`).
    public var recipe: RecipeSpec
}

public struct CheckpointRef: Sendable, Codable, Equatable {
    /// Path relative to `--checkpoints DIR`: `<experiment>/<timestamp>/checkpoint-epoch<N>.pth`,
    /// the same relative path as under the authors' `models/` URL root.
    public var file: String
    public var url: String
    public var epoch: Int?
    public var timestamp: String?
    /// What the checkpoint holds: `embedding` (the descriptor network) or `embedding+regressor`
    /// (a keypoint-regression run: `0.wrapped_module.*` backbone and `1.*` regressor).
    public var contents: String
}

/// A training recipe for the embedding (`training.md` §2.1, §2.2).
public struct RecipeSpec: Sendable, Codable, Equatable {
    /// The reference config it mirrors, e.g. `configs/celeba/smallnet-16d-dve.json`.
    public var config: String
    /// Training dataset: `celeba`, `aflw-r`, `aflw-m`, `300w`.
    public var dataset: String
    /// `dense_correlation_loss_dve` or `dense_correlation_loss`.
    public var loss: String
    public var normalizeVectors: Bool
    public var batchPairs: Int
    public var epochs: Int
    public var learningRate: Double
    public var biasLearningRate: Double?
    public var weightDecay: Double
    public var schedule: ScheduleSpec
    public var imwidth: Int
    public var crop: Int
    public var seed: Int
}

public struct ScheduleSpec: Sendable, Codable, Equatable {
    /// `multistep`, `step` or `constant`.
    public var kind: String
    public var milestones: [Int]?
    public var stepSize: Int?
    public var gamma: Double?
}

public struct FinetuneSpec: Sendable, Codable, Equatable {
    /// `aflw-r`, `aflw-m` or `300w`.
    public var dataset: String
    /// The fine-tuning recipe (init = the CelebA embedding of the same architecture/dim/DVE).
    public var recipe: RecipeSpec
}

public struct EvaluationSpec: Sendable, Codable, Equatable {
    /// `mafl`, `aflw-r`, `aflw-m` or `300w`.
    public var dataset: String
    /// `test` for matching; regression trains on `train` and reports on `test`.
    public var split: String
    public var imwidth: Int
    public var crop: Int
}

public struct ProtocolSpec: Sendable, Codable, Equatable {
    /// `matching`, `regression` or `limited-annotations`.
    public var kind: String
    /// Matching: the evaluation warps file under `expected/eval-warps/` (e.g. `mafl.h5`).
    public var warps: String?
    /// Matching: descriptor stride relative to the input (1 SmallNet, 2 Hourglass).
    public var stride: Int?
    /// Regression: epochs, batch size, learning rate, weight decay, schedule of the regressor.
    public var epochs: Int?
    public var batchSize: Int?
    public var learningRate: Double?
    public var weightDecay: Double?
    public var schedule: ScheduleSpec?
    /// Limited annotations: the number of annotated training images, and the seeds averaged over.
    public var annotations: Int?
    public var seeds: [Int]?
}

public struct MetricSpec: Sendable, Codable, Equatable {
    /// `same_identity`, `different_identity` (matching, pixels) or `iod_error` (% inter-ocular).
    public var name: String
    /// `px` or `%IOD`.
    public var unit: String
    /// `lower` (every metric here: errors) or `higher`.
    public var better: String
    /// `last-epoch` (regression: no model selection), `value` (matching) or `mean-std` (n seeds).
    public var statistic: String
    public var tolerance: ToleranceSpec
}

/// A number is within tolerance when |got − expected| ≤ absolute + relative·|expected|.
public struct ToleranceSpec: Sendable, Codable, Equatable {
    public var absolute: Double
    public var relative: Double
}
