/// The words a manifest field may hold. The runner and the report can switch over these knowing the
/// loader has rejected anything else.
public enum ManifestVocabulary {
    public static let schemaVersion = 1
    public static let sources = ["seed-readme", "upstream-readme", "upstream-results-json"]
    public static let architectures = ["smallnet", "hourglass"]
    public static let variants = ["dve", "no-dve", "finetune", "no-finetune"]
    /// Where an embedding is trained: CelebA, or a target set for the unsupervised fine-tuning.
    public static let trainingDatasets = ["celeba", "aflw-r", "aflw-m", "300w"]
    public static let finetuneDatasets = ["aflw-r", "aflw-m", "300w"]
    public static let evaluationDatasets = ["mafl", "aflw-r", "aflw-m", "300w"]
    public static let splits = ["test"]
    public static let losses = ["dense_correlation_loss", "dense_correlation_loss_dve"]
    public static let scheduleKinds = ["multistep", "step", "constant"]
    public static let protocolKinds = ["matching", "regression", "limited-annotations"]
    public static let checkpointContents = ["embedding", "embedding+regressor"]
    public static let metricNames = ["same_identity", "different_identity", "iod_error"]
    public static let units = ["px", "%IOD"]
    public static let polarities = ["lower", "higher"]
    public static let statistics = ["value", "last-epoch", "mean-std"]

    /// The recorded evaluation warps of each evaluation set, under `expected/eval-warps/`
    /// (`aflw.h5` is AFLW_R, `aflw_mtfl.h5` is AFLW_M).
    public static let warpsFiles: [String: String] = [
        "mafl": "mafl.h5", "aflw-r": "aflw.h5", "aflw-m": "aflw_mtfl.h5", "300w": "300w.h5",
    ]

    /// The metrics each protocol reports, in report order, with their unit and statistic.
    public static func metrics(for protocolKind: String) -> [(name: String, unit: String, statistic: String)] {
        switch protocolKind {
        case "matching": [("same_identity", "px", "value"), ("different_identity", "px", "value")]
        case "regression": [("iod_error", "%IOD", "last-epoch")]
        case "limited-annotations": [("iod_error", "%IOD", "mean-std")]
        default: []
        }
    }
}
