import Foundation
import Landmarks

// TEMPORARY until the in-memory SynthTree datasets land: writes the tree once per process to a
// temporary folder and reads it with the real loaders.
public enum SynthSplit: String, Sendable, CaseIterable { case embeddingTraining, train, test }

private final class PendingTrees: @unchecked Sendable {
    let lock = NSLock()
    var roots: [String: String] = [:]
}
private let pendingTrees = PendingTrees()

extension SynthTree {
    public func dataset(_ split: SynthSplit, preprocessing: DatasetPreprocessing) throws -> any LandmarkDataset {
        let key = "\(layout)-\(count)-\(seed)"
        let root: String = try pendingTrees.lock.withLock {
            if let r = pendingTrees.roots[key] { return r }
            let r = NSTemporaryDirectory() + "dvebench-synth-\(getpid())-\(key)"
            try? FileManager.default.removeItem(atPath: r)
            _ = try write(to: r, overwrite: true, threads: 2)
            pendingTrees.roots[key] = r
            return r
        }
        return try DatasetResolver.realDataset(layout: layout, root: root, split: split, preprocessing: preprocessing)
    }
}

