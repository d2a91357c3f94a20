import Landmarks
import Tensors

/// Match figures for a matching row, built from the protocol's own result: which pairs, which cells
/// matched, and the very warped images and keypoints the protocol measured (reproduced with
/// `MatchingProtocol.warpedItem`, the same code path as the run, so the pictures are exactly what the
/// network saw, not an approximation).
public enum MatchFigures {
    /// Up to `count` (≤ 4, the report's limit) figures, from pairs spread evenly over the run (first,
    /// …, last) so one odd pair does not stand for the whole set. For pair k:
    /// - `source`: the doubly warped `A_2k` with its keypoints `kp1_2k` (the queries);
    /// - `target`: the singly warped `B_2k+1` (the **different-identity** target), with
    ///   `matchedPoints` = where `find_descriptor` put each query (`(column·stride, row·stride)`, the
    ///   positions the protocol scored) and `truePoints` = `kp2_2k+1`.
    ///
    /// All points are pixels of the cropped image (imwidth − 2·crop square). `source` must be the
    /// evaluation source the result was computed from; `result.options` supplies the warps.
    ///
    /// - Throws: `.matching` when an item cannot be read or warped again; `.figureMismatch` when the
    ///   reproduced keypoints do not fit the result (another source was passed).
    public static func make(result: MatchingResult, source: any EvaluationImageSource,
                            count: Int = 4) throws(ReportError) -> [MatchFigure] {
        let wanted = min(max(count, 0), 4, result.pairs.count)
        guard wanted > 0 else { return [] }
        // Evenly spaced pair indices, first and last included when there are enough pairs.
        let picks = (0..<wanted).map { wanted == 1 ? 0 : $0 * (result.pairs.count - 1) / (wanted - 1) }
        var figures: [MatchFigure] = []
        for index in picks {
            figures.append(try figure(pair: result.pairs[index], source: source, options: result.options))
        }
        return figures
    }

    /// The figure of one pair (see `make`).
    public static func figure(pair: MatchedPair, source: any EvaluationImageSource,
                              options: MatchingOptions) throws(ReportError) -> MatchFigure {
        let first: MatchingWarpedItem, second: MatchingWarpedItem
        do {
            first = try MatchingProtocol.warpedItem(index: pair.sourceItem, source: source, options: options)
            second = try MatchingProtocol.warpedItem(index: pair.differentItem, source: source, options: options)
        } catch {
            throw .matching(error)
        }
        let k = pair.keypoints.count
        guard first.doublyKeypoints.count == 2 * k, second.singlyKeypoints.count == 2 * k else {
            throw .figureMismatch(what: "pair of items \(pair.sourceItem), \(pair.differentItem) has \(k) matched "
                                  + "keypoints but the evaluation source gives \(first.doublyKeypoints.count / 2) and "
                                  + "\(second.singlyKeypoints.count / 2): not the source the result was computed from")
        }
        func points(_ flat: [Float]) -> [(x: Double, y: Double)] {
            (0..<flat.count / 2).map { (Double(flat[2 * $0]), Double(flat[2 * $0 + 1])) }
        }
        return MatchFigure(source: try picture(first.doubly, side: first.side),
                           target: try picture(second.singly, side: second.side),
                           sourcePoints: points(first.doublyKeypoints),
                           matchedPoints: pair.keypoints.map { ($0.different.x, $0.different.y) },
                           truePoints: points(second.singlyKeypoints))
    }

    /// (3, side, side) channel-major bytes → interleaved picture.
    static func picture(_ planar: [UInt8], side: Int) throws(ReportError) -> RGBPicture {
        let plane = side * side
        guard side > 0, planar.count == 3 * plane else {
            throw .figureMismatch(what: "warped image holds \(planar.count) bytes, expected 3×\(side)×\(side)")
        }
        var pixels = [UInt8](repeating: 0, count: planar.count)
        for c in 0..<3 { for p in 0..<plane { pixels[p * 3 + c] = planar[c * plane + p] } }
        return RGBPicture(width: side, height: side, pixels: pixels)
    }

    /// Colours of the composed figure, shared with the HTML legend.
    public static let sourceColor: RGBPicture.Color = (0, 200, 255)
    public static let trueColor: RGBPicture.Color = (40, 220, 40)
    public static let matchedColor: RGBPicture.Color = (255, 40, 40)
    public static let errorColor: RGBPicture.Color = (255, 220, 0)

    /// One picture of a figure: source and target upscaled (nearest) to about `side` pixels, side by
    /// side; on the source a cyan disc per query landmark; on the target a yellow segment from each true
    /// position (green ×) to its matched position (red disc). Outlines keep marks visible on any face.
    public static func compose(_ figure: MatchFigure, side: Int = 240) -> RGBPicture {
        let factor = figure.source.factor(toReach: side)
        let radius = max(2, Double(factor) * 0.9)
        var left = figure.source.upscaled(by: factor)
        var right = figure.target.upscaled(by: factor)
        for p in figure.sourcePoints {
            let q = RGBPicture.scaled(p, by: factor)
            left.drawDisc(x: q.x, y: q.y, radius: radius, color: sourceColor, outline: (0, 0, 0))
        }
        for (t, m) in zip(figure.truePoints, figure.matchedPoints) {
            right.drawLine(from: RGBPicture.scaled(t, by: factor), to: RGBPicture.scaled(m, by: factor),
                           thickness: 1.5, color: errorColor)
        }
        for t in figure.truePoints {
            let q = RGBPicture.scaled(t, by: factor)
            right.drawSaltire(x: q.x, y: q.y, size: radius + 1, thickness: 2.5, color: (0, 0, 0))
            right.drawSaltire(x: q.x, y: q.y, size: radius + 1, thickness: 1.2, color: trueColor)
        }
        for m in figure.matchedPoints {
            let q = RGBPicture.scaled(m, by: factor)
            right.drawDisc(x: q.x, y: q.y, radius: radius * 0.8, color: matchedColor, outline: (0, 0, 0))
        }
        return RGBPicture.sideBySide([left, right], gap: max(4, factor * 2))
    }
}
