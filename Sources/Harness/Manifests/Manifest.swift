import Foundation

/// One row of one results table: everything the runner needs to reproduce it, read from a YAML file
/// under `manifests/` (schema: `docs/manifests.md`). The runner never special-cases a row.
///
/// Keys in YAML are snake_case (`embedding_dim`); the Swift names are their camelCase spelling. Every
/// type spells its keys out in a `CaseIterable` `CodingKeys`, because `ManifestLoader` rejects keys that
/// are not in it (a typo must not silently fall back to a default).
///
/// `YAMLDecoder` alone checks only types; `ManifestLoader` adds the schema checks (unknown keys, enums,
/// sizes, cross-field consistency) and reports file, line and field.
public struct Manifest: Sendable, Codable, Equatable {
    /// Schema version; this build reads 1.
    public var schema: Int
    /// Stable row id, unique across all manifests: `<table short id>/<paper-tables id>`, e.g.
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case schema, id, table, expected, model, finetune, evaluation, `protocol`, metrics, notes
    }
}

public struct TableRef: Sendable, Codable, Equatable {
    /// `paper-tables.json` `table_id`, e.g. `T01-learned-embeddings-matching-on-mafl-test`.
    public var id: String
    /// Short id used in row ids and folder names: `T01`, `S02`, `R00`.
    public var short: String
    /// The table's caption as published.
    public var title: String
    /// The row label as displayed (`display_group`, e.g. `smallnet-16d`; derived from architecture and
    /// dimension for the results.json-only rows, which no table displays).
    public var row: String
    /// The ablation variant of "x / y" cells: `dve`, `no-dve`, `finetune`, `no-finetune`.
    public var variant: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case id, short, title, row, variant
    }
}

public struct ExpectedRef: Sendable, Codable, Equatable {
    /// `paper-tables.json` `row_key` (`<source>|<table_id>|<run id>`): the row this manifest reproduces.
    public var rowKey: String
    /// `seed-readme`, `upstream-readme` or `upstream-results-json`.
    public var source: String
    /// Row ids of the other manifests that publish a number for the same experiment (config) and task,
    /// sorted. The run behind them may differ: the seed and final READMEs disagree on five MAFL
    /// regression rows because the final README shows re-runs (both are kept in `paper.h5`).
    public var alsoIn: [String]?
    /// True when the published cell is a TODO (no number): the row runs, but the diff has nothing
    /// to compare against and says so.
    public var todo: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case rowKey = "row_key", source, alsoIn = "also_in", todo
    }
}

public struct ModelSpec: Sendable, Codable, Equatable {
    /// `smallnet` or `hourglass`.
    public var architecture: String
    public var embeddingDim: Int
    public var dve: Bool
    /// Published parameter count of the embedding network, when known.
    public var parameters: Int?
    /// The released checkpoint (the run the row's number came from), when published.
    public var checkpoint: CheckpointRef?
    /// How to train the embedding from scratch on CelebA (`--mode train`).
    public var recipe: RecipeSpec

    enum CodingKeys: String, CodingKey, CaseIterable {
        case architecture, embeddingDim = "embedding_dim", dve, parameters, checkpoint, recipe
    }
}

public struct CheckpointRef: Sendable, Codable, Equatable {
    /// Path relative to `--checkpoints DIR`: `<experiment>/<timestamp>/checkpoint-epoch<N>.pth`,
    /// the same relative path as under the authors' `models/` URL root (`url` ends with it).
    public var file: String
    public var url: String
    public var epoch: Int?
    public var timestamp: String?
    /// What the checkpoint holds: `embedding` (the descriptor network) or `embedding+regressor`
    /// (a keypoint-regression run: `0.wrapped_module.*` backbone and `1.*` regressor).
    public var contents: String
    /// Why this file may not give the published number, or may not be downloadable (e.g. the hourglass
    /// matching numbers were evaluated from `model_best.pth`, the seed README's dead `model_best.pth`
    /// links). Shown by the runner when the row is skipped or differs.
    public var caveat: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case file, url, epoch, timestamp, contents, caveat
    }
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case config, dataset, loss, normalizeVectors = "normalize_vectors", batchPairs = "batch_pairs", epochs
        case learningRate = "learning_rate", biasLearningRate = "bias_learning_rate", weightDecay = "weight_decay"
        case schedule, imwidth, crop, seed
    }
}

public struct ScheduleSpec: Sendable, Codable, Equatable {
    /// `multistep`, `step` or `constant`. Stepped with the reference trainer's `step(epoch − 1)`
    /// convention (`training.md` §1): MultiStepLR [70, 90] decays at epochs 72 and 92.
    public var kind: String
    public var milestones: [Int]?
    public var stepSize: Int?
    public var gamma: Double?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, milestones, stepSize = "step_size", gamma
    }
}

public struct FinetuneSpec: Sendable, Codable, Equatable {
    /// `aflw-r`, `aflw-m` or `300w`.
    public var dataset: String
    /// The fine-tuning recipe (init = the CelebA embedding of the same architecture/dim/DVE).
    public var recipe: RecipeSpec

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, recipe
    }
}

public struct EvaluationSpec: Sendable, Codable, Equatable {
    /// `mafl`, `aflw-r`, `aflw-m` or `300w`.
    public var dataset: String
    /// `test`: matching evaluates it; regression trains on `train` and reports on `test`.
    public var split: String
    public var imwidth: Int
    public var crop: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case dataset, split, imwidth, crop
    }
}

public struct ProtocolSpec: Sendable, Codable, Equatable {
    /// `matching`, `regression` or `limited-annotations`.
    public var kind: String
    /// The reference config of the evaluated run, e.g. `configs/mafl-keypoints/celeba-smallnet-3d-dve.json`.
    public var config: String?
    /// Matching: the evaluation warps file under `expected/eval-warps/` (e.g. `mafl.h5`).
    public var warps: String?
    /// Matching: network input side over descriptor-map side (`protocols.md` (a), `stride = imW / W`):
    /// 2 for both SmallNet (70/35) and Hourglass (96/48).
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

    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, config, warps, stride, epochs, batchSize = "batch_size", learningRate = "learning_rate"
        case weightDecay = "weight_decay", schedule, annotations, seeds
    }
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
    /// For `--mode checkpoint` (the released weights).
    public var tolerance: ToleranceSpec
    /// For `--mode train` (the embedding trained here from scratch): wider, since it adds the spread
    /// between independent trainings. The loader requires it.
    public var trainTolerance: ToleranceSpec?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, unit, better, statistic, tolerance, trainTolerance = "train_tolerance"
    }
}

/// A number is within tolerance when |got − expected| ≤ absolute + relative·|expected|.
public struct ToleranceSpec: Sendable, Codable, Equatable {
    public var absolute: Double
    public var relative: Double
    /// How the two numbers were chosen (`docs/manifests.md`, "Tolerances"). The loader requires it.
    public var rule: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case absolute, relative, rule
    }
}

extension MetricSpec {
    /// The tolerance a run in `mode` is held to: a model trained from scratch (`train`) cannot be
    /// expected to land as close as the released weights, so it gets `trainTolerance` when the
    /// manifest gives one.
    public func tolerance(forMode mode: String) -> ToleranceSpec {
        mode == "train" ? (trainTolerance ?? tolerance) : tolerance
    }
}
