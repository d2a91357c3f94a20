import Foundation
import Tensors

/// The on-disk descriptor cache format: one raw binary file per `RegressionCacheKey`, written with
/// Foundation only, read back memory-mapped.
///
/// Layout (all numbers little-endian; N items, C·h·w floats each, nA keypoints):
/// ```
/// [0, 8)            magic "DVEDESC1"
/// [8, 64)           zero padding, so the float block starts 64-byte aligned
/// [64, 64+4·N·C·h·w)  descriptors, float32 (N, C, h, w), item after item
/// next 4·N·nA·2     keypoints, float32 (N, nA, 2), pixels
/// next J bytes      UTF-8 JSON header {"key": RegressionCacheKey, "channels", "height", "width"}
/// last 16 bytes     J as UInt64, then the magic again
/// ```
/// The header comes last because C, h and w are known only after the first batch and the file is
/// streamed. A file is written under a temporary name beside its destination and renamed into place
/// when complete, so an interrupted extraction never leaves a file that looks valid. A file is used
/// only if both magics, the length and the full key match; anything else is reported as rejected
/// and re-extracted (the new file replaces it).
public enum RegressionDescriptorFile {
    static let magic = Data("DVEDESC1".utf8)
    static let dataOffset = 64

    struct Header: Codable {
        var key: RegressionCacheKey
        var channels: Int
        var height: Int
        var width: Int
    }

    public enum ReadOutcome: Sendable {
        case missing
        case rejected(reason: String)
        case loaded(RegressionDescriptors)
    }

    static var hostIsLittleEndian: Bool { 1.littleEndian == 1 }

    /// Reads `url` if it holds the descriptors of exactly `key`.
    public static func read(_ url: URL, expecting key: RegressionCacheKey) -> ReadOutcome {
        guard FileManager.default.fileExists(atPath: url.path) else { return .missing }
        guard hostIsLittleEndian else { return .rejected(reason: "this host is big-endian; the format is little-endian") }
        let data: Data
        do { data = try Data(contentsOf: url, options: .alwaysMapped) } catch {
            return .rejected(reason: "could not be mapped: \(error)")
        }
        guard data.count >= dataOffset + 16, data.prefix(8) == magic, data.suffix(8) == magic else {
            return .rejected(reason: "not a descriptor cache file (magic or length)")
        }
        let jsonLength = data.withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(fromByteOffset: data.count - 16, as: UInt64.self)) }
        guard jsonLength < UInt64(data.count - dataOffset - 16) else { return .rejected(reason: "header length \(jsonLength) is impossible") }
        let jsonStart = data.count - 16 - Int(jsonLength)
        let header: Header
        do {
            header = try JSONDecoder().decode(Header.self, from: data.subdata(in: jsonStart..<(data.count - 16)))
        } catch {
            return .rejected(reason: "header unreadable: \(error)")
        }
        guard header.key == key else { return .rejected(reason: "written for another key: \(header.key)") }
        let (n, na) = (key.items, key.keypoints)
        guard header.channels > 0, header.height > 0, header.width > 0, n >= 0, na > 0 else {
            return .rejected(reason: "header sizes \(header.channels)×\(header.height)×\(header.width) are invalid")
        }
        let descriptorBytes = 4 * n * header.channels * header.height * header.width
        let keypointStart = dataOffset + descriptorBytes
        guard keypointStart + 4 * n * na * 2 == jsonStart else {
            return .rejected(reason: "length \(data.count) does not fit \(n) items of \(header.channels)×\(header.height)×\(header.width) (truncated?)")
        }
        var keypoints = [Float](repeating: 0, count: n * na * 2)
        keypoints.withUnsafeMutableBytes { dst in
            data.withUnsafeBytes { src in
                if dst.count > 0 { dst.baseAddress!.copyMemory(from: src.baseAddress! + keypointStart, byteCount: dst.count) }
            }
        }
        do {
            return .loaded(try RegressionDescriptors(key: key, channels: header.channels, height: header.height, width: header.width,
                                                     keypoints: Tensor(shape: [n, na, 2], storage: keypoints),
                                                     storage: .bytes(data, offset: dataOffset)))
        } catch {
            return .rejected(reason: "\(error)")
        }
    }
}

