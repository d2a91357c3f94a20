import ImageIO

/// What the train/test loaders (AFLW_R, AFLW_M, 300-W) share: where a split is opened from, its
/// layout check, its item names and keypoints, and the item accessors. Each loader parses its own
/// annotation files in `init(opening:)` and says how an item's image is found and preprocessed.
///
/// CelebA is not one of them: its five splits are not a train flag.
public protocol AnnotatedSplitDataset: LandmarkDataset {
    /// The reference class, the first part of `name` (`AFLW`, `AFLW_MTFL`, `ThreeHundredW`).
    static var referenceClass: String { get }
    /// What the split needs under its root; checked before anything is parsed.
    static func layout(train: Bool) -> DatasetLayout
    /// Parses the split's annotations from `location` (whose layout was checked).
    init(opening location: SplitLocation) throws(DatasetError)
    var split: AnnotatedSplit { get }
}

/// Where a split is read from and how its items are preprocessed. Made only by
/// `AnnotatedSplitDataset`'s initialisers, after the layout check.
public struct SplitLocation: Sendable {
    public let root: String
    public let train: Bool
    public let preprocessing: DatasetPreprocessing
    public let jpegWarnings: JPEGWarningPolicy
    let files: any DatasetFileSource

    /// `root/relative`, as error messages name it.
    func path(_ relative: String) -> String { DatasetFiles.join(root, relative) }
}

/// An opened split: its location and, in item order, each item's name and K keypoints as (x, y)
/// pairs in the imwidth frame.
public struct AnnotatedSplit: Sendable {
    public let location: SplitLocation
    public let names: [String]
    let keypointValues: [Float]

    init(_ location: SplitLocation, names: [String], keypointValues: [Float]) {
        self.location = location
        self.names = names
        self.keypointValues = keypointValues
    }
}

extension AnnotatedSplitDataset {
    /// Checks the layout under `root`, then parses the split.
    ///
    /// - Parameter jpegWarnings: `.tolerateRecoverable` (default) decodes JPEGs with recoverable
    ///   libjpeg warnings as Pillow does (the reference trained on them); `.reject` makes them errors.
    /// - Throws: `.missingFiles`, then what the loader's `init(opening:)` lists.
    public init(root: String, train: Bool, preprocessing: DatasetPreprocessing = .smallNet,
                jpegWarnings: JPEGWarningPolicy = .tolerateRecoverable) throws(DatasetError) {
        try self.init(root: root, train: train, preprocessing: preprocessing, jpegWarnings: jpegWarnings, files: DiskFiles())
    }

    /// The same, reading the tree from `files`.
    init(root: String, train: Bool, preprocessing: DatasetPreprocessing, jpegWarnings: JPEGWarningPolicy,
         files: any DatasetFileSource) throws(DatasetError) {
        try Self.layout(train: train).check(root: root, in: files)
        try self.init(opening: SplitLocation(root: root, train: train, preprocessing: preprocessing,
                                             jpegWarnings: jpegWarnings, files: files))
    }

    public var root: String { split.location.root }
    public var train: Bool { split.location.train }
    public var preprocessing: DatasetPreprocessing { split.location.preprocessing }
    public var jpegWarnings: JPEGWarningPolicy { split.location.jpegWarnings }
    var files: any DatasetFileSource { split.location.files }
    /// Image paths as the annotation files list them, in item order.
    public var names: [String] { split.names }

    public var name: String { "\(Self.referenceClass)/\(train ? "train" : "test")" }
    public var count: Int { split.names.count }

    public func itemName(at index: Int) -> String { name(at: index, in: split.names) }

    public func keypoints(at index: Int) throws(DatasetError) -> [Float] {
        try checkIndex(index)
        let size = 2 * keypointCount
        return Array(split.keypointValues[(index * size)..<(index * size + size)])
    }

    /// The item's image file, decoded with the split's JPEG policy, and its path.
    func decodedImage(at index: Int, path: String) throws(DatasetError) -> RGBImage {
        try checkIndex(index)
        return try files.decodeImage(path, dataset: name, index: index, policy: jpegWarnings)
    }
}
