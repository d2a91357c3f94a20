import Foundation
import Tensors

/// What identifies a split's cached descriptors: the network's weights, the split and every option
/// that changes the numbers. Two equal keys always describe bit-identical descriptors (for one thread
/// count; kernels are reproducible per thread count, and the difference across counts is rounding).
public struct RegressionCacheKey: Sendable, Codable, Hashable, CustomStringConvertible {
    /// `ContentDigest.of(network.stateDict())`: every weight, BatchNorm statistic and counter.
    public var weights: String
    /// `KeypointImageSource.identity`.
    public var split: String
    public var items: Int
    public var keypoints: Int
    public var imageHeight: Int
    public var imageWidth: Int
    /// How the descriptors were made. The reference caches the raw network output of an **eval-mode**
    /// forward (BatchNorm running statistics), float32, **not upsampled** (35×35 for SmallNet, 48×48 for
    /// the Hourglass), and the regressor reads exactly that (models.md §4).
    public var preprocessing: String = "eval-mode forward, raw output, no upsampling, float32 NCHW"
    /// Bumped when the on-disk layout changes.
    public var format: Int = 1

    public init(weights: String, split: String, items: Int, keypoints: Int, imageHeight: Int, imageWidth: Int) {
        self.weights = weights
        self.split = split
        self.items = items
        self.keypoints = keypoints
        self.imageHeight = imageHeight
        self.imageWidth = imageWidth
    }

    /// The key of `source`'s descriptors under `network`'s current weights.
    public init(network: any Layer, source: any KeypointImageSource) {
        self.init(weights: ContentDigest.of(network.stateDict()), split: source.identity, items: source.count,
                  keypoints: source.keypointCount, imageHeight: source.imageHeight, imageWidth: source.imageWidth)
    }

    /// Canonical JSON (sorted keys): stored in the cache file and compared on load.
    public var canonicalJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? description
    }

    /// `regression-descriptors-<digest of canonicalJSON>.bin`.
    public var fileName: String {
        var digest = ContentDigest()
        digest.update(canonicalJSON)
        return "regression-descriptors-\(digest.hex).bin"
    }

    public var description: String {
        "\(split) (\(items) items, \(keypoints) keypoints, \(imageHeight)×\(imageWidth)) under weights \(weights)"
    }
}

/// A split's frozen descriptors (N, C, h, w) with its keypoints, immutable once built. The floats live
/// either in an array (extracted in this process) or in a memory-mapped cache file, so a large split
/// costs page cache rather than heap.
public final class RegressionDescriptors: Sendable {
    enum Storage: Sendable {
        case floats([Float])
        /// Little-endian float32 values starting at `offset` bytes into `data`.
        case bytes(Data, offset: Int)
    }

    public let key: RegressionCacheKey
    public let count: Int
    public let channels: Int
    public let height: Int
    public let width: Int
    /// (N, nA, 2) pixels in the cropped frame, as the source gave them.
    public let keypoints: Tensor
    /// (N, nA, 2) `normalizedKeypoints(keypoints, height: imageHeight, width: imageWidth)`: the targets.
    public let targets: Tensor
    let storage: Storage

    init(key: RegressionCacheKey, channels: Int, height: Int, width: Int, keypoints: Tensor,
         storage: Storage) throws(RegressionError) {
        self.key = key
        count = key.items
        self.channels = channels
        self.height = height
        self.width = width
        self.keypoints = keypoints
        self.storage = storage
        do {
            targets = try normalizedKeypoints(keypoints, height: key.imageHeight, width: key.imageWidth)
        } catch {
            throw .keypoint(error)
        }
    }

    public var keypointCount: Int { key.keypoints }
    /// Floats per item, C·h·w.
    public var itemSize: Int { channels * height * width }

    /// The descriptors of `indices`, stacked: (B, C, h, w). Indices must lie in `0..<count`.
    public func descriptors(at indices: [Int]) -> Tensor {
        let size = itemSize
        var out = Tensor(shape: [indices.count, channels, height, width])
        out.withUnsafeMutableBufferPointer { dst in
            switch storage {
            case .floats(let values):
                values.withUnsafeBufferPointer { src in
                    for (slot, index) in indices.enumerated() {
                        (dst.baseAddress! + slot * size).update(from: src.baseAddress! + index * size, count: size)
                    }
                }
            case .bytes(let data, let offset):
                data.withUnsafeBytes { raw in
                    let dstRaw = UnsafeMutableRawBufferPointer(dst)
                    for (slot, index) in indices.enumerated() {
                        let start = offset + index * size * 4
                        dstRaw.baseAddress!.advanced(by: slot * size * 4)
                            .copyMemory(from: raw.baseAddress!.advanced(by: start), byteCount: size * 4)
                    }
                }
            }
        }
        return out
    }

    /// The normalised keypoints of `indices`: (B, nA, 2).
    public func targets(at indices: [Int]) -> Tensor {
        let size = keypointCount * 2
        var out = Tensor(shape: [indices.count, keypointCount, 2])
        for (slot, index) in indices.enumerated() {
            for i in 0..<size { out[flat: slot * size + i] = targets[flat: index * size + i] }
        }
        return out
    }
}
