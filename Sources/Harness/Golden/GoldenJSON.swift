/// A small JSON reader for golden expectations that must be compared bit for bit.
///
/// Why not Foundation: `JSONSerialization` on Linux does not round decimal text correctly (it returns
/// `1.779155015945434` for `1.7791550159454346`), and it forgets key order. Here numbers keep their
/// text and are converted with Swift's correctly rounded `Double(_:)`, and objects keep their order.
/// Nesting is limited to `maxDepth`.
enum GoldenJSON {
    case null
    case bool(Bool)
    /// The number's text as written, e.g. `-0.9179307346473358` or `4503599627370496`.
    case number(String)
    case string(String)
    case array([GoldenJSON])
    case object([Member])

    struct Member {
        var key: String
        var value: GoldenJSON
    }

    static let maxDepth = 64

    struct ParseError: Error, CustomStringConvertible {
        var offset: Int
        var message: String
        var description: String { "JSON: \(message) at byte \(offset)" }
    }

    var double: Double? { if case .number(let text) = self { return Double(text) }; return nil }
    /// Integral numbers written without a fraction or exponent.
    var int64: Int64? { if case .number(let text) = self { return Int64(text) }; return nil }

    subscript(key: String) -> GoldenJSON? {
        if case .object(let members) = self { return members.first { $0.key == key }?.value }
        return nil
    }

    static func parse(_ bytes: [UInt8]) throws -> GoldenJSON {
        var parser = Parser(bytes: bytes)
        let value = try parser.value(depth: 0)
        parser.skipSpace()
        guard parser.position == bytes.count else { throw ParseError(offset: parser.position, message: "trailing data") }
        return value
    }

    private struct Parser {
        let bytes: [UInt8]
        var position = 0

        mutating func skipSpace() {
            while position < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[position]) { position += 1 }
        }

        func fail(_ message: String) -> ParseError { ParseError(offset: position, message: message) }

        mutating func expect(_ literal: String) throws {
            let utf8 = Array(literal.utf8)
            guard position + utf8.count <= bytes.count, Array(bytes[position..<(position + utf8.count)]) == utf8 else {
                throw fail("expected \(literal)")
            }
            position += utf8.count
        }

        mutating func value(depth: Int) throws -> GoldenJSON {
            guard depth <= GoldenJSON.maxDepth else { throw fail("nested deeper than \(GoldenJSON.maxDepth)") }
            skipSpace()
            guard position < bytes.count else { throw fail("unexpected end") }
            switch bytes[position] {
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "["):
                position += 1
                var items: [GoldenJSON] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "]") { position += 1; return .array(items) }
                while true {
                    items.append(try value(depth: depth + 1))
                    skipSpace()
                    guard position < bytes.count else { throw fail("unterminated array") }
                    position += 1
                    if bytes[position - 1] == UInt8(ascii: "]") { return .array(items) }
                    guard bytes[position - 1] == UInt8(ascii: ",") else { throw fail("expected , or ]") }
                }
            case UInt8(ascii: "{"):
                position += 1
                var members: [Member] = []
                skipSpace()
                if position < bytes.count, bytes[position] == UInt8(ascii: "}") { position += 1; return .object(members) }
                while true {
                    skipSpace()
                    let key = try string()
                    skipSpace()
                    try expect(":")
                    members.append(Member(key: key, value: try value(depth: depth + 1)))
                    skipSpace()
                    guard position < bytes.count else { throw fail("unterminated object") }
                    position += 1
                    if bytes[position - 1] == UInt8(ascii: "}") { return .object(members) }
                    guard bytes[position - 1] == UInt8(ascii: ",") else { throw fail("expected , or }") }
                }
            default:
                let start = position
                while position < bytes.count, "+-0123456789.eE".utf8.contains(bytes[position]) { position += 1 }
                let text = String(decoding: bytes[start..<position], as: UTF8.self)
                guard !text.isEmpty, Double(text) != nil else { throw fail("bad number '\(text)'") }
                return .number(text)
            }
        }

        mutating func string() throws -> String {
            try expect("\"")
            var scalars = String.UnicodeScalarView()
            var pendingHigh: UInt32?
            while position < bytes.count {
                let byte = bytes[position]
                position += 1
                if byte == UInt8(ascii: "\"") { return String(scalars) }
                guard byte == UInt8(ascii: "\\") else {
                    // Copy a whole UTF-8 sequence.
                    var end = position
                    while end < bytes.count, bytes[end] & 0xC0 == 0x80 { end += 1 }
                    scalars.append(contentsOf: String(decoding: bytes[(position - 1)..<end], as: UTF8.self).unicodeScalars)
                    position = end
                    continue
                }
                guard position < bytes.count else { break }
                let escape = bytes[position]
                position += 1
                switch escape {
                case UInt8(ascii: "n"): scalars.append("\n")
                case UInt8(ascii: "t"): scalars.append("\t")
                case UInt8(ascii: "r"): scalars.append("\r")
                case UInt8(ascii: "b"): scalars.append("\u{08}")
                case UInt8(ascii: "f"): scalars.append("\u{0C}")
                case UInt8(ascii: "u"):
                    guard position + 4 <= bytes.count,
                          let unit = UInt32(String(decoding: bytes[position..<(position + 4)], as: UTF8.self), radix: 16) else {
                        throw fail("bad \\u escape")
                    }
                    position += 4
                    if (0xD800..<0xDC00).contains(unit) { pendingHigh = unit; continue }
                    if (0xDC00..<0xE000).contains(unit), let high = pendingHigh {
                        pendingHigh = nil
                        if let s = Unicode.Scalar(0x10000 + ((high - 0xD800) << 10) + (unit - 0xDC00)) { scalars.append(s) }
                        continue
                    }
                    if let s = Unicode.Scalar(unit) { scalars.append(s) }
                default: scalars.append(Unicode.Scalar(escape))
                }
            }
            throw fail("unterminated string")
        }
    }
}
