import Foundation
@testable import Harness

/// Builders shared by the results, diff, bless, merge and compare tests.
enum ResultsFixtures {
    static func provenance(commit: String = "0123456789abcdef0123456789abcdef01234567", dirty: Bool = false,
                           command: String = "dvebench run --scale quick") -> Provenance {
        Provenance(gitCommit: commit, gitDirty: dirty, swiftVersion: "6.3",
                   libraries: ["hdf5": "1.10.8", "openblas": "0.3.21", "libpng": "1.6.39"],
                   cpu: "Test CPU (2 CPUs)", blasCore: "Haswell", threads: 2, hostname: "host",
                   startedAt: "2025-01-02T03:04:05Z", command: command)
    }

    static func picture(width: Int, height: Int, seed: UInt8) -> RGBPicture {
        RGBPicture(width: width, height: height,
                   pixels: (0..<(width * height * 3)).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(seed)) })
    }

    static func figures() -> RowFigures {
        let pair = { (seed: UInt8, points: Int) in
            MatchFigure(source: picture(width: 5, height: 4, seed: seed), target: picture(width: 3, height: 6, seed: seed &+ 1),
                        sourcePoints: (0..<points).map { (x: Double($0) + 0.25, y: -Double($0) / 3) },
                        matchedPoints: (0..<points).map { (x: Double($0) * 1e-9, y: .pi) },
                        truePoints: (0..<points).map { (x: -0.0, y: Double($0) + 1e300) })
        }
        return RowFigures(matches: [pair(1, 5), pair(9, 0), pair(20, 1)],
                          embeddingInput: picture(width: 7, height: 2, seed: 3),
                          embeddingPCA: picture(width: 1, height: 1, seed: 4))
    }

    static func finished(_ id: String, scale: String = "quick", metrics: [MetricValue],
                         figures: RowFigures? = nil) -> RowResult {
        RowResult(id: id, manifestSHA256: String(repeating: "ab", count: 32), status: .finished, metrics: metrics,
                  mode: "train", scale: scale, dataSource: "synthfaces", seeds: [1, 2, UInt64.max],
                  wallSeconds: 12.5, details: ["epochs": "2", "warps": "expected/eval-warps/mafl.h5"], figures: figures)
    }

    static func skipped(_ id: String, scale: String = "quick") -> RowResult {
        RowResult(id: id, manifestSHA256: "00", status: .skipped(reason: "no AFLW data under /data"), mode: "checkpoint",
                  scale: scale, dataSource: "/data")
    }

    static func failed(_ id: String, scale: String = "quick") -> RowResult {
        RowResult(id: id, manifestSHA256: "00", status: .failed(message: "x.pth: truncated"), mode: "checkpoint",
                  scale: scale, dataSource: "/data")
    }

    /// A manifest for row `id` with the given metrics (name, better, absolute, relative), built by
    /// decoding so the test does not depend on memberwise initialisers.
    static func manifest(_ id: String, metrics: [(String, String, Double, Double)],
                         architecture: String = "smallnet") throws -> Manifest {
        let recipe: [String: Any] = [
            "config": "configs/celeba/smallnet-3d-dve.json", "dataset": "celeba", "loss": "dense_correlation_loss_dve",
            "normalize_vectors": true, "batch_pairs": 32, "epochs": 100, "learning_rate": 0.001, "weight_decay": 0.0005,
            "schedule": ["kind": "constant"], "imwidth": 100, "crop": 15, "seed": 0,
        ]
        let json: [String: Any] = [
            "schema": 1, "id": id,
            "table": ["id": "T01-learned-embeddings", "short": String(id.prefix(3)), "title": "Matching", "row": "smallnet-3d"],
            "expected": ["row_key": "seed-readme|T01-learned-embeddings|\(id)", "source": "seed-readme", "todo": false],
            "model": ["architecture": architecture, "embedding_dim": 3, "dve": true, "recipe": recipe],
            "evaluation": ["dataset": "mafl", "split": "test", "imwidth": 100, "crop": 15],
            "protocol": ["kind": "matching", "warps": "mafl.h5", "stride": 1],
            "metrics": metrics.map { name, better, absolute, relative in
                ["name": name, "unit": "px", "better": better, "statistic": "value",
                 "tolerance": ["absolute": absolute, "relative": relative]] as [String: Any]
            },
        ]
        return try JSONDecoder().decode(Manifest.self, from: JSONSerialization.data(withJSONObject: json))
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dvebench-results-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
