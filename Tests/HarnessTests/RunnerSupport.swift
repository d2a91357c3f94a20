import Foundation
import Harness

/// Manifests for runner tests, built the way the manifest files spell them.
enum RunnerManifests {
    static func smallNet(id: String, dim: Int, dve: Bool, protocolKind: String, evaluation: String = "mafl") throws -> Manifest {
        let metrics: [[String: Any]] = protocolKind == "matching"
            ? [metric("same_identity", "px", "value"), metric("different_identity", "px", "value")]
            : [metric("iod_error", "%IOD", protocolKind == "limited-annotations" ? "mean-std" : "last-epoch")]
        var protocolSpec: [String: Any] = ["kind": protocolKind]
        if protocolKind == "matching" { protocolSpec["warps"] = "mafl.h5"; protocolSpec["stride"] = 2 }
        if protocolKind == "regression" {
            protocolSpec.merge(["epochs": 300, "batch_size": 32, "learning_rate": 1e-3, "weight_decay": 5e-4,
                                "schedule": ["kind": "multistep", "milestones": [100, 250], "gamma": 0.1]]) { a, _ in a }
        }
        let json: [String: Any] = [
            "schema": 1, "id": id,
            "table": ["id": "S01-matching-mafl", "short": "S01", "title": "test", "row": "smallnet-\(dim)d"],
            "expected": ["row_key": "seed-readme|S01|\(id)", "source": "seed-readme", "todo": false],
            "model": ["architecture": "smallnet", "embedding_dim": dim, "dve": dve,
                      "recipe": ["config": "configs/celeba/smallnet-\(dim)d\(dve ? "-dve" : "").json", "dataset": "celeba",
                                 "loss": dve ? "dense_correlation_loss_dve" : "dense_correlation_loss",
                                 "normalize_vectors": false, "batch_pairs": 32, "epochs": 100, "learning_rate": 1e-3,
                                 "bias_learning_rate": 1e-5, "weight_decay": 0,
                                 "schedule": ["kind": "multistep", "milestones": [70, 90], "gamma": 0.1],
                                 "imwidth": 100, "crop": 15, "seed": 0]],
            "evaluation": ["dataset": evaluation, "split": "test", "imwidth": 100, "crop": 15],
            "protocol": protocolSpec,
            "metrics": metrics,
        ]
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(Manifest.self, from: JSONSerialization.data(withJSONObject: json))
    }

    static func metric(_ name: String, _ unit: String, _ statistic: String) -> [String: Any] {
        ["name": name, "unit": unit, "better": "lower", "statistic": statistic,
         "tolerance": ["absolute": 0.005, "relative": 0.0]]
    }

    static func row(_ manifest: Manifest) -> RunRow {
        RunRow(manifest: manifest, path: "<test>/\(manifest.id).yaml", sha256: "sha-\(manifest.id)")
    }

    /// A scale small enough for a test: 200 CelebA-layout faces (20 MAFL test images), a few steps.
    static let tiny = RunScale(name: "test-tiny", synthCount: [.celeba: 200, .aflwR: 60, .aflwM: 60, .threeHundredW: 60],
                               synthSeed: 3, trainingEpochs: 1, trainingStepsPerEpoch: 3, trainingBatchPairs: 4,
                               finetuneEpochs: 1, finetuneStepsPerEpoch: 2, regressionEpochs: 2, regressionBatchSize: 8)

    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
