import Foundation
import Tensors

/// The landmark-matching protocol of `test_matching.py::evaluation` (reference protocols (a); golden
/// README §9): "Mean Pixel Error (same-identity / different-identity)".
///
/// **Data.** Item `i` (dataset order) is warped by the evaluation `Warper` (both warps at evaluation
/// amplitudes) with `weights[i]` of the recorded eval warps, or with seeded draws as a fallback; the
/// pair is cropped, truncated to uint8 and normalised exactly as the dataset does, giving the doubly
/// warped `A_i` with keypoints `kp1_i` and the singly warped `B_i` with `kp2_i` (cropped-frame pixels).
///
/// **Pairing.** `DataLoader(batch_size=2, shuffle=False, drop_last=True)`: batch k holds items 2k and
/// 2k + 1, network order `[A_2k, B_2k, A_2k+1, B_2k+1]`. Only one source per batch:
/// source = `A_2k` with `kp1_2k`; same identity = `B_2k` against `kp2_2k`; different identity =
/// `B_2k+1` against `kp2_2k+1`. An odd last item is never loaded. `A_2k+1` is never used, and in eval
/// mode every image's descriptors depend on that image alone, so it is not computed here.
///
/// **Matching.** `MatchingRules.findDescriptors` (round-half-even of `x / stride`, clamp, raw dot
/// products, first-index argmax, `(col·stride, row·stride)`), `stride = (imwidth − 2·crop) / W` in
/// float64; error `MatchingRules.pixelError` scaled by `70 / (imwidth − 2·crop)`; each metric is the
/// numpy mean over every (pair, keypoint). All keypoints count; no visibility handling.
public enum MatchingProtocol {
    /// Runs the protocol with `network` in eval mode (`forward(_:training: false)`), streaming
    /// `options.pairsPerForward` pairs per forward. Prints nothing; `progress` hears after each forward.
    public static func run(network: any Layer, source: any EvaluationImageSource, options: MatchingOptions,
                           progress: ((MatchingProgress) -> Void)? = nil) throws(MatchingError) -> MatchingResult {
        try options.validate()
        let clock = ContinuousClock()
        let start = clock.now
        var pairTotal = source.count / 2
        if let limit = options.pairLimit { pairTotal = min(pairTotal, limit) }
        guard pairTotal >= 1 else { throw .tooFewItems(available: source.count) }
        if let warps = options.warps, warps.count < 2 * pairTotal {
            throw .tooFewWarps(source: warps.name, available: warps.count, needed: 2 * pairTotal)
        }
        let warper: Warper
        do {
            warper = try Warper.evaluation(imageSize: options.imageWidth, linspace: options.linspace,
                                           alignCorners: options.alignCorners)
        } catch {
            throw .invalidOption(field: "imageWidth", value: "\(options.imageWidth)", requirement: "\(error)")
        }
        let scale = MatchingRules.errorScale(imageWidth: options.imageWidth, crop: options.crop)
        var pairs: [MatchedPair] = []
        pairs.reserveCapacity(pairTotal)
        var timings = MatchingTimings(preparation: 0, network: 0, matching: 0, total: 0, pairsPerSecond: 0)
        var descriptorShape: [Int] = []
        var keypointsPerItem: (item: Int, count: Int)?
        var stride = 0.0

        var first = 0
        while first < pairTotal {
            let count = min(options.pairsPerForward, pairTotal - first)
            var mark = clock.now
            let prepared = try prepare(pairs: first ..< first + count, source: source, warper: warper, options: options)
            for p in prepared {
                let k = p.sourceKeypoints.count / 2
                for (item, n) in [(p.sourceItem, k), (p.sourceItem + 1, p.differentKeypoints.count / 2)] {
                    if let expected = keypointsPerItem, n != expected.count {
                        throw .keypointCountMismatch(index: item, count: n, otherIndex: expected.item, otherCount: expected.count)
                    }
                    if keypointsPerItem == nil { keypointsPerItem = (item, n) }
                }
            }
            let images = Tensor(shape: [3 * count, 3, options.croppedWidth, options.croppedWidth],
                                storage: prepared.flatMap { $0.images })
            timings.preparation += seconds(clock.now - mark)

            mark = clock.now
            let output = network.forward(images, training: false)
            timings.network += seconds(clock.now - mark)
            let s = output.shape
            guard s.count == 4, s[0] == 3 * count, s[1] > 0, s[2] > 0, s[3] > 0,
                  descriptorShape.isEmpty || Array(s.dropFirst()) == descriptorShape else {
                throw .networkOutput(expected: "[\(3 * count), C, H, W]" + (descriptorShape.isEmpty ? "" : " with (C, H, W) = \(descriptorShape)"),
                                     got: s)
            }
            descriptorShape = Array(s.dropFirst())
            stride = Double(options.croppedWidth) / Double(s[3])

            mark = clock.now
            for (j, p) in prepared.enumerated() {
                let names = ["A_\(p.sourceItem)", "B_\(p.sourceItem)", "B_\(p.sourceItem + 1)"]
                let maps = try (0..<3).map { m throws(MatchingError) in
                    try DescriptorMap(batch: output, index: 3 * j + m, name: "descriptors of \(names[m])")
                }
                pairs.append(try evaluatePair(source: maps[0], same: maps[1], different: maps[2],
                                              sourceKeypoints: p.sourceKeypoints, sameKeypoints: p.sameKeypoints,
                                              differentKeypoints: p.differentKeypoints, stride: stride,
                                              errorScale: scale, sourceItem: p.sourceItem))
            }
            timings.matching += seconds(clock.now - mark)
            first += count
            if let progress {
                let elapsed = seconds(clock.now - start)
                progress(MatchingProgress(pairsDone: first, pairsTotal: pairTotal,
                                          pairsPerSecond: elapsed > 0 ? Double(first) / elapsed : 0))
            }
        }
        timings.total = seconds(clock.now - start)
        timings.pairsPerSecond = timings.total > 0 ? Double(pairTotal) / timings.total : 0
        let same = pairs.flatMap { $0.keypoints.map(\.sameError) }
        let different = pairs.flatMap { $0.keypoints.map(\.differentError) }
        return MatchingResult(sameIdentityError: MatchingRules.mean(same),
                              differentIdentityError: MatchingRules.mean(different), pairs: pairs,
                              keypointsPerPair: keypointsPerItem?.count ?? 0, warpSource: options.warpSource,
                              descriptorShape: descriptorShape, stride: stride, errorScale: scale,
                              options: options, timings: timings)
    }

