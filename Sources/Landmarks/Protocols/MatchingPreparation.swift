import Foundation
import Tensors

/// The network input and keypoints of one pair (one reference batch), ready for a forward.
struct PreparedMatchingPair: Sendable {
    /// Item 2k.
    var sourceItem: Int
    /// `A_2k`, `B_2k`, `B_2k+1`, each (3, Hc, Wc) normalised, concatenated.
    var images: [Float]
    /// `kp1_2k`, `kp2_2k`, `kp2_2k+1`: K `(x, y)` pairs each, cropped-frame pixels.
    var sourceKeypoints: [Float]
    var sameKeypoints: [Float]
    var differentKeypoints: [Float]
}

extension MatchingProtocol {
    /// Reads and warps items `2·first ..< 2·end` in parallel (`ParallelWork.chunks`). Each item's warps
    /// come from the recorded parameters or from a generator seeded by (fallbackSeed, item), so the
    /// result never depends on the thread count or on `pairsPerForward`.
    static func prepare(pairs: Range<Int>, source: any EvaluationImageSource, warper: Warper,
                        options: MatchingOptions) throws(MatchingError) -> [PreparedMatchingPair] {
        let items = 2 * pairs.lowerBound ..< 2 * pairs.upperBound
        let slots = PreparedItems(count: items.count)
        let warps = options.warps, crop = options.crop, seed = options.fallbackSeed
        ParallelWork.chunks(total: items.count) { _, range in
            for offset in range {
                let index = items.lowerBound + offset
                slots.store(offset, Result { () throws(MatchingError) -> PreparedItem in
                    try prepareItem(index: index, source: source, warper: warper, crop: crop,
                                    weights: warps?.weights[index], fallbackSeed: seed)
                })
            }
        }
        let prepared = try slots.results()
        return (0..<pairs.count).map { j in
            let a = prepared[2 * j], b = prepared[2 * j + 1]
            return PreparedMatchingPair(sourceItem: 2 * pairs.lowerBound + 2 * j, images: a.doubly + a.singly + b.singly,
                                        sourceKeypoints: a.kp1, sameKeypoints: a.kp2, differentKeypoints: b.kp2)
        }
    }

    /// One item through the dataset pipeline of `train=False`: Warper (g1 then g2, crop) →
    /// `.to(uint8)` truncation → ToTensor + Normalize.
    static func prepareItem(index: Int, source: any EvaluationImageSource, warper: Warper, crop: Int,
                            weights: (first: TPSWeights, second: TPSWeights)?, fallbackSeed: UInt64) throws(MatchingError) -> PreparedItem {
        let warped = try warpItem(index: index, source: source, warper: warper, crop: crop, weights: weights,
                                  fallbackSeed: fallbackSeed)
        let data = warped.data.storage
        let half = data.count / 2
        return PreparedItem(doubly: Array(data[..<half]), singly: Array(data[half...]),
                            kp1: warped.pair.kp1?.storage ?? [], kp2: warped.pair.kp2?.storage ?? [])
    }

    /// The warp step of `prepareItem`, shared with `warpedItem(index:source:options:)` so report figures
    /// show exactly the pixels and keypoints the protocol used. `bytes` is the truncated uint8 pair
    /// `(A, B)`, `data` its normalisation.
    static func warpItem(index: Int, source: any EvaluationImageSource, warper: Warper, crop: Int,
                         weights: (first: TPSWeights, second: TPSWeights)?,
                         fallbackSeed: UInt64) throws(MatchingError) -> (pair: WarpedPair, bytes: [UInt8], data: Tensor) {
        let item: EvaluationItem
        do { item = try source.item(at: index) } catch let error as MatchingError {
            throw error
        } catch {
            throw .itemSource(index: index, underlying: "\(error)")
        }
        let side = warper.width
        guard item.image.shape == [3, side, side] else {
            throw .itemShape(index: index, what: "image", expected: "[3, \(side), \(side)]", got: item.image.shape)
        }
        guard item.keypoints.rank == 2, item.keypoints.shape[1] == 2 else {
            throw .itemShape(index: index, what: "keypoints", expected: "[K, 2]", got: item.keypoints.shape)
        }
        if let bad = item.keypoints.storage.firstIndex(where: { !$0.isFinite }) {
            throw .nonFinite(what: "keypoints of item \(index)", where: "keypoint \(bad / 2)")
        }
        let chosen: (first: TPSWeights, second: TPSWeights)
        if let weights {
            chosen = weights
        } else {
            var generator = SeededGenerator(seed: SeededGenerator.derive(fallbackSeed, UInt64(index)))
            chosen = warper.randomWeights(using: &generator)
        }
        do {
            let pair = try warper.warp(item.image, keypoints: item.keypoints, crop: crop, weights: chosen)
            let (bytes, data) = try pair.datasetData()
            return (pair, bytes, data)
        } catch {
            throw .warp(index: index, underlying: "\(error)")
        }
    }
}

/// One warped item: `A` (doubly warped) and `B` (singly warped) as network input, `kp1`, `kp2`.
struct PreparedItem: Sendable {
    var doubly: [Float]
    var singly: [Float]
    var kp1: [Float]
    var kp2: [Float]
}

/// Per-item results written from parallel workers; each slot is written once, under a lock.
private final class PreparedItems: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<PreparedItem, MatchingError>?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ value: Result<PreparedItem, MatchingError>) {
        lock.withLock { values[index] = value }
    }

    /// The items in order, or the error of the first failed item.
    func results() throws(MatchingError) -> [PreparedItem] {
        let all = lock.withLock { values }
        var out: [PreparedItem] = []
        out.reserveCapacity(all.count)
        for (i, value) in all.enumerated() {
            switch value {
            case .success(let item)?: out.append(item)
            case .failure(let error)?: throw error
            case nil: throw .itemSource(index: i, underlying: "item never prepared")
            }
        }
        return out
    }
}
