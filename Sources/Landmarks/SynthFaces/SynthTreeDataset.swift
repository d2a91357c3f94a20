import ImageIO
import Synchronization

/// The splits a benchmark row reads from one dataset tree.
public enum SynthSplit: String, Sendable, CaseIterable, CustomStringConvertible {
    /// What the unsupervised trainer learns the embedding on: CelebA's pruned training split
    /// (`CelebAPrunedAligned_MAFLVal(train=True)`) in the celeba layout, the train split elsewhere.
    case embeddingTraining
    /// MAFL train (celeba layout) or the layout's train split.
    case train
    /// MAFL test (celeba layout) or the layout's test split.
    case test

    public var description: String { rawValue }
}

extension SynthTree {
    /// The split exactly as the real loader of `layout` reads it from `write(to:)`: same items, same
    /// order, same pixels (JPEG encoded at the layout's quality and decoded the same way), same
    /// keypoints — without touching the disk.
    ///
    /// Nothing is approximated: the tree's annotation files are built in memory by the code
    /// `write(to:)` uses and parsed by the real loader (`CelebADataset`, `AFLWRecropDataset`,
    /// `AFLWMTFLDataset`, `ThreeHundredWDataset`); an item's image is rendered on first access,
    /// encoded as `write(to:)` encodes it, decoded by the loader's decoder and preprocessed by the
    /// loader, then cached (see `SynthTreeDataset`). Opening costs the annotations only.
    ///
    /// - Throws: `SynthLayoutError` (annotation files), `DatasetError` (the loader).
    public func dataset(_ split: SynthSplit, preprocessing: DatasetPreprocessing) throws -> SynthTreeDataset {
        let files = try SynthTreeMemoryFiles(self)
        let base = try layout.openDataset(root: files.root, split: split, preprocessing: preprocessing,
                                          jpegWarnings: .tolerateRecoverable, files: files)
        return SynthTreeDataset(tree: self, split: split, base: base)
    }
}

/// One split of a SynthFaces tree held in memory (`SynthTree.dataset`): the real loader over the
/// tree's in-memory files, plus a cache of preprocessed images.
///
/// **Identity.** `root` is `synthfaces-v1:<layout>?count=…&seed=…&identities=…`, never a path, and
/// `name` is the loader's split name followed by `[SynthFaces <layout> count=… seed=…]`. The
/// regression descriptor cache keys on `identity` (name, preprocessing, variant, root), so:
/// two in-memory sets of the same tree, split and preprocessing share cached descriptors (they are
/// equal item for item); the same tree written to disk and opened with a loader keys on its
/// directory like any real dataset and never shares with the in-memory set. That costs one extra
/// extraction when a run uses both, and keeps a disk copy that was edited or regenerated from
/// reusing stale descriptors. The `v1` names the generator: bump it when a change to SynthFaces or
/// to a layout changes what an item holds, so on-disk descriptor caches of older trees go stale.
///
/// **Memory.** Preprocessed images (imwidth² · 3 bytes: 30 KB at SmallNet's 100, 55 KB at the
/// Hourglass's 136) are kept once decoded, up to `cacheBudget` bytes per dataset; items beyond it are
/// rendered again on each access. `item(at:)` may be called from any number of threads.
public struct SynthTreeDataset: LandmarkDataset {
    public let tree: SynthTree
    public let split: SynthSplit
    /// The real loader reading the in-memory tree.
    public let base: any LandmarkDataset
    private let cache: SynthImageCache

    /// Bytes of preprocessed images one dataset keeps (512 MiB: 17 000 items at imwidth 100).
    public static let cacheBudget = 512 << 20

    init(tree: SynthTree, split: SynthSplit, base: any LandmarkDataset) {
        self.tree = tree
        self.split = split
        self.base = base
        cache = SynthImageCache(count: base.count, budget: Self.cacheBudget)
    }

    public var name: String { "\(base.name) [SynthFaces \(tree.layout) count=\(tree.count) seed=\(tree.seed)]" }
    public var root: String { base.root }
    public var preprocessing: DatasetPreprocessing { base.preprocessing }
    public var count: Int { base.count }
    public var keypointCount: Int { base.keypointCount }
    public var eyes: EyeIndices { base.eyes }
    /// None: the reference's split sizes describe the real datasets, not a synthetic tree.
    public var referenceCount: Int? { nil }
    public var variant: String { base.variant }

    public func itemName(at index: Int) -> String { base.itemName(at: index) }

    public func keypoints(at index: Int) throws(DatasetError) -> [Float] { try base.keypoints(at: index) }

