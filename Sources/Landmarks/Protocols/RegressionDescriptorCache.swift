import Foundation
import Tensors

/// Where a split's descriptors came from in one call.
public enum DescriptorOrigin: String, Sendable, Codable, Equatable {
    /// This cache object already held them.
    case memory
    /// Mapped from the cache file of their key.
    case disk
    /// Computed with the network (and stored in memory, and on disk when the cache has a directory).
    case extracted
}

/// Descriptor sets by `RegressionCacheKey`: in memory for the life of this object (so the seeds and
/// annotation counts of a limited-annotation study, or a rerun in one process, extract once), and in
/// `directory` across processes (`RegressionDescriptorFile`). Safe to share between threads.
public final class RegressionDescriptorCache: @unchecked Sendable {
    /// Where cache files live; nil keeps descriptors in memory only.
    public let directory: URL?
    private let lock = NSLock()
    private var sets: [RegressionCacheKey: RegressionDescriptors] = [:]

    public init(directory: URL? = nil) {
        self.directory = directory
    }

    /// The file `key`'s descriptors are (or would be) stored in.
    public func fileURL(for key: RegressionCacheKey) -> URL? {
        directory?.appendingPathComponent(key.fileName)
    }

    /// The cached set of `key`: from memory, else from disk (then also kept in memory). `rejected`
    /// hears why an existing file was not used (stale key, truncation, …); the caller then extracts
    /// again and the new file replaces it.
    public func lookup(_ key: RegressionCacheKey, rejected: ((String) -> Void)? = nil) -> (RegressionDescriptors, DescriptorOrigin)? {
        if let set = lock.withLock({ sets[key] }) { return (set, .memory) }
        guard let url = fileURL(for: key) else { return nil }
        switch RegressionDescriptorFile.read(url, expecting: key) {
        case .loaded(let set):
            remember(set)
            return (set, .disk)
        case .rejected(let reason):
            rejected?("\(url.path): \(reason)")
            return nil
        case .missing:
            return nil
        }
    }

    /// Keeps `set` in memory under its key.
    public func remember(_ set: RegressionDescriptors) {
        lock.withLock { sets[set.key] = set }
    }

    /// Drops every in-memory set (files stay); the next lookup maps them again.
    public func forgetMemory() {
        lock.withLock { sets.removeAll() }
    }

    /// The keys held in memory.
    public var keysInMemory: [RegressionCacheKey] { lock.withLock { Array(sets.keys) } }
}

/// What happened to one split's descriptors in a run.
public struct RegressionSplitReport: Sendable {
    public var identity: String
    public var items: Int
    /// (C, h, w) of one item's descriptors.
    public var descriptorShape: [Int]
    public var origin: DescriptorOrigin
    /// Time to obtain the descriptors (extraction, or the cache lookup).
    public var seconds: Double
    public var cacheFile: String?
    /// Why an existing cache file was not used, if one was rejected.
    public var rejectedCache: String?
}

extension KeypointRegression {
    /// The descriptors of `source` under `network` (eval mode): from `cache`'s memory, else its
    /// directory, else extracted in batches of `options.extractionBatchSize` (items read in parallel,
    /// streamed to the cache file as they come) and stored in both.
    ///
    /// The network's `forward(_:training: false)` is the only call made on it; the reference runs its
    /// frozen base once in **eval mode** over each split before training (`cache_descriptors: true`), so
    /// BatchNorm uses running statistics and nothing in the network changes.
    public static func descriptors(network: any Layer, source: any KeypointImageSource, options: RegressionOptions = .paper,
                                   cache: RegressionDescriptorCache,
                                   progress: ((RegressionProgress) -> Void)? = nil) throws(RegressionError) -> (RegressionDescriptors, RegressionSplitReport) {
        try options.validate()
        let split = source.identity
        guard source.count > 0 else { throw .invalidSplit(split: split, reason: "it has no items") }
        guard source.keypointCount > 0 else { throw .invalidSplit(split: split, reason: "keypointCount \(source.keypointCount) must be positive") }
        guard source.imageHeight > 1, source.imageWidth > 1 else {
            throw .invalidSplit(split: split, reason: "image size \(source.imageHeight)×\(source.imageWidth) must be at least 2×2")
        }
        do { try source.eyes.validate(keypointCount: source.keypointCount) } catch { throw .invalidSplit(split: split, reason: "\(error)") }

        let start = Date()
        let key = RegressionCacheKey(network: network, source: source)
        var rejected: String?
        if let (set, origin) = cache.lookup(key, rejected: { rejected = $0 }) {
            let report = RegressionSplitReport(identity: split, items: set.count, descriptorShape: [set.channels, set.height, set.width],
                                               origin: origin, seconds: Date().timeIntervalSince(start),
                                               cacheFile: cache.fileURL(for: key)?.path, rejectedCache: nil)
            progress?(.descriptors(report))
            return (set, report)
        }
        let sink = try RegressionDescriptorSink(key: key, file: cache.fileURL(for: key))
        do {
            let set = try extract(network: network, source: source, batchSize: options.extractionBatchSize, into: sink, progress: progress)
            cache.remember(set)
            let report = RegressionSplitReport(identity: split, items: set.count, descriptorShape: [set.channels, set.height, set.width],
                                               origin: .extracted, seconds: Date().timeIntervalSince(start),
                                               cacheFile: cache.fileURL(for: key)?.path, rejectedCache: rejected)
            progress?(.descriptors(report))
            return (set, report)
        } catch {
            sink.abandon()
            throw error
        }
    }

