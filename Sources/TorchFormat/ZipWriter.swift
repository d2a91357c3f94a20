import Foundation

/// A minimal zip writer for `TorchWriter`: stored (uncompressed) entries whose data starts on a
/// 64-byte boundary, as PyTorch's `PyTorchStreamWriter` aligns them so storages can be memory-mapped.
/// The padding lives in a local-header extra field with id `0x4246` ("FB"), the id PyTorch uses.
/// ZIPFoundation's writer cannot place data at a chosen alignment, hence this small writer.
///
/// Timestamps are fixed (1980-01-01 00:00) so the same weights give the same bytes. Archives over
/// 4 GiB (which would need ZIP64) are refused.
struct ZipWriter {
    static let alignment = 64
    private(set) var output: [UInt8] = []
    private var central: [UInt8] = []
    private var count = 0

    private static func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xFF), UInt8((v >> 8) & 0xFF)] }
    private static func le32(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8((v >> (8 * $0)) & 0xFF) } }

    mutating func add(_ name: String, _ data: [UInt8], source: String) throws(TorchFormatError) {
        let nameBytes = Array(name.utf8)
        let offset = output.count
        let unaligned = offset + 30 + nameBytes.count
        var extra: [UInt8] = []
        if unaligned % Self.alignment != 0 {
            let padding = (Self.alignment - (unaligned + 4) % Self.alignment) % Self.alignment
            extra = [0x46, 0x42] + Self.le16(padding) + [UInt8](repeating: 0x5A, count: padding)
        }
        guard nameBytes.count <= 0xFFFF, data.count < 0xFFFF_FFFF, offset + 30 + nameBytes.count + extra.count + data.count < 0xFFFF_FFFF else {
            throw TorchFormatError(source: source, reason: .io("the archive would exceed 4 GiB, which needs ZIP64 (not supported)"))
        }
        let crc = ZipCRC32.checksum(data)
        let size = Self.le32(UInt32(data.count))
        let flags = nameBytes.allSatisfy({ $0 < 0x80 }) ? 0 : 0x0800
        // version needed 2.0, flags, method 0 (stored), time 0, date 1980-01-01
        let common = Self.le16(20) + Self.le16(flags) + Self.le16(0) + Self.le16(0) + Self.le16(0x21)
            + Self.le32(crc) + size + size + Self.le16(nameBytes.count)
        output += Self.le32(0x0403_4B50) + common + Self.le16(extra.count) + nameBytes + extra + data
        // made by 2.0, then the common fields, no extra, no comment, disk 0, attributes 0, offset
        central += Self.le32(0x0201_4B50) + Self.le16(20) + common + Self.le16(0) + Self.le16(0) + Self.le16(0)
            + Self.le16(0) + Self.le32(0) + Self.le32(UInt32(offset)) + nameBytes
        count += 1
    }

    mutating func finish(source: String) throws(TorchFormatError) -> Data {
        let directoryOffset = output.count
        guard count <= 0xFFFF, directoryOffset + central.count < 0xFFFF_FFFF else {
            throw TorchFormatError(source: source, reason: .io("too many entries or too large for a zip without ZIP64"))
        }
        output += central
        output += Self.le32(0x0605_4B50) + Self.le16(0) + Self.le16(0) + Self.le16(count) + Self.le16(count)
            + Self.le32(UInt32(central.count)) + Self.le32(UInt32(directoryOffset)) + Self.le16(0)
        return Data(output)
    }
}

/// CRC-32 (IEEE 802.3, reflected, as zip uses).
enum ZipCRC32 {
    static let table: [UInt32] = (0..<256).map { n in
        var c = UInt32(n)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func checksum(_ bytes: [UInt8]) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        // Raw pointers and a masking shift: unoptimised (test) builds otherwise call out for every
        // subscript and generic shift, and a 50 MB hourglass took seconds to write.
        table.withUnsafeBufferPointer { table in
            bytes.withUnsafeBufferPointer { bytes in
                guard let t = table.baseAddress, let p = bytes.baseAddress else { return }
                for i in 0..<bytes.count { c = t[Int(truncatingIfNeeded: (c ^ UInt32(p[i])) & 0xFF)] ^ (c &>> 8) }
            }
        }
        return c ^ 0xFFFF_FFFF
    }
}
