import Foundation
import Harness

/// The repository's own manifests and small scales for runner tests.
enum RunnerManifests {
    static var repositoryRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    static var loader: ManifestLoader { ManifestLoader(repositoryRoot: repositoryRoot) }

    /// The manifest with row id `id`.
    static func row(_ id: String) throws -> LoadedManifest {
        let all = try loader.loadAll()
        guard let row = all.first(where: { $0.id == id }) else { throw CocoaError(.fileNoSuchFile) }
        return row
    }

    /// A scale small enough for a debug-build test: 100 CelebA-layout faces (10 MAFL test images, 5
    /// pairs; 20 MAFL training images), two training steps of two pairs, two regressor epochs.
    static let tiny = RunScale(name: "test-tiny", synthCount: [.celeba: 100, .aflwR: 40, .aflwM: 40, .threeHundredW: 40],
                               synthSeed: 3, trainingSteps: 2, trainingBatchPairs: 2, finetuneSteps: 1,
                               regressionEpochs: 2, regressionBatchSize: 8)
}