    private static func extract(network: any Layer, source: any KeypointImageSource, batchSize: Int,
                                into sink: RegressionDescriptorSink,
                                progress: ((RegressionProgress) -> Void)?) throws(RegressionError) -> RegressionDescriptors {
        let n = source.count, na = source.keypointCount, split = source.identity
        let imageShape = [3, source.imageHeight, source.imageWidth]
        var keypoints = [Float]()
        keypoints.reserveCapacity(n * na * 2)
        var itemShape: [Int]?
        for first in stride(from: 0, to: n, by: batchSize) {
            let indices = Array(first..<min(n, first + batchSize))
            let items = try loadItems(source, indices)
            var images = [Float]()
            images.reserveCapacity(indices.count * imageShape.reduce(1, *))
            for (index, item) in zip(indices, items) {
                guard item.image.shape == imageShape else {
                    throw .itemShape(split: split, index: index, field: "image", expected: imageShape, got: item.image.shape)
                }
                guard item.keypoints.shape == [na, 2] else {
                    throw .itemShape(split: split, index: index, field: "keypoints", expected: [na, 2], got: item.keypoints.shape)
                }
                images += item.image.storage
                keypoints += item.keypoints.storage
            }
            let output = network.forward(Tensor(shape: [indices.count] + imageShape, storage: images), training: false)
            let shape = Array(output.shape.dropFirst())
            guard output.rank == 4, output.shape[0] == indices.count, shape.allSatisfy({ $0 > 0 }), itemShape.map({ $0 == shape }) ?? true else {
                throw .descriptorShape(split: split, expected: itemShape.map { "(\(indices.count), \($0.map(String.init).joined(separator: ", ")))" }
                                       ?? "(\(indices.count), C, h, w)", got: output.shape)
            }
            if itemShape == nil { sink.reserve(floatsPerItem: shape.reduce(1, *)) }
            itemShape = shape
            try output.storage.withUnsafeBufferPointer { buffer in
                Result { () throws(RegressionError) in try sink.append(buffer) }
            }.get()
            progress?(.extraction(split: split, done: indices.last! + 1, total: n))
        }
        guard let shape = itemShape else { throw .invalidSplit(split: split, reason: "it has no items") }
        return try sink.finish(channels: shape[0], height: shape[1], width: shape[2], keypoints: keypoints)
    }

    /// Reads `indices` of `source` on `ComputeThreads.count` workers (decoding may be the slow part).
    private static func loadItems(_ source: any KeypointImageSource, _ indices: [Int]) throws(RegressionError) -> [KeypointImage] {
        let slots = ItemSlots(count: indices.count)
        ParallelWork.chunks(total: indices.count) { _, range in
            for slot in range {
                do { slots.store(slot, .success(try source.item(at: indices[slot]))) } catch {
                    slots.store(slot, .failure(.item(split: source.identity, index: indices[slot], underlying: "\(error)")))
                }
            }
        }
        var items: [KeypointImage] = []
        items.reserveCapacity(indices.count)
        for result in slots.results() { items.append(try result.get()) }
        return items
    }
}

/// Per-item results written from parallel workers; each slot is written once, under a lock.
private final class ItemSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Result<KeypointImage, RegressionError>?]

    init(count: Int) { values = Array(repeating: nil, count: count) }

    func store(_ index: Int, _ value: Result<KeypointImage, RegressionError>) {
        lock.withLock { values[index] = value }
    }

    func results() -> [Result<KeypointImage, RegressionError>] {
        lock.withLock { values.map { $0 ?? .failure(.item(split: "?", index: -1, underlying: "item never read")) } }
    }
}
