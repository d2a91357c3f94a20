import Landmarks
import TorchFormat

extension CheckpointModels {
    /// The losses whose name says whether the embedding was trained with DVE. A regression checkpoint's
    /// config records `regression_loss` (the regressor's), which says nothing about the embedding.
    static let descriptorLosses: [String: Bool] = ["dense_correlation_loss_dve": true, "dense_correlation_loss": false]

    /// Checks the weights against what a manifest says: architecture (`smallnet`/`hourglass`; the
    /// reference spellings `SmallNet`/`HourglassNet` are accepted too), embedding dimension, the DVE loss
    /// if the config records a descriptor loss, and — when `regressor` is given — whether the file holds
    /// a keypoint regressor (the manifest's `contents: embedding+regressor`). The weights decide
    /// architecture and dimension; what the config records is checked as well, so a file whose config
    /// contradicts the manifest is reported even when its weights happen to fit. Returns one
    /// human-readable line per mismatch, empty when everything matches; a nil expectation is not checked.
    public static func mismatches(_ checkpoint: LoadedCheckpoint, architecture: String, embeddingDim: Int, dve: Bool?,
                                  regressor: Bool? = nil) -> [String] {
        var problems: [String] = []
        let weights = checkpoint.identification.network.description
        if let expected = manifestArchitecture(architecture) {
            if checkpoint.network.architecture != expected {
                problems.append("architecture: the manifest says \(architecture), the weights are \(weights)")
            }
            if let declared = checkpoint.summary.architecture, declared != expected.rawValue {
                problems.append("architecture: the manifest says \(architecture), the config records arch.type \(declared)")
            }
        } else {
            problems.append("architecture: the manifest says \(architecture), which is neither smallnet nor hourglass")
        }
        if checkpoint.network.outputChannels != embeddingDim {
            problems.append("embedding dimension: the manifest says \(embeddingDim), the weights (\(weights)) produce \(checkpoint.network.outputChannels) channels")
        }
        if let declared = checkpoint.summary.embeddingDimension, declared != embeddingDim {
            problems.append("embedding dimension: the manifest says \(embeddingDim), the config records num_output_channels \(declared)")
        }
        if let dve, let loss = checkpoint.summary.loss, let trainedWithDVE = descriptorLosses[loss], trainedWithDVE != dve {
            problems.append("DVE: the manifest says \(dve ? "trained with" : "trained without") the DVE loss, the config records loss \(loss)")
        }
        if let regressor, regressor != (checkpoint.regressor != nil) {
            problems.append(regressor
                ? "contents: the manifest expects an embedding+regressor checkpoint, the file holds only the embedding (\(weights))"
                : "contents: the manifest expects an embedding checkpoint, the file also holds a keypoint regressor (\(checkpoint.identification.description))")
        }
        return problems
    }

    /// The manifest's architecture name as the network type, nil for an unknown name.
    static func manifestArchitecture(_ name: String) -> Architecture? {
        switch name.lowercased() {
        case "smallnet": .smallNet
        case "hourglass", "hourglassnet": .hourglass
        default: nil
        }
    }
}
