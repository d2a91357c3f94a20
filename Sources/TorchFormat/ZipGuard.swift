import Foundation

/// Checks a zip archive's directory before ZIPFoundation sees it.
///
/// ZIPFoundation trusts the sizes and offsets in the central directory: its entry iterator adds them
/// with trapping arithmetic, its extractor loops until a declared size is read even past the end of the
/// data, and it inflates deflated entries without a bound. A crafted archive could therefore crash the
/// process or spin. This guard walks the same structures ZIPFoundation will walk — the end record
/// closest to the end of the file, the ZIP64 end record it would use, each central directory header and
/// each local header — and refuses the archive unless every offset and size lies inside the data and
/// every entry is stored uncompressed, unencrypted and without ZIP64 fields (PyTorch writes exactly
/// that for archives under 4 GiB). Afterwards ZIPFoundation's arithmetic cannot leave the file.
enum ZipGuard {
    struct Bytes {
        let data: Data
        var count: Int { data.count }

        func u16(_ at: Int) -> UInt16? {
            guard at >= 0, at <= count - 2 else { return nil }
            let b = data.startIndex + at
            return UInt16(data[b]) | UInt16(data[b + 1]) << 8
        }

        func u32(_ at: Int) -> UInt32? {
            guard let lo = u16(at), let hi = u16(at + 2) else { return nil }
            return UInt32(lo) | UInt32(hi) << 16
        }

        func u64(_ at: Int) -> UInt64? {
            guard let lo = u32(at), let hi = u32(at + 4) else { return nil }
            return UInt64(lo) | UInt64(hi) << 32
        }

        func slice(_ at: Int, _ length: Int) -> Data? {
            guard at >= 0, length >= 0, at <= count - length else { return nil }
            return data.subdata(in: (data.startIndex + at)..<(data.startIndex + at + length))
        }
    }

    static let endSignature: UInt32 = 0x0605_4B50
    static let centralSignature: UInt32 = 0x0201_4B50
    static let localSignature: UInt32 = 0x0403_4B50
    static let zip64LocatorSignature: UInt32 = 0x0706_4B50
    static let zip64RecordSignature: UInt32 = 0x0606_4B50

