/// A small zlib (RFC 1950) / DEFLATE (RFC 1951) decoder for `miCOMPRESSED` MAT-file elements.
///
/// MATLAB's default `save` (format `-v7`) compresses every variable with zlib. Landmarks must not
/// depend on a C zlib module (the C seams belong to their own targets), and the files involved are
/// small (300-W bounding boxes: a few kB; AFLW_R keypoints: < 1 MB), so a compact canonical-Huffman
/// decoder in the style of zlib's `puff.c` is enough: it decodes bit by bit per code length, which
/// is slower than table lookup but simple to verify. Malformed input throws, it never traps.
enum Inflate {
    struct Failure: Error { var reason: String }

    /// Decompresses a zlib stream (header, DEFLATE data, Adler-32 check).
    /// - Parameter maxOutput: refuse to produce more bytes than this (decompression bombs).
    static func zlib(_ input: ArraySlice<UInt8>, maxOutput: Int = 1 << 30) throws(Failure) -> [UInt8] {
        let b = Array(input)
        guard b.count >= 6 else { throw Failure(reason: "zlib stream of \(b.count) bytes is too short") }
        let cmf = Int(b[0]), flg = Int(b[1])
        guard cmf & 0x0F == 8, cmf >> 4 <= 7 else { throw Failure(reason: "not a zlib/deflate stream (CMF 0x\(String(cmf, radix: 16)))") }
        guard (cmf * 256 + flg) % 31 == 0 else { throw Failure(reason: "zlib header check bits are wrong") }
        guard flg & 0x20 == 0 else { throw Failure(reason: "zlib preset dictionaries are not supported") }
        var state = State(input: b, position: 2, maxOutput: maxOutput)
        try state.inflate()
        let tail = (state.position + 7) / 8 // byte after the last DEFLATE bit
        guard tail + 4 <= b.count else { throw Failure(reason: "zlib stream ends before its Adler-32 checksum") }
        let stored = UInt32(b[tail]) << 24 | UInt32(b[tail + 1]) << 16 | UInt32(b[tail + 2]) << 8 | UInt32(b[tail + 3])
        guard adler32(state.output) == stored else { throw Failure(reason: "zlib Adler-32 checksum mismatch (corrupt data)") }
        return state.output
    }

    static func adler32(_ data: [UInt8]) -> UInt32 {
        var a: UInt32 = 1, b: UInt32 = 0
        var i = 0
        while i < data.count {
            let end = min(i + 5552, data.count)
            while i < end { a += UInt32(data[i]); b += a; i += 1 }
            a %= 65521; b %= 65521
        }
        return b << 16 | a
    }

    /// A canonical Huffman code: symbol counts per length and symbols in canonical order.
    struct Huffman {
        var counts = [Int](repeating: 0, count: 16)
        var symbols: [Int]

        init(lengths: [Int]) throws(Failure) {
            symbols = [Int](repeating: 0, count: lengths.count)
            for l in lengths { counts[l] += 1 }
            counts[0] = 0
            var left = 1
            for len in 1...15 {
                left <<= 1
                left -= counts[len]
                guard left >= 0 else { throw Failure(reason: "over-subscribed Huffman code") }
            }
            var offsets = [Int](repeating: 0, count: 16)
            for len in 1..<15 { offsets[len + 1] = offsets[len] + counts[len] }
            for (symbol, l) in lengths.enumerated() where l != 0 {
                symbols[offsets[l]] = symbol
                offsets[l] += 1
            }
        }
    }

    static let lengthBase = [3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258]
    static let lengthExtra = [0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0]
    static let distanceBase = [1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193, 257, 385, 513, 769, 1025, 1537,
                               2049, 3073, 4097, 6145, 8193, 12289, 16385, 24577]
    static let distanceExtra = [0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13]
    static let codeLengthOrder = [16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15]

    struct State {
        let input: [UInt8]
        /// Bit position in `input`.
        var position: Int
        let maxOutput: Int
        var output: [UInt8] = []

        init(input: [UInt8], position bytePosition: Int, maxOutput: Int) {
            self.input = input
            self.position = bytePosition * 8
            self.maxOutput = maxOutput
        }

        mutating func bits(_ n: Int) throws(Failure) -> Int {
            var value = 0
            for i in 0..<n {
                let byte = position >> 3
                guard byte < input.count else { throw Failure(reason: "deflate data ends early") }
                value |= Int((input[byte] >> UInt8(position & 7)) & 1) << i
                position += 1
            }
            return value
        }

        mutating func decode(_ h: Huffman) throws(Failure) -> Int {
            var code = 0, first = 0, index = 0
            for len in 1...15 {
                code |= try bits(1)
                let count = h.counts[len]
                if code - count < first { return h.symbols[index + (code - first)] }
                index += count
                first += count
                first <<= 1
                code <<= 1
            }
            throw Failure(reason: "invalid Huffman code in deflate data")
        }

