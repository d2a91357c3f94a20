import Tensors

/// One evaluation item after exactly the warps `MatchingProtocol.run` applied to it, as the bytes the
/// network's input was normalised from. Reports draw matches on these, so the pictures show what the
/// network saw and the keypoints sit where the protocol measured them.
public struct MatchingWarpedItem: Sendable, Equatable {
    /// Item index in dataset order.
    public var index: Int
    /// Side of the cropped images (`imwidth − 2·crop`).
    public var side: Int
    /// The doubly warped `A` (the protocol's source when `index` is even), (3, side, side) channel-major
    /// bytes after the dataset's `.to(uint8)` truncation.
    public var doubly: [UInt8]
    /// The singly warped `B` (the protocol's target), same layout.
    public var singly: [UInt8]
    /// Keypoints of `A` (`kp1`) and of `B` (`kp2`): K `(x, y)` pairs, cropped-frame pixels (x right, y
    /// down, origin at the centre of the top-left pixel).
    public var doublyKeypoints: [Float]
    public var singlyKeypoints: [Float]
}

extension MatchingProtocol {
    /// Item `index` warped as `run(network:source:options:)` warps it: the recorded parameters
    /// `options.warps.weights[index]` when present, otherwise the seeded fallback draw for that item,
    /// through `Warper.evaluation` with the options' linspace and `align_corners`, cropped and truncated to
    /// bytes. Pass the `options` of the `MatchingResult` being illustrated.
    ///
    /// - Throws: the option, item, shape and warp errors `run` would throw for the same item.
    public static func warpedItem(index: Int, source: any EvaluationImageSource,
                                  options: MatchingOptions) throws(MatchingError) -> MatchingWarpedItem {
        try options.validate()
        guard index >= 0, index < source.count else {
            throw .itemSource(index: index, underlying: "index outside 0..<\(source.count)")
        }
        if let warps = options.warps, index >= warps.count {
            throw .tooFewWarps(source: warps.name, available: warps.count, needed: index + 1)
        }
        let warper: Warper
        do {
            warper = try Warper.evaluation(imageSize: options.imageWidth, linspace: options.linspace,
                                           alignCorners: options.alignCorners)
        } catch {
            throw .invalidOption(field: "imageWidth", value: "\(options.imageWidth)", requirement: "\(error)")
        }
        let warped = try warpItem(index: index, source: source, warper: warper, crop: options.crop,
                                  weights: options.warps?.weights[index], fallbackSeed: options.fallbackSeed)
        let half = warped.bytes.count / 2
        return MatchingWarpedItem(index: index, side: options.croppedWidth, doubly: Array(warped.bytes[..<half]),
                                  singly: Array(warped.bytes[half...]),
                                  doublyKeypoints: warped.pair.kp1?.storage ?? [],
                                  singlyKeypoints: warped.pair.kp2?.storage ?? [])
    }
}
