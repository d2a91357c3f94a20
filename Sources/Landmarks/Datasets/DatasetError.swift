import ImageIO

/// Everything that can go wrong while reading a dataset tree, preprocessing an item or augmenting it.
///
/// A benchmark run touches tens of thousands of files, so every case names the file it is about and,
/// for annotation text, the 1-based line number: "malformed annotation" without a place is useless.
public enum DatasetError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Files the dataset needs are absent under `root`. When every annotation file is missing the
    /// root holds no copy of the dataset at all; the message then lists the whole expected layout.
    case missingFiles(dataset: String, root: String, missing: [String], expectedLayout: [String])
    /// A file exists but cannot be read (permissions, a directory, I/O error, not UTF-8 text).
    case unreadableFile(path: String, reason: String)
    /// One line of an annotation text file does not have the expected shape. `line` is 1-based.
    case malformedLine(path: String, line: Int, reason: String)
    /// An annotation file is well-formed line by line but inconsistent as a whole (counts that
    /// disagree between two files, a name listed in one file but absent from another, …).
    case inconsistentAnnotations(path: String, reason: String)
    /// A MATLAB `.mat` file is not a readable Level-5 MAT-file, or lacks / mis-shapes a variable.
    case matFile(path: String, reason: String)
    /// An image failed to read or decode; `underlying` names the file.
    case image(dataset: String, index: Int, underlying: ImageIOError)
    /// An image decoded but cannot go through the reference preprocessing (wrong size, a face box
    /// that scales it to nothing, …).
    case preprocessing(path: String, reason: String)
    /// An index outside `0 ..< count`.
    case indexOutOfRange(dataset: String, index: Int, count: Int)
    /// The split sizes differ from the reference's asserted counts (`validateReferenceCounts`).
    case unexpectedCount(dataset: String, expected: Int, got: Int)
    /// Bad options (image width, crop, split name).
    case invalidOptions(String)
    /// A photometric augmentation step failed (JPEG round trip).
    case augmentation(String)
    /// Building a pair (or single-warp) item failed: the item source, the warp, or missing warp
    /// parameters for the item.
    case pairItem(index: Int, reason: String)

    public var description: String {
        switch self {
        case .missingFiles(let dataset, let root, let missing, let layout):
            let allMissing = missing.count >= layout.count
            let head = allMissing
                ? "no \(dataset) dataset under \(root); expected these files there:"
                : "\(dataset) under \(root) is incomplete; missing:"
            let list = (allMissing ? layout : missing).map { "  \($0)" }.joined(separator: "\n")
            return "\(head)\n\(list)"
        case .unreadableFile(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .malformedLine(let path, let line, let reason):
            return "\(path):\(line): \(reason)"
        case .inconsistentAnnotations(let path, let reason):
            return "\(path): \(reason)"
        case .matFile(let path, let reason):
            return "MAT-file \(path): \(reason)"
        case .image(let dataset, let index, let underlying):
            return "\(dataset) item \(index): \(underlying)"
        case .preprocessing(let path, let reason):
            return "cannot preprocess \(path): \(reason)"
        case .indexOutOfRange(let dataset, let index, let count):
            return "\(dataset): item \(index) is outside 0..<\(count)"
        case .unexpectedCount(let dataset, let expected, let got):
            return "\(dataset): \(got) items, the reference asserts \(expected)"
        case .invalidOptions(let message):
            return "invalid dataset options: \(message)"
        case .augmentation(let message):
            return "augmentation failed: \(message)"
        case .pairItem(let index, let reason):
            return "pair item \(index): \(reason)"
        }
    }
}
