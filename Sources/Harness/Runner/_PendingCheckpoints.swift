import Landmarks
import TorchFormat

// TEMPORARY until the checkpoint mapping for Hourglass and regressors lands.
struct LoadedCheckpoint {
    var network: any DescriptorNetwork
    var regressor: IntermediateKeypointPredictor?
    var summary: CheckpointSummary
    var sha256: String
}

extension CheckpointModels {
    static func load(path: String) throws -> LoadedCheckpoint {
        let checkpoint = try TorchCheckpoint.read(contentsOf: path)
        return LoadedCheckpoint(network: try smallNet(from: checkpoint), regressor: nil, summary: checkpoint.summary,
                                sha256: try SHA256.hexDigest(ofFile: path))
    }
    static func mismatches(_ checkpoint: LoadedCheckpoint, architecture: String, embeddingDim: Int, dve: Bool?) -> [String] { [] }
}