        mutating func inflate() throws(Failure) {
            var last = false
            while !last {
                last = try bits(1) == 1
                switch try bits(2) {
                case 0: try stored()
                case 1: try codes(Inflate.fixed.literal, Inflate.fixed.distance)
                case 2:
                    let tables = try dynamicTables()
                    try codes(tables.literal, tables.distance)
                default: throw Failure(reason: "invalid deflate block type 3")
                }
            }
        }

        mutating func stored() throws(Failure) {
            position = (position + 7) & ~7
            let byte = position >> 3
            guard byte + 4 <= input.count else { throw Failure(reason: "stored block header ends early") }
            let len = Int(input[byte]) | Int(input[byte + 1]) << 8
            let nlen = Int(input[byte + 2]) | Int(input[byte + 3]) << 8
            guard len == (~nlen & 0xFFFF) else { throw Failure(reason: "stored block length check failed") }
            guard byte + 4 + len <= input.count else { throw Failure(reason: "stored block ends early") }
            guard output.count + len <= maxOutput else { throw Failure(reason: "output exceeds \(maxOutput) bytes") }
            output.append(contentsOf: input[(byte + 4)..<(byte + 4 + len)])
            position = (byte + 4 + len) * 8
        }

        mutating func dynamicTables() throws(Failure) -> (literal: Huffman, distance: Huffman) {
            let nlen = try bits(5) + 257, ndist = try bits(5) + 1, ncode = try bits(4) + 4
            guard nlen <= 286, ndist <= 30 else { throw Failure(reason: "bad dynamic block code counts") }
            var lengths = [Int](repeating: 0, count: 19)
            for i in 0..<ncode { lengths[Inflate.codeLengthOrder[i]] = try bits(3) }
            let lencode = try Huffman(lengths: lengths)
            var all = [Int]()
            all.reserveCapacity(nlen + ndist)
            while all.count < nlen + ndist {
                let symbol = try decode(lencode)
                if symbol < 16 { all.append(symbol); continue }
                var value = 0, repeatCount: Int
                switch symbol {
                case 16:
                    guard let previous = all.last else { throw Failure(reason: "repeat with no previous length") }
                    value = previous
                    repeatCount = 3 + (try bits(2))
                case 17: repeatCount = 3 + (try bits(3))
                default: repeatCount = 11 + (try bits(7))
                }
                guard all.count + repeatCount <= nlen + ndist else { throw Failure(reason: "too many code lengths") }
                all.append(contentsOf: repeatElement(value, count: repeatCount))
            }
            guard all[256] != 0 else { throw Failure(reason: "no end-of-block code") }
            return (try Huffman(lengths: Array(all[0..<nlen])), try Huffman(lengths: Array(all[nlen...])))
        }

        mutating func codes(_ literal: Huffman, _ distance: Huffman) throws(Failure) {
            while true {
                let symbol = try decode(literal)
                if symbol < 256 {
                    guard output.count < maxOutput else { throw Failure(reason: "output exceeds \(maxOutput) bytes") }
                    output.append(UInt8(symbol))
                } else if symbol == 256 {
                    return
                } else {
                    let s = symbol - 257
                    guard s < 29 else { throw Failure(reason: "invalid length symbol \(symbol)") }
                    let length = Inflate.lengthBase[s] + (try bits(Inflate.lengthExtra[s]))
                    let d = try decode(distance)
                    guard d < 30 else { throw Failure(reason: "invalid distance symbol \(d)") }
                    let dist = Inflate.distanceBase[d] + (try bits(Inflate.distanceExtra[d]))
                    guard dist <= output.count else { throw Failure(reason: "distance \(dist) reaches before the start") }
                    guard output.count + length <= maxOutput else { throw Failure(reason: "output exceeds \(maxOutput) bytes") }
                    let start = output.count - dist
                    for i in 0..<length { output.append(output[start + i]) }
                }
            }
        }
    }

    /// The fixed Huffman codes of block type 1.
    static let fixed: (literal: Huffman, distance: Huffman) = {
        var lengths = [Int](repeating: 8, count: 288)
        for i in 144..<256 { lengths[i] = 9 }
        for i in 256..<280 { lengths[i] = 7 }
        // Both code sets are complete and valid, so construction cannot fail.
        let literal = (try? Huffman(lengths: lengths)) ?? Huffman.empty
        let distance = (try? Huffman(lengths: [Int](repeating: 5, count: 30))) ?? Huffman.empty
        return (literal, distance)
    }()
}

extension Inflate.Huffman {
    /// A code with no symbols (decoding anything with it throws).
    static var empty: Inflate.Huffman { Inflate.Huffman(counts: [Int](repeating: 0, count: 16), symbols: []) }

    init(counts: [Int], symbols: [Int]) {
        self.counts = counts
        self.symbols = symbols
    }
}
