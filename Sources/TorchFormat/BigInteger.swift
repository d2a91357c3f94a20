/// Python ints wider than 64 bits, as pickled by `LONG1`/`LONG4`: two's complement, little-endian,
/// minimal length. They occur in real checkpoints only as the legacy magic number, so they are kept as
/// decimal text rather than given arithmetic.
enum BigInteger {
    /// `.int` when the value fits in Int64, otherwise `.bigInt` with its decimal digits.
    static func item(twosComplementLittleEndian bytes: [UInt8]) -> PItem {
        guard let last = bytes.last else { return .int(0) }
        let negative = last & 0x80 != 0
        if bytes.count <= 8 {
            var value: UInt64 = negative ? ~0 : 0
            for (i, byte) in bytes.enumerated() {
                value &= ~(UInt64(0xFF) << (8 * UInt64(i)))
                value |= UInt64(byte) << (8 * UInt64(i))
            }
            return .int(Int64(bitPattern: value))
        }
        // Magnitude of a negative number: two's complement negation (invert, add one).
        var magnitude = bytes
        if negative {
            var carry = 1
            for i in magnitude.indices {
                let sum = Int(~magnitude[i]) + carry
                magnitude[i] = UInt8(truncatingIfNeeded: sum)
                carry = sum >> 8
            }
        }
        if !negative, bytes.count == 9, bytes[8] == 0 {
            // An unsigned 64-bit value with a sign byte: still outside Int64 only when bit 63 is set.
            var value: UInt64 = 0
            for i in 0..<8 { value |= UInt64(bytes[i]) << (8 * UInt64(i)) }
            if value <= UInt64(Int64.max) { return .int(Int64(value)) }
        }
        let digits = decimal(littleEndianMagnitude: magnitude)
        return .bigInt(negative ? "-" + digits : digits)
    }

    /// Schoolbook division by 10 000; inputs are bounded by `TorchReadLimits.maxIntegerBytes`.
    static func decimal(littleEndianMagnitude bytes: [UInt8]) -> String {
        var limbs = Array(bytes.reversed().drop { $0 == 0 }) // big-endian, no leading zeros
        guard !limbs.isEmpty else { return "0" }
        var groups: [Int] = []
        while !limbs.isEmpty {
            var remainder = 0
            var quotient: [UInt8] = []
            quotient.reserveCapacity(limbs.count)
            for byte in limbs {
                let current = remainder << 8 | Int(byte)
                let q = current / 10_000
                remainder = current % 10_000
                if !(quotient.isEmpty && q == 0) { quotient.append(UInt8(q)) }
            }
            groups.append(remainder)
            limbs = quotient
        }
        var text = String(groups.last ?? 0)
        for group in groups.dropLast().reversed() {
            let s = String(group)
            text += String(repeating: "0", count: 4 - s.count) + s
        }
        return text
    }
}