    public func preprocessedImage(at index: Int) throws(DatasetError) -> RGBImage {
        try checkIndex(index)
        if let image = cache.image(at: index) { return image }
        let image = try base.preprocessedImage(at: index)
        cache.store(image, at: index)
        return image
    }
}

extension LandmarkDataset {
    /// `regression()` for a dataset held as `any LandmarkDataset`, where the generic form cannot be
    /// called.
    public func regressionSource() -> any KeypointImageSource { regression() }
}

/// Preprocessed images by item, filled on first access. Two threads asking for the same missing
/// item both compute it (rendering is pure, so they agree); the lock covers only the table.
final class SynthImageCache: Sendable {
    private struct State {
        var images: [RGBImage?]
        var bytes = 0
    }

    private let state: Mutex<State>
    private let budget: Int

    init(count: Int, budget: Int) {
        state = Mutex(State(images: Array(repeating: nil, count: count)))
        self.budget = budget
    }

    func image(at index: Int) -> RGBImage? { state.withLock { $0.images[index] } }

    func store(_ image: RGBImage, at index: Int) {
        state.withLock { s in
            guard s.images[index] == nil, s.bytes + image.pixels.count <= budget else { return }
            s.images[index] = image
            s.bytes += image.pixels.count
        }
    }
}

/// A tree's files as `write(to:)` would leave them, in memory: the annotation files as bytes, and
/// each image path mapped to the job that renders it (rendered and encoded only when read).
struct SynthTreeMemoryFiles: DatasetFileSource {
    let root: String
    let faces: SynthFaces
    let annotations: [String: [UInt8]]
    let images: [String: (job: SynthImageJob, quality: Int)]
    /// Every directory holding a file, relative, ending in '/'.
    let directories: Set<String>

    init(_ tree: SynthTree) throws(SynthLayoutError) {
        root = "synthfaces-v1:\(tree.layout.rawValue)?count=\(tree.count)&seed=\(tree.seed)&identities=\(tree.identities)"
        faces = tree.faces
        let jobs = try tree.annotatedJobs()
        let notes = try tree.annotations(jobs)
        var annotations: [String: [UInt8]] = [:]
        for file in notes.files { annotations[file.path] = file.bytes }
        var images: [String: (job: SynthImageJob, quality: Int)] = [:]
        for item in jobs {
            images[item.job.path] = (item.job, item.job.quality)
            for copy in item.job.copies { images[copy.path] = (item.job, copy.quality) }
        }
        var directories = Set<String>()
        for path in Array(annotations.keys) + Array(images.keys) {
            var prefix = ""
            for part in path.split(separator: "/", omittingEmptySubsequences: false).dropLast() {
                prefix += part + "/"
                directories.insert(prefix)
            }
        }
        self.annotations = annotations
        self.images = images
        self.directories = directories
    }

    /// `path` relative to `root`, or nil when it lies outside the tree.
    private func relative(_ path: String) -> String? {
        let prefix = root + "/"
        return path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : nil
    }

    func isFile(_ path: String) -> Bool {
        guard let r = relative(path) else { return false }
        return annotations[r] != nil || images[r] != nil
    }

    func isDirectory(_ path: String) -> Bool {
        guard let r = relative(path), !r.isEmpty else { return false }
        return directories.contains(r.hasSuffix("/") ? r : r + "/")
    }

    func contents(_ path: String) throws(DatasetError) -> [UInt8] {
        guard let r = relative(path), let bytes = annotations[r] else {
            let reason = isFile(path) ? "an image, not an annotation file" : "no such file in the SynthFaces tree"
            throw .unreadableFile(path: path, reason: reason)
        }
        return bytes
    }

    func decodeImage(_ path: String, dataset: String, index: Int, policy: JPEGWarningPolicy) throws(DatasetError) -> RGBImage {
        guard let r = relative(path), let entry = images[r] else {
            throw .image(dataset: dataset, index: index,
                         underlying: .unreadableFile(path: path, reason: "no such image in the SynthFaces tree"))
        }
        let face: SynthFace
        do throws(SynthFacesError) { face = try faces.render(index: entry.job.index, framing: entry.job.framing) } catch {
            throw .unreadableFile(path: path, reason: "SynthFaces cannot render it: \(error)")
        }
        do throws(ImageIOError) {
            let bytes = try SynthTreeFiles.encodeImage(face.image, path: path, jpegQuality: entry.quality)
            return try ImageCodec.decode(bytes, source: path, jpegWarnings: policy)
        } catch {
            throw .image(dataset: dataset, index: index, underlying: error)
        }
    }
}