    /// One batch of the reference loop from its three used descriptor maps and keypoints (K `(x, y)`
    /// pairs each, cropped-frame pixels): for every source keypoint, `findDescriptors` into `same` and
    /// `different` and the two scaled errors. The golden verifier runs the stored batches through this.
    public static func evaluatePair(source: DescriptorMap, same: DescriptorMap, different: DescriptorMap,
                                    sourceKeypoints: [Float], sameKeypoints: [Float], differentKeypoints: [Float],
                                    stride: Double, errorScale: Double, sourceItem: Int) throws(MatchingError) -> MatchedPair {
        guard sameKeypoints.count == sourceKeypoints.count else {
            throw .keypointCountMismatch(index: sourceItem, count: sourceKeypoints.count / 2,
                                         otherIndex: sourceItem, otherCount: sameKeypoints.count / 2)
        }
        guard differentKeypoints.count == sourceKeypoints.count else {
            throw .keypointCountMismatch(index: sourceItem, count: sourceKeypoints.count / 2,
                                         otherIndex: sourceItem + 1, otherCount: differentKeypoints.count / 2)
        }
        for (name, kp) in [("same-identity keypoints", sameKeypoints), ("different-identity keypoints", differentKeypoints)] {
            if let bad = kp.firstIndex(where: { !$0.isFinite }) {
                throw .nonFinite(what: name, where: "keypoint \(bad / 2) of pair with source item \(sourceItem)")
            }
        }
        let toSame = try MatchingRules.findDescriptors(keypoints: sourceKeypoints, source: source, target: same, stride: stride)
        let toDifferent = try MatchingRules.findDescriptors(keypoints: sourceKeypoints, source: source, target: different,
                                                            stride: stride)
        let keypoints = toSame.queries.indices.map { k in
            let s = toSame.matches[k], d = toDifferent.matches[k]
            return MatchedKeypoint(
                query: toSame.queries[k], same: s, different: d,
                sameError: MatchingRules.pixelError(predicted: (s.x, s.y), truth: (sameKeypoints[2 * k], sameKeypoints[2 * k + 1]),
                                                    scale: errorScale),
                differentError: MatchingRules.pixelError(predicted: (d.x, d.y),
                                                         truth: (differentKeypoints[2 * k], differentKeypoints[2 * k + 1]),
                                                         scale: errorScale))
        }
        return MatchedPair(sourceItem: sourceItem, differentItem: sourceItem + 1, keypoints: keypoints)
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }
}
