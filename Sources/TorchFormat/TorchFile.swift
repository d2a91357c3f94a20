import Foundation

public enum TorchFileFormat: String, Sendable {
    /// The pre-1.6 `torch.save` stream: five pickles, then raw storages.
    case legacy
    /// The zip archive PyTorch ≥ 1.6 writes by default.
    case zip
}

/// The header pickles of a legacy file.
public struct LegacyHeader: Sendable, Equatable {
    /// Decimal; `119547037146038801333356` (`0x1950a86a20f9469cfc6c`) in every torch file.
    public var magicNumber: String
    /// 1001 in every torch file.
    public var protocolVersion: Int64
    /// `{"protocol_version": 1001, "little_endian": True, "type_sizes": {...}}`.
    public var systemInfo: PickleValue
}

/// Everything a `.pth` file holds, read without executing anything: the unpickled object (with its
/// tensors), and the container facts a verifier or `dvebench inspect` wants to show.
public struct TorchFile: Sendable {
    public var source: String
    public var format: TorchFileFormat
    /// What `torch.load` would return, as plain data.
    public var object: PickleValue
    /// Every global the pickles name (`collections.OrderedDict`, …), in order of first appearance.
    public var globals: [String]
    /// Legacy: the storage key list as stored (the order of the raw data). Zip: keys in order of first
    /// reference in `data.pkl`.
    public var storageKeys: [String]
    /// Zip: every entry name in archive order. Empty for legacy files.
    public var zipEntries: [String]
    /// Zip: the folder all entries share, with its trailing slash (`checkpoint-epoch100/`).
    public var archivePrefix: String?
    public var legacyHeader: LegacyHeader?

    /// Reads and decodes a whole file. The file is read into memory once (not memory-mapped: a mapped
    /// file truncated by another process would crash the reader with SIGBUS); storages are copied out
    /// of it, so peak memory is about twice the file size.
    public static func read(contentsOf path: String, limits: TorchReadLimits = TorchReadLimits()) throws(TorchFormatError) -> TorchFile {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw TorchFormatError(source: path, reason: .io("cannot read the file: \(error.localizedDescription)"))
        }
        return try read(data: data, source: path, limits: limits)
    }

    /// Decodes a file already in memory; `source` names it in errors.
    public static func read(data: Data, source: String, limits: TorchReadLimits = TorchReadLimits()) throws(TorchFormatError) -> TorchFile {
        if data.starts(with: [0x50, 0x4B, 0x03, 0x04]) || data.starts(with: [0x50, 0x4B, 0x05, 0x06]) {
            return try ZipContainer.read(data, source: source, limits: limits)
        }
        // A legacy file starts with the pickled magic number: PROTO 2 (or the protocol the file was saved
        // with, `pickle_protocol=4` gives 80 04 95 …); LegacyContainer then checks the number itself.
        if data.count >= 2, data[data.startIndex] == 0x80, (2...5).contains(data[data.startIndex + 1]) {
            return try LegacyContainer.read([UInt8](data), source: source, limits: limits)
        }
        let head = data.prefix(4).map { String(format: "%02x", $0) }.joined(separator: " ")
        throw TorchFormatError(source: source, reason: .notATorchFile(
            "it starts with bytes \(head.isEmpty ? "(empty file)" : head), neither a zip header (50 4b 03 04) nor a pickled legacy magic number (80 02 8a …)"))
    }
}

/// Collects globals from several machines, keeping first-appearance order.
struct GlobalsLog {
    private(set) var names: [String] = []
    private var seen: Set<String> = []

    mutating func add(_ more: [String]) {
        for name in more where seen.insert(name).inserted { names.append(name) }
    }
}
