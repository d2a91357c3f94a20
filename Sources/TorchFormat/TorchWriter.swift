import Foundation
import Tensors

/// Writes weights as a PyTorch zip-format `.pth` that `torch.load(path, weights_only=True)` accepts:
/// the object is a `collections.OrderedDict` of name → tensor (exactly what `model.state_dict()` gives
/// and `load_state_dict` takes), pickled with protocol 2 using only the globals the weights-only
/// unpickler allows (`collections.OrderedDict`, `torch._utils._rebuild_tensor_v2`,
/// `torch.<Type>Storage`).
///
/// Layout, as PyTorch 1.13 writes it: `<name>/data.pkl`, one `<name>/data/<k>` per tensor (contiguous
/// little-endian elements), `<name>/version` (`3`), plus `<name>/byteorder` (`little`) as PyTorch ≥ 2.1
/// writes; every entry stored uncompressed with its data 64-byte aligned. `<name>` is the output file's
/// stem, as `torch.save` names it.
public enum TorchWriter {
    /// The archive bytes for `entries` (each tensor gets its own storage, holding its logical elements).
    public static func stateDictArchive(_ entries: [TorchStateEntry], archiveName: String) throws(TorchFormatError) -> Data {
        var pickle = PickleWriter()
        pickle.proto()
        pickle.global("collections", "OrderedDict")
        pickle.emptyTuple()
        pickle.reduce()
        var storages: [(name: String, bytes: [UInt8])] = []
        for batchStart in stride(from: 0, to: entries.count, by: 1000) {
            pickle.mark()
            for entry in entries[batchStart..<min(batchStart + 1000, entries.count)] {
                let tensor = entry.tensor
                let key = String(storages.count)
                pickle.string(entry.key)
                pickle.global("torch._utils", "_rebuild_tensor_v2")
                pickle.mark()
                pickle.mark()
                pickle.string("storage")
                pickle.global("torch", tensor.dtype.storageClassName)
                pickle.string(key)
                pickle.string("cpu")
                pickle.int(Int64(tensor.count))
                pickle.tuple()
                pickle.persistentID()
                pickle.int(0)
                pickle.intTuple(tensor.shape)
                pickle.intTuple(TorchTensor.contiguousStrides(tensor.shape))
                pickle.bool(false)
                pickle.global("collections", "OrderedDict")
                pickle.emptyTuple()
                pickle.reduce()
                pickle.tuple()
                pickle.reduce()
                storages.append(("data/" + key, tensor.contiguousBytes()))
            }
            pickle.setItems()
        }
        pickle.stop()

        let name = sanitizedArchiveName(archiveName)
        var zip = ZipWriter()
        try zip.add("\(name)/data.pkl", pickle.bytes, source: name)
        for storage in storages { try zip.add("\(name)/\(storage.name)", storage.bytes, source: name) }
        try zip.add("\(name)/version", Array("3\n".utf8), source: name)
        try zip.add("\(name)/byteorder", Array("little".utf8), source: name)
        return try zip.finish(source: name)
    }

    /// Writes `dict` (float entries as float32, counters as int64) to `path`, atomically.
    public static func write(_ dict: StateDict, to path: String) throws(TorchFormatError) {
        var entries: [TorchStateEntry] = []
        for key in dict.keys {
            switch dict[key] {
            case .float(let t)?: entries.append(TorchStateEntry(key: key, tensor: TorchTensor(float32: t.storage, shape: t.shape)))
            case .int64(let shape, let values)?: entries.append(TorchStateEntry(key: key, tensor: TorchTensor(int64: values, shape: shape)))
            case nil: break
            }
        }
        try write(entries, to: path)
    }

    public static func write(_ entries: [TorchStateEntry], to path: String) throws(TorchFormatError) {
        let url = URL(fileURLWithPath: path)
        let data = try stateDictArchive(entries, archiveName: url.deletingPathExtension().lastPathComponent)
        do {
            try data.write(to: url, options: .atomic)
        } catch {
            throw TorchFormatError(source: path, reason: .io("cannot write: \(error.localizedDescription)"))
        }
    }

    /// The stem with anything but letters, digits, `-`, `_` and `.` replaced, so the archive folder is a
    /// plain ASCII name; `archive` (PyTorch's in-memory name) when nothing is left.
    static func sanitizedArchiveName(_ name: String) -> String {
        let allowed = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.")
        let cleaned = String(name.map { allowed.contains($0) ? $0 : "_" }).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        return cleaned.isEmpty ? "archive" : cleaned
    }
}

/// Protocol-2 pickle opcodes for what `TorchWriter` emits.
struct PickleWriter {
    private(set) var bytes: [UInt8] = []

    mutating func proto() { bytes += [0x80, 2] }
    mutating func stop() { bytes.append(0x2E) }
    mutating func mark() { bytes.append(0x28) }
    mutating func tuple() { bytes.append(0x74) }
    mutating func emptyTuple() { bytes.append(0x29) }
    mutating func reduce() { bytes.append(0x52) }
    mutating func setItems() { bytes.append(0x75) }
    mutating func persistentID() { bytes.append(0x51) }
    mutating func bool(_ b: Bool) { bytes.append(b ? 0x88 : 0x89) }

    mutating func global(_ module: String, _ name: String) {
        bytes.append(0x63)
        bytes += Array(module.utf8) + [0x0A] + Array(name.utf8) + [0x0A]
    }

    mutating func string(_ s: String) {
        let utf8 = Array(s.utf8)
        bytes.append(0x58)
        withUnsafeBytes(of: UInt32(utf8.count).littleEndian) { bytes += $0 }
        bytes += utf8
    }

    mutating func int(_ v: Int64) {
        switch v {
        case 0...0xFF: bytes += [0x4B, UInt8(v)]
        case 0...0xFFFF: bytes += [0x4D, UInt8(v & 0xFF), UInt8(v >> 8)]
        case Int64(Int32.min)...Int64(Int32.max):
            bytes.append(0x4A)
            withUnsafeBytes(of: Int32(v).littleEndian) { bytes += $0 }
        default:
            // LONG1: minimal two's complement, little-endian.
            var payload: [UInt8] = []
            withUnsafeBytes(of: v.littleEndian) { payload += $0 }
            while payload.count > 1 {
                let last = payload[payload.count - 1], next = payload[payload.count - 2]
                if (last == 0 && next & 0x80 == 0) || (last == 0xFF && next & 0x80 != 0) { payload.removeLast() } else { break }
            }
            bytes += [0x8A, UInt8(payload.count)] + payload
        }
    }

    mutating func intTuple(_ values: [Int]) {
        if values.isEmpty { emptyTuple(); return }
        mark()
        for v in values { int(Int64(v)) }
        tuple()
    }
}