/// Where descriptors go while they are extracted: an array, or a cache file being streamed.
final class RegressionDescriptorSink {
    let key: RegressionCacheKey
    private var floats: [Float] = []
    private let destination: URL?
    private let temporary: URL?
    private var handle: FileHandle?

    /// `file` nil keeps everything in memory.
    init(key: RegressionCacheKey, file: URL?) throws(RegressionError) {
        self.key = key
        destination = file
        guard let file else { temporary = nil; return }
        guard RegressionDescriptorFile.hostIsLittleEndian else {
            throw .cache(path: file.path, reason: "this host is big-endian; the format is little-endian")
        }
        let temp = file.deletingLastPathComponent()
            .appendingPathComponent(".\(file.lastPathComponent).partial-\(UUID().uuidString)")
        temporary = temp
        do {
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            var head = RegressionDescriptorFile.magic
            head.append(Data(count: RegressionDescriptorFile.dataOffset - head.count))
            guard FileManager.default.createFile(atPath: temp.path, contents: head) else {
                throw RegressionError.cache(path: temp.path, reason: "could not be created")
            }
            handle = try FileHandle(forWritingTo: temp)
            try handle?.seekToEnd()
        } catch let error as RegressionError {
            throw error
        } catch {
            throw .cache(path: temp.path, reason: "\(error)")
        }
    }

    /// Sizes the in-memory array once the item size is known (a no-op for files).
    func reserve(floatsPerItem: Int) {
        if handle == nil, floats.isEmpty { floats.reserveCapacity(floatsPerItem * key.items) }
    }

    func append(_ values: UnsafeBufferPointer<Float>) throws(RegressionError) {
        guard let handle, let temporary else { floats.append(contentsOf: values); return }
        do {
            try handle.write(contentsOf: Data(buffer: values))
        } catch {
            throw .cache(path: temporary.path, reason: "write failed: \(error)")
        }
    }

    /// Completes the set: in memory, or by writing the trailer, renaming the file into place and
    /// mapping it.
    func finish(channels: Int, height: Int, width: Int, keypoints: [Float]) throws(RegressionError) -> RegressionDescriptors {
        let keypointTensor = Tensor(shape: [key.items, key.keypoints, 2], storage: keypoints)
        guard let handle, let temporary, let destination else {
            return try RegressionDescriptors(key: key, channels: channels, height: height, width: width,
                                             keypoints: keypointTensor, storage: .floats(floats))
        }
        do {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            let json = try encoder.encode(RegressionDescriptorFile.Header(key: key, channels: channels, height: height, width: width))
            var tail = keypoints.withUnsafeBufferPointer { Data(buffer: $0) }
            tail.append(json)
            withUnsafeBytes(of: UInt64(json.count).littleEndian) { tail.append(contentsOf: $0) }
            tail.append(RegressionDescriptorFile.magic)
            try handle.write(contentsOf: tail)
            try handle.close()
            self.handle = nil
            guard rename(temporary.path, destination.path) == 0 else {
                throw RegressionError.cache(path: destination.path, reason: "could not rename \(temporary.lastPathComponent) into place (errno \(errno))")
            }
        } catch let error as RegressionError {
            abandon()
            throw error
        } catch {
            abandon()
            throw .cache(path: temporary.path, reason: "\(error)")
        }
        switch RegressionDescriptorFile.read(destination, expecting: key) {
        case .loaded(let set): return set
        case .missing: throw .cache(path: destination.path, reason: "vanished right after it was written")
        case .rejected(let reason): throw .cache(path: destination.path, reason: "unreadable right after it was written: \(reason)")
        }
    }

    /// Drops a partial file (on error).
    func abandon() {
        try? handle?.close()
        handle = nil
        if let temporary { try? FileManager.default.removeItem(at: temporary) }
    }
}
