import Foundation
import ImageIO
@testable import Landmarks

extension FuzzTarget {
    /// The dataset loaders' annotation parsers: CelebA's lists and landmarks, MAFL's splits, AFLW's
    /// CSV and MTFL text, 300-W's `.pts`, and the MAT v5 files of AFLW_R (keypoints) and 300-W
    /// (bounding boxes, cell arrays, compressed elements).
    ///
    /// Each layout's smallest SynthFaces tree is held in memory. The input's first byte picks one of
    /// the trees' annotation files and the rest replaces that file's bytes; then every split of the
    /// layout is opened with the real loader (which parses and validates every annotation file it
    /// needs) and every item's keypoints and name are read. Images are never decoded here: the
    /// `image` target covers the decoders.
    static let datasets = FuzzTarget(
        name: "datasets",
        prepare: { _ = DatasetFuzzTrees.shared },
        run: { input in
            guard let selector = input.first else { return 0 }
            let trees = DatasetFuzzTrees.shared
            let (tree, path) = trees.annotationFiles[Int(selector) % trees.annotationFiles.count]
            let files = ReplacedFile(base: tree.files, path: tree.files.root + "/" + path, bytes: Array(input.dropFirst()))
            for split in SynthSplit.allCases {
                guard let dataset = try? tree.layout.openDataset(root: files.root, split: split, preprocessing: .smallNet,
                                                                 jpegWarnings: .tolerateRecoverable, files: files)
                else { continue }
                for index in 0..<dataset.count {
                    _ = dataset.itemName(at: index)
                    if let points = try? dataset.keypoints(at: index) {
                        precondition(points.count == 2 * dataset.keypointCount, "keypoint count")
                    }
                }
            }
            return 0
        },
        seeds: {
            let trees = DatasetFuzzTrees.shared
            return trees.annotationFiles.enumerated().map { selector, entry in
                let name = "\(selector)-\(entry.tree.layout)-" + entry.path.replacingOccurrences(of: "/", with: "_")
                return (name, [UInt8(selector)] + (entry.tree.files.annotations[entry.path] ?? []))
            }
        })
}

/// The four layouts' smallest trees and their annotation files, sorted so a selector byte means
/// the same file in every run.
final class DatasetFuzzTrees: Sendable {
    struct Tree: Sendable {
        let layout: SynthLayout
        let files: SynthTreeMemoryFiles
    }

    let annotationFiles: [(tree: Tree, path: String)]

    static let shared = DatasetFuzzTrees()

    private init() {
        var entries: [(tree: Tree, path: String)] = []
        for layout in SynthLayout.allCases {
            do {
                let synth = try SynthTree(layout: layout, count: layout.minimumCount, seed: 7)
                let tree = Tree(layout: layout, files: try SynthTreeMemoryFiles(synth))
                entries += tree.files.annotations.keys.sorted().map { (tree, $0) }
            } catch {
                preconditionFailure("the \(layout) SynthFaces tree cannot be built: \(error)")
            }
        }
        annotationFiles = entries
    }
}

/// A tree's files with one annotation file's bytes replaced by the fuzzer's input.
struct ReplacedFile: DatasetFileSource {
    let base: SynthTreeMemoryFiles
    let path: String
    let bytes: [UInt8]

    var root: String { base.root }
    func isFile(_ path: String) -> Bool { base.isFile(path) }
    func isDirectory(_ path: String) -> Bool { base.isDirectory(path) }
    func contents(_ path: String) throws(DatasetError) -> [UInt8] {
        path == self.path ? bytes : try base.contents(path)
    }
    func decodeImage(_ path: String, dataset: String, index: Int, policy: JPEGWarningPolicy) throws(DatasetError) -> RGBImage {
        try base.decodeImage(path, dataset: dataset, index: index, policy: policy)
    }
}