    /// The entry names in central-directory order, once everything checks out.
    static func check(_ data: Data, source: String, limits: TorchReadLimits) throws(TorchFormatError) -> [String] {
        func fail(_ message: String, _ offset: Int? = nil) -> TorchFormatError {
            TorchFormatError(source: source, reason: .zip(message), part: "zip directory", offset: offset)
        }
        let bytes = Bytes(data: data)
        // The end record ZIPFoundation finds: the signature closest to the end of the file. The format
        // puts it within the last 22 + 65 535 bytes (the comment is at most that long); looking no
        // further keeps a garbage file from costing a scan of its whole length.
        var eocd = bytes.count - 22
        let lowest = max(0, bytes.count - 22 - 65_535)
        while eocd >= lowest, bytes.u32(eocd) != endSignature { eocd -= 1 }
        guard eocd >= lowest else { throw fail("no end-of-central-directory record") }
        guard let commentLength = bytes.u16(eocd + 20), eocd + 22 + Int(commentLength) <= bytes.count else {
            throw fail("end record comment runs past the end of the file", eocd)
        }
        guard let entries16 = bytes.u16(eocd + 10), let size32 = bytes.u32(eocd + 12),
              let offset32 = bytes.u32(eocd + 16) else { throw fail("end record is truncated", eocd) }
        var entryCount = UInt64(entries16), directorySize = UInt64(size32), directoryOffset = UInt64(offset32)
        // ZIPFoundation uses a ZIP64 end record when a locator sits just before the end record and the
        // 56-byte record just before that (version needed ≥ 45), whatever the locator's pointer says.
        if eocd > 20, bytes.u32(eocd - 20) == zip64LocatorSignature, eocd - 20 > 56 {
            let record = eocd - 20 - 56
            if bytes.u32(record) == zip64RecordSignature, let version = bytes.u16(record + 14), version >= 45 {
                guard let n = bytes.u64(record + 32), let size = bytes.u64(record + 40), let offset = bytes.u64(record + 48) else {
                    throw fail("ZIP64 end record is truncated", record)
                }
                (entryCount, directorySize, directoryOffset) = (n, size, offset)
            }
        }
        let length = UInt64(bytes.count)
        guard directoryOffset <= length, directorySize <= length - directoryOffset else {
            throw fail("central directory (\(directorySize) bytes at \(directoryOffset)) lies outside the file")
        }
        guard entryCount <= directorySize / 46, entryCount <= UInt64(limits.maxZipEntries) else {
            throw fail("\(entryCount) entries cannot fit in a central directory of \(directorySize) bytes")
        }

        var names: [String] = []
        var position = Int(directoryOffset)
        let directoryEnd = Int(directoryOffset + directorySize)
        for index in 0..<Int(entryCount) {
            guard position <= directoryEnd - 46, bytes.u32(position) == centralSignature,
                  let version = bytes.u16(position + 6), let flags = bytes.u16(position + 8),
                  let method = bytes.u16(position + 10), let compressed = bytes.u32(position + 20),
                  let uncompressed = bytes.u32(position + 24), let nameLength = bytes.u16(position + 28),
                  let extraLength = bytes.u16(position + 30), let commentLength = bytes.u16(position + 32),
                  let disk = bytes.u16(position + 34), let localOffset = bytes.u32(position + 42) else {
                throw fail("central directory header \(index) is damaged", position)
            }
            let headerEnd = position + 46 + Int(nameLength) + Int(extraLength) + Int(commentLength)
            guard headerEnd <= directoryEnd, let nameData = bytes.slice(position + 46, Int(nameLength)) else {
                throw fail("central directory header \(index) runs past the directory", position)
            }
            let name = String(decoding: nameData, as: UTF8.self)
            guard flags & 1 == 0 else { throw fail("entry \(name) is encrypted", position) }
            guard version & 0xFF < 45, compressed != .max, uncompressed != .max, localOffset != .max, disk != .max,
                  !hasZIP64Field(bytes.slice(position + 46 + Int(nameLength), Int(extraLength))) else {
                throw fail("entry \(name) uses ZIP64 fields (archives over 4 GiB are not supported)", position)
            }
            guard method == 0, compressed == uncompressed else {
                throw fail("entry \(name) is compressed (method \(method)); PyTorch stores entries uncompressed", position)
            }
            let local = Int(localOffset)
            guard local <= bytes.count - 30, bytes.u32(local) == localSignature,
                  let localMethod = bytes.u16(local + 8), let localCompressed = bytes.u32(local + 18),
                  let localUncompressed = bytes.u32(local + 22),
                  let localName = bytes.u16(local + 26), let localExtra = bytes.u16(local + 28) else {
                throw fail("local header of \(name) is missing or damaged", local)
            }
            guard localMethod == 0, localCompressed != .max, localUncompressed != .max else {
                throw fail("local header of \(name) is compressed or uses ZIP64 sizes", local)
            }
            let dataStart = local + 30 + Int(localName) + Int(localExtra)
            guard dataStart <= bytes.count, Int(compressed) <= bytes.count - dataStart else {
                throw fail("data of \(name) (\(compressed) bytes at \(dataStart)) runs past the end of the file", local)
            }
            names.append(name)
            position = headerEnd
        }
        return names
    }

    /// Whether an extra-field block holds a ZIP64 extended-information record (header id 1).
    static func hasZIP64Field(_ extra: Data?) -> Bool {
        guard let extra, !extra.isEmpty else { return false }
        let fields = Bytes(data: extra)
        var offset = 0
        while offset + 4 <= fields.count {
            guard let id = fields.u16(offset), let size = fields.u16(offset + 2) else { return false }
            if id == 1 { return true }
            offset += 4 + Int(size)
        }
        return false
    }
}
