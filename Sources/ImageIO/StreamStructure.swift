/// Minimal walks over the container structure of JPEG and PNG streams, used
/// only to tell *truncated* data (it ends before the end-of-image marker /
/// IEND chunk) from data that is damaged in some other way. libjpeg reports
/// truncation as a mere warning, and libpng's simplified reader stops after
/// the last image row without ever looking for IEND, so neither library can
/// be relied on to say "truncated" by itself.
///
/// Pure Swift, bounds-checked everywhere: must never trap on arbitrary bytes.
enum StreamStructure {
    /// How a walk ended.
    enum End: Equatable {
        /// The end marker (JPEG EOI, PNG IEND chunk) was reached in full.
        case complete
        /// The bytes ran out first: inside a segment/chunk, inside scan data,
        /// or between them.
        case ranOutOfData
        /// Something that cannot be a chunk header was found (PNG only: a
        /// length over 2^31 - 1 or a type that is not four ASCII letters).
        case malformed
    }

    /// Walks a JPEG from SOI: marker segments (skipping non-marker bytes the
    /// way libjpeg does, with a warning, before a marker), the entropy-coded
    /// data after every SOS (where `FF 00` stuffing and `RSTn` are not
    /// markers), until EOI or the end of the bytes.
    static func jpeg(_ bytes: UnsafeBufferPointer<UInt8>) -> End {
        let n = bytes.count
        var i = 2 // after SOI (sniffed by the caller)
        var inEntropyData = false
        while i < n {
            guard bytes[i] == 0xFF else { i += 1; continue } // entropy data or garbage
            guard i + 1 < n else { return .ranOutOfData }
            let marker = bytes[i + 1]
            if marker == 0xFF { i += 1; continue } // fill byte
            if inEntropyData, marker == 0x00 || (0xD0...0xD7).contains(marker) { i += 2; continue }
            inEntropyData = false
            i += 2
            switch marker {
            case 0xD9: // EOI
                return .complete
            case 0x00, 0x01, 0xD0...0xD8: // stray stuffing, TEM, RSTn, SOI: no length field
                continue
            default:
                guard i + 1 < n else { return .ranOutOfData }
                let length = Int(bytes[i]) << 8 | Int(bytes[i + 1])
                guard i + length <= n else { return .ranOutOfData }
                i += max(length, 2)
                if marker == 0xDA { inEntropyData = true } // SOS: scan data follows
            }
        }
        return .ranOutOfData
    }

    /// Walks PNG chunks after the 8-byte signature (length, type, data, CRC)
    /// until an IEND chunk that is complete, or the end of the bytes. CRCs are
    /// libpng's business.
    static func png(_ bytes: UnsafeBufferPointer<UInt8>) -> End {
        let n = bytes.count
        var i = 8
        while i + 8 <= n {
            let length = Int(bytes[i]) << 24 | Int(bytes[i + 1]) << 16 | Int(bytes[i + 2]) << 8 | Int(bytes[i + 3])
            let type = bytes[(i + 4)..<(i + 8)]
            guard length <= Int(Int32.max),
                  type.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) else {
                return .malformed
            }
            let next = i + 12 + length
            guard next <= n else { return .ranOutOfData }
            if type.elementsEqual([0x49, 0x45, 0x4E, 0x44]) { return .complete } // IEND
            i = next
        }
        return .ranOutOfData
    }
}
