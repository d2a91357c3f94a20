import Foundation
import ImageIO

/// What a dataset needs on disk under its root: the annotation files it parses when opened and the
/// image directories it reads from on access. Used to check a root before parsing (so a missing
/// dataset is one clear error listing the expected files) and to document the layouts for
/// `dvebench synth` and users.
public struct DatasetLayout: Sendable, CustomStringConvertible {
    public struct Entry: Sendable {
        /// Relative to the root; directories end in `/`.
        public var path: String
        public var note: String
        public var isDirectory: Bool { path.hasSuffix("/") }
    }

    /// The reference class (and split) the layout belongs to.
    public var dataset: String
    public var entries: [Entry]

    init(_ dataset: String, _ entries: [(String, String)]) {
        self.dataset = dataset
        self.entries = entries.map { Entry(path: $0.0, note: $0.1) }
    }

    /// Throws `.missingFiles` naming every absent entry (the message lists the whole layout when
    /// none is present).
    public func check(root: String) throws(DatasetError) {
        try check(root: root, in: DiskFiles())
    }

    static func describe(_ e: Entry) -> String { e.note.isEmpty ? e.path : "\(e.path)  (\(e.note))" }

    public var description: String {
        "\(dataset):\n" + entries.map { "  " + Self.describe($0) }.joined(separator: "\n")
    }
}

extension DatasetFiles {
    static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// Decodes an item's image with the dataset's JPEG warning policy; errors name the dataset,
    /// the item and (inside the `ImageIOError`) the file.
    static func decodeImage(_ path: String, dataset: String, index: Int,
                            policy: JPEGWarningPolicy) throws(DatasetError) -> RGBImage {
        do { return try ImageCodec.decodeFile(atPath: path, jpegWarnings: policy) } catch {
            throw .image(dataset: dataset, index: index, underlying: error)
        }
    }
}
