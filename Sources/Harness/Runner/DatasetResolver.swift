import Foundation
import Landmarks

/// Which images a row reads: the real datasets under a data root (the reference's `data/` folder), or
/// SynthFaces generated in memory in the same layouts. Rows name datasets as manifests do: `celeba`
/// (the unsupervised training set), `mafl`, `aflw-r`, `aflw-m`, `300w`.
public struct DatasetResolver: Sendable {
    /// The reference's `data/` folder; nil selects SynthFaces.
    public let dataRoot: String?
    public let scale: RunScale

    public init(dataRoot: String?, scale: RunScale) {
        self.dataRoot = dataRoot
        self.scale = scale
    }

    /// Folder of each dataset under the data root, as the reference's configs name them.
    public static let folders: [String: String] = [
        "celeba": "celeba", "mafl": "celeba", "aflw-r": "aflw/aflw_release-2", "aflw-m": "aflw-mtfl", "300w": "300w/300w",
    ]

    static let layouts: [String: SynthLayout] = [
        "celeba": .celeba, "mafl": .celeba, "aflw-r": .aflwR, "aflw-m": .aflwM, "300w": .threeHundredW,
    ]

    /// What results record as their data source.
    public var description: String {
        if let dataRoot { return dataRoot }
        let counts = SynthLayout.allCases.map { "\($0)=\(scale.synthCount[$0] ?? 0)" }.joined(separator: " ")
        return "synthfaces(seed \(scale.synthSeed); \(counts))"
    }

    public var isSynthetic: Bool { dataRoot == nil }

    /// The split of `dataset` with the given preprocessing. A real dataset that is absent throws
    /// `DatasetError.missingFiles` (the runner reports the row as skipped with that message).
    public func dataset(_ dataset: String, split: SynthSplit, preprocessing: DatasetPreprocessing) throws -> any LandmarkDataset {
        guard let layout = Self.layouts[dataset], let folder = Self.folders[dataset] else {
            throw RunnerError.unknownDataset(dataset)
        }
        guard let dataRoot else {
            let tree = try SynthTree(layout: layout, count: scale.synthCount[layout] ?? layout.minimumCount,
                                     seed: scale.synthSeed)
            return try tree.dataset(split, preprocessing: preprocessing)
        }
        return try layout.openDataset(root: (dataRoot as NSString).appendingPathComponent(folder), split: split,
                                      preprocessing: preprocessing)
    }
}
