import Foundation
import TestSupport
@testable import TorchFormat

/// The golden checkpoint files.
enum CheckpointFixtures {
    static var directory: URL { Fixtures.golden.appendingPathComponent("checkpoints") }
    static func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
    static func data(_ name: String) throws -> Data { try Data(contentsOf: url(name)) }
    static let pthFiles = ["smallnet16-legacy.pth", "smallnet16-dataparallel-zip.pth", "zoo-legacy.pth", "zoo-zip.pth"]

    /// The three header pickles of a legacy file (magic number, protocol 1001, sys_info), taken from a
    /// real file so crafted legacy files start exactly as PyTorch's do.
    static func legacyHeader() throws -> [UInt8] {
        let bytes = [UInt8](try data("zoo-legacy.pth"))
        var position = 0
        for part in ["magic", "protocol", "sys_info"] {
            let machine = PickleMachine(bytes: bytes, start: position, end: bytes.count, source: "zoo-legacy.pth", part: part,
                                        limits: TorchReadLimits(), storageIDs: .refused, maxStorageBytes: bytes.count)
            defer { machine.teardown() }
            _ = try machine.run()
            position = machine.position
        }
        return Array(bytes[..<position])
    }
}

/// Hand-assembled pickles for crafted inputs.
struct PickleBytes {
    var bytes: [UInt8] = [0x80, 0x02]

    mutating func op(_ codes: UInt8...) { bytes += codes }
    mutating func mark() { op(0x28) }
    mutating func stop() { op(0x2E) }
    mutating func tuple() { op(0x74) }
    mutating func reduce() { op(0x52) }
    mutating func none() { op(0x4E) }

    mutating func global(_ module: String, _ name: String) {
        op(0x63)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        op(0x58)
        bytes += (0..<4).map { UInt8((utf8.count >> (8 * $0)) & 0xFF) }
        bytes += utf8
    }

    mutating func int(_ v: Int) {
        op(0x4A)
        bytes += (0..<4).map { UInt8((UInt32(bitPattern: Int32(v)) >> (8 * UInt32($0))) & 0xFF) }
    }

    mutating func emptyOrderedDict() {
        global("collections", "OrderedDict")
        op(0x29)
        reduce()
    }

    /// `_rebuild_tensor_v2(storage(key, numel), offset, size, stride, False, OrderedDict())` in the legacy
    /// persistent-id form (6-tuple) or the zip form (5-tuple).
    mutating func tensor(storage dtype: String = "FloatStorage", key: String, numel: Int, offset: Int = 0,
                         size: [Int], stride: [Int], legacy: Bool, view: (offset: Int, size: Int)? = nil) {
        global("torch._utils", "_rebuild_tensor_v2")
        mark()
        mark()
        string("storage")
        global("torch", dtype)
        string(key)
        string("cpu")
        int(numel)
        if legacy {
            if let view {
                mark(); string(key + "_view"); int(view.offset); int(view.size); tuple()
            } else {
                none()
            }
        }
        tuple()
        op(0x51)
        int(offset)
        mark(); for s in size { int(s) }; tuple()
        mark(); for s in stride { int(s) }; tuple()
        op(0x89)
        emptyOrderedDict()
        tuple()
        reduce()
    }

    /// A pickled list of strings (the legacy storage key list).
    static func stringList(_ items: [String]) -> [UInt8] {
        var p = PickleBytes()
        p.op(0x5D)
        p.mark()
        for item in items { p.string(item) }
        p.op(0x65)
        p.stop()
        return p.bytes
    }
}

enum CraftedFiles {
    /// A legacy file: real header, `object`, the key list, then each storage as count + raw bytes.
    static func legacy(object: [UInt8], keys: [String], storages: [(count: Int64, bytes: [UInt8])]) throws -> Data {
        var out = try CheckpointFixtures.legacyHeader() + object + PickleBytes.stringList(keys)
        for storage in storages {
            out += (0..<8).map { UInt8((UInt64(bitPattern: storage.count) >> (8 * UInt64($0))) & 0xFF) }
            out += storage.bytes
        }
        return Data(out)
    }

    /// A zip file as PyTorch lays it out: `<prefix>/data.pkl`, `<prefix>/data/<key>`, `<prefix>/version`.
    static func zip(dataPkl: [UInt8], storages: [(key: String, bytes: [UInt8])], prefix: String = "archive") throws -> Data {
        var writer = ZipWriter()
        try writer.add("\(prefix)/data.pkl", dataPkl, source: "test")
        for storage in storages { try writer.add("\(prefix)/data/\(storage.key)", storage.bytes, source: "test") }
        try writer.add("\(prefix)/version", Array("3\n".utf8), source: "test")
        return try writer.finish(source: "test")
    }

    static func floatBytes(_ values: [Float]) -> [UInt8] {
        values.flatMap { v in (0..<4).map { UInt8((v.bitPattern >> (8 * UInt32($0))) & 0xFF) } }
    }
}

/// SplitMix64: a tiny seeded generator so every mutation run is reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
