import ImageIO

extension SynthLayout {
    /// The real loader of this layout reading `root`, for `split`: CelebA's pruned training set,
    /// MAFL train or MAFL test for `celeba`; the train or test split otherwise (whose training set
    /// is also what unsupervised fine-tuning trains on).
    public func openDataset(root: String, split: SynthSplit, preprocessing: DatasetPreprocessing,
                            jpegWarnings: JPEGWarningPolicy = .tolerateRecoverable) throws(DatasetError) -> any LandmarkDataset {
        try openDataset(root: root, split: split, preprocessing: preprocessing, jpegWarnings: jpegWarnings, files: DiskFiles())
    }

    /// The same, reading the tree from `files` (a SynthFaces tree held in memory).
    func openDataset(root: String, split: SynthSplit, preprocessing: DatasetPreprocessing, jpegWarnings: JPEGWarningPolicy,
                     files: any DatasetFileSource) throws(DatasetError) -> any LandmarkDataset {
        switch self {
        case .celeba:
            let celebA: CelebADataset.Split = switch split {
            case .embeddingTraining: .prunedTrain
            case .train: .maflTrain
            case .test: .maflTest
            }
            return try CelebADataset(root: root, split: celebA, preprocessing: preprocessing, highQualityImages: true,
                                     jpegWarnings: jpegWarnings, files: files)
        case .aflwR:
            return try AFLWRecropDataset(root: root, train: split != .test, preprocessing: preprocessing,
                                         jpegWarnings: jpegWarnings, files: files)
        case .aflwM:
            return try AFLWMTFLDataset(root: root, train: split != .test, preprocessing: preprocessing,
                                       jpegWarnings: jpegWarnings, files: files)
        case .threeHundredW:
            return try ThreeHundredWDataset(root: root, train: split != .test, preprocessing: preprocessing,
                                            jpegWarnings: jpegWarnings, files: files)
        }
    }
}
