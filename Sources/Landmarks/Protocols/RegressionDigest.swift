import Foundation
import Tensors

/// A 128-bit content digest for cache keys (not cryptographic: it guards against accidental reuse, not
/// against an adversary).
///
/// Input is absorbed as little-endian 64-bit words `w` into two independent lanes,
/// `s ← rotl(s ⊕ fl(w·K₁), r)·K₂ + K₃` with odd multipliers and lane-specific constants. For a fixed
/// word that step is a bijection of the state, and for a fixed state a bijection of the word, so two
/// inputs of equal length that differ in a single word always give different digests; other
/// collisions are as unlikely as for a random 128-bit function. Each `update` is framed by its byte
/// length (the last word zero-padded), so `update("ab"); update("c")` differs from `update("abc")`.
/// The result is finalised with SplitMix64 and printed as 32 lowercase hex digits.
public struct ContentDigest: Sendable {
    private var a: UInt64 = 0x243F_6A88_85A3_08D3
    private var b: UInt64 = 0x1319_8A2E_0370_7344

    public init() {}

    @inline(__always) private mutating func absorb(_ w: UInt64) {
        let x = a ^ (w &* 0x9E37_79B9_7F4A_7C15)
        a = (x << 27 | x >> 37) &* 0xBF58_476D_1CE4_E5B9 &+ 0x94D0_49BB_1331_11EB
        let y = b ^ (w &* 0xC2B2_AE3D_27D4_EB4F)
        b = (y << 31 | y >> 33) &* 0x1656_67B1_9E37_79F9 &+ 0x27D4_EB2F_1656_67C5
    }

    /// Absorbs raw bytes, framed by their length.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        let whole = bytes.count / 8
        for i in 0..<whole { absorb(UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))) }
        var tail: UInt64 = 0
        for i in (8 * whole)..<bytes.count { tail |= UInt64(bytes[i]) << (8 * UInt64(i - 8 * whole)) }
        if bytes.count % 8 != 0 { absorb(tail) }
        absorb(UInt64(bytes.count))
    }

    public mutating func update(_ text: String) {
        var copy = text
        copy.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    public mutating func update(_ value: Int) {
        withUnsafeBytes(of: Int64(value).littleEndian) { update($0) }
    }

    public mutating func update(_ values: [Float]) {
        values.withUnsafeBytes { update($0) }
    }

    /// 32 lowercase hex digits.
    public var hex: String {
        func mix(_ v: UInt64) -> UInt64 {
            var x = v &+ 0x9E37_79B9_7F4A_7C15
            x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
            x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
            return x ^ (x >> 31)
        }
        let hi = mix(a ^ (b >> 1)), lo = mix(b ^ mix(a))
        return [hi, lo].map { word in
            let digits = String(word, radix: 16)
            return String(repeating: "0", count: 16 - digits.count) + digits
        }.joined()
    }

    /// The digest of a state dict: for every entry in order, its key, its kind (float or int64), its
    /// shape and the bytes of its values (float32 bit patterns, int64 values). Any change of a weight,
    /// a BatchNorm statistic, a counter, a key or the order changes it.
    public static func of(_ dict: StateDict) -> String {
        var digest = ContentDigest()
        digest.update(dict.count)
        for key in dict.keys {
            digest.update(key)
            switch dict[key] {
            case .float(let t)?:
                digest.update("f32")
                digest.update(t.shape.count)
                t.shape.forEach { digest.update($0) }
                digest.update(t.storage)
            case .int64(let shape, let values)?:
                digest.update("i64")
                digest.update(shape.count)
                shape.forEach { digest.update($0) }
                values.withUnsafeBytes { digest.update($0) }
            case nil:
                digest.update("missing")
            }
        }
        return digest.hex
    }
}
