import ImageIO

/// Where a loader's files come from. The loaders parse and preprocess whatever this returns, so a
/// dataset tree that only exists in memory (`SynthTree.dataset`) goes through exactly the code that
/// reads the same tree from disk — the same parsers, the same float arithmetic, the same decoder.
///
/// Paths are full paths (`root/relative`), as the loaders build them for their error messages.
protocol DatasetFileSource: Sendable {
    func isFile(_ path: String) -> Bool
    func isDirectory(_ path: String) -> Bool
    /// A whole annotation file.
    func contents(_ path: String) throws(DatasetError) -> [UInt8]
    /// An item's image, decoded (`Image.open(path).convert("RGB")`); errors name the dataset, the
    /// item and the file.
    func decodeImage(_ path: String, dataset: String, index: Int, policy: JPEGWarningPolicy) throws(DatasetError) -> RGBImage
}

/// The file system: what every public loader initialiser reads.
struct DiskFiles: DatasetFileSource {
    func isFile(_ path: String) -> Bool { DatasetFiles.isFile(path) }
    func isDirectory(_ path: String) -> Bool { DatasetFiles.isDirectory(path) }
    func contents(_ path: String) throws(DatasetError) -> [UInt8] { try DatasetFiles.readBytes(path) }
    func decodeImage(_ path: String, dataset: String, index: Int, policy: JPEGWarningPolicy) throws(DatasetError) -> RGBImage {
        try DatasetFiles.decodeImage(path, dataset: dataset, index: index, policy: policy)
    }
}

extension AnnotationText {
    /// Reads `path` from `files` (on disk any size up to 2 GiB). Missing files are reported by the
    /// datasets' layout check before they get here, so a failure here is a permissions or I/O problem.
    static func read(_ path: String, from files: any DatasetFileSource) throws(DatasetError) -> AnnotationText {
        try AnnotationText(path: path, bytes: files.contents(path))
    }
}

extension MATv5File {
    static func read(path: String, from files: any DatasetFileSource) throws(DatasetError) -> MATv5File {
        try parse(files.contents(path), path: path)
    }
}

extension DatasetLayout {
    /// `check(root:)` against `files` instead of the disk.
    func check(root: String, in files: any DatasetFileSource) throws(DatasetError) {
        let missing = entries.filter { entry in
            let path = DatasetFiles.join(root, entry.path)
            return entry.isDirectory ? !files.isDirectory(path) : !files.isFile(path)
        }
        if !missing.isEmpty {
            throw .missingFiles(dataset: dataset, root: root, missing: missing.map(Self.describe),
                                expectedLayout: entries.map(Self.describe))
        }
    }
}
