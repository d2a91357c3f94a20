import Foundation
import ZIPFoundation

/// The zip layout of PyTorch ≥ 1.6: `<prefix>/data.pkl` (the object pickle, storages as persistent
/// ids), `<prefix>/data/<key>` (raw storage bytes, no count prefix), `<prefix>/version`, and in newer
/// versions `<prefix>/byteorder`. The prefix is whatever folder holds `data.pkl`; it is found, never
/// assumed.
///
/// The archive's directory is checked by `ZipGuard` before ZIPFoundation reads it; entries are then
/// extracted with ZIPFoundation and their CRC-32 verified, so a flipped bit in a zip file is reported
/// rather than read as a different weight.
enum ZipContainer {
    static func read(_ data: Data, source: String, limits: TorchReadLimits) throws(TorchFormatError) -> TorchFile {
        func fail(_ reason: TorchFormatError.Reason, _ part: String? = nil) -> TorchFormatError {
            TorchFormatError(source: source, reason: reason, part: part)
        }
        let checkedNames = try ZipGuard.check(data, source: source, limits: limits)
        let archive: Archive
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw fail(.zip("ZIPFoundation cannot open it: \(error)"))
        }
        var entries: [String: Entry] = [:]
        var names: [String] = []
        for entry in archive {
            names.append(entry.path)
            if entries[entry.path] == nil { entries[entry.path] = entry }
            if names.count > checkedNames.count { break }
        }
        guard names == checkedNames else {
            throw fail(.zip("the central directory lists \(checkedNames.count) entries, ZIPFoundation reads \(names.count)"))
        }

        let pickles = names.filter { $0 == "data.pkl" || $0.hasSuffix("/data.pkl") }
        guard pickles.count == 1, let pickleName = pickles.first, let pickleEntry = entries[pickleName] else {
            throw fail(.notATorchFile(pickles.isEmpty ? "the archive has no data.pkl entry"
                                                      : "the archive has \(pickles.count) data.pkl entries: \(pickles)"))
        }
        let prefix = String(pickleName.dropLast("data.pkl".count))

        func extract(_ entry: Entry, _ name: String) throws(TorchFormatError) -> [UInt8] {
            guard entry.type == .file else { throw fail(.zip("entry is not a regular file"), name) }
            var bytes: [UInt8] = []
            bytes.reserveCapacity(Int(clamping: min(entry.uncompressedSize, UInt64(data.count))))
            let crc: CRC32
            do {
                crc = try archive.extract(entry, skipCRC32: false) { chunk in bytes.append(contentsOf: chunk) }
            } catch {
                throw fail(.zip("cannot extract: \(error)"), name)
            }
            guard crc == entry.checksum else {
                throw fail(.zip("CRC-32 mismatch (stored \(String(entry.checksum, radix: 16)), data \(String(crc, radix: 16))): the entry is damaged"), name)
            }
            return bytes
        }

        var bigEndian = false
        if let entry = entries[prefix + "byteorder"] {
            let text = String(decoding: try extract(entry, prefix + "byteorder"), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            switch text {
            case "little": bigEndian = false
            case "big": bigEndian = true
            default: throw fail(.zip("byteorder is '\(text.prefix(20))', not 'little' or 'big'"), prefix + "byteorder")
            }
        }

        let pickleBytes = try extract(pickleEntry, pickleName)
        let machine = PickleMachine(bytes: pickleBytes, start: 0, end: pickleBytes.count, source: source, part: pickleName,
                                    limits: limits, storageIDs: .storages, maxStorageBytes: data.count)
        defer { machine.teardown() }
        let root = try machine.run()

        for key in machine.storageOrder {
            guard let storage = machine.storages[key] else { continue }
            let name = prefix + "data/" + key
            guard let entry = entries[name] else {
                throw fail(.storage("storage \(key) is referenced by a tensor but the archive has no entry \(name)"))
            }
            let expected = storage.numel * storage.dtype.elementSize // bounded by the file length when declared
            guard entry.uncompressedSize == UInt64(expected) else {
                throw fail(.storage("entry holds \(entry.uncompressedSize) bytes, \(storage.numel) × \(storage.dtype.rawValue) = \(expected) declared"), name)
            }
            var bytes = try extract(entry, name)
            guard bytes.count == expected else {
                throw fail(.storage("\(bytes.count) bytes extracted, \(expected) declared"), name)
            }
            if bigEndian { swapBytes(&bytes, elementSize: storage.dtype.elementSize) }
            storage.bytes = bytes
        }

        var graph = PickleGraph(machine: machine, fileLength: data.count)
        let object = try graph.convert(root)
        return TorchFile(source: source, format: .zip, object: object, globals: machine.globalsNamed,
                         storageKeys: machine.storageOrder, zipEntries: names, archivePrefix: prefix, legacyHeader: nil)
    }

    static func swapBytes(_ bytes: inout [UInt8], elementSize: Int) {
        guard elementSize > 1 else { return }
        for start in stride(from: 0, to: bytes.count - elementSize + 1, by: elementSize) {
            bytes[start..<(start + elementSize)].reverse()
        }
    }
}
