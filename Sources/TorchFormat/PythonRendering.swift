/// Text forms of pickled data as Python itself would print them, so a value read here can be compared
/// character for character with what a Python tool wrote (`json.dumps(config)`, `repr(namespace)`).
///
/// - `pythonJSON`: `json.dumps` with its defaults — `", "` and `": "` separators, ASCII output with
///   `\uXXXX` escapes, non-string keys converted (`1` → `"1"`, `True` → `"true"`), floats as `repr`,
///   `Infinity`/`NaN`, tuples as lists. Values JSON cannot hold (tensors, objects, bytes) go through
///   `replacing`, or render as a descriptive string.
/// - `pythonRepr`: `repr` of plain data; an object with a dict state renders as
///   `module.Class(attr=repr, …)`, the way `argparse.Namespace` prints (with its module).
///
/// Output stops at `maxLength` characters (a shared sub-tree is printed at every reference).
extension PickleValue {
    public func pythonJSON(maxLength: Int = 1 << 24, replacing: (PickleValue) -> PickleValue? = { _ in nil }) -> String {
        var out = ""
        PythonText.json(self, into: &out, maxLength: maxLength, replacing: replacing)
        return out
    }

    public func pythonRepr(maxLength: Int = 1 << 24) -> String {
        var out = ""
        PythonText.repr(self, into: &out, maxLength: maxLength)
        return out
    }
}

enum PythonText {
    /// `repr(float)`: the shortest digits that round-trip (Swift's `description` gives the same digits),
    /// in fixed notation when the decimal exponent is in −4 ..< 16, scientific otherwise.
    static func floatRepr(_ x: Double) -> String {
        if x.isNaN { return "nan" }
        if x.isInfinite { return x < 0 ? "-inf" : "inf" }
        if x == 0 { return x.sign == .minus ? "-0.0" : "0.0" }
        let text = "\(abs(x))"
        let parts = text.split(separator: "e", maxSplits: 1)
        let exponent = parts.count == 2 ? Int(parts[1]) ?? 0 : 0
        let mantissa = parts[0].split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let integerDigits = String(mantissa[0])
        let fraction = mantissa.count == 2 ? String(mantissa[1]) : ""
        var digits = Array(integerDigits + fraction)
        var point = integerDigits.count + exponent
        while digits.first == "0" { digits.removeFirst(); point -= 1 }
        while digits.last == "0" { digits.removeLast() }
        let sign = x < 0 ? "-" : ""
        let scientific = point - 1
        if scientific >= -4 && scientific < 16 {
            if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + String(digits) }
            if point >= digits.count { return sign + String(digits) + String(repeating: "0", count: point - digits.count) + ".0" }
            return sign + String(digits[..<point]) + "." + String(digits[point...])
        }
        let rest = digits.count > 1 ? "." + String(digits[1...]) : ""
        let magnitude = abs(scientific)
        return sign + String(digits[0]) + rest + "e" + (scientific < 0 ? "-" : "+") + (magnitude < 10 ? "0" : "") + String(magnitude)
    }

    static func jsonString(_ s: String) -> String {
        var out = "\""
        for unit in s.utf16 {
            switch unit {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x08: out += "\\b"
            case 0x0C: out += "\\f"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(UInt8(unit)))
            default:
                let hex = String(unit, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            }
        }
        return out + "\""
    }

    static func reprString(_ s: String) -> String {
        let quote: Character = s.contains("'") && !s.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if Character(scalar) == quote { out += "\\" + String(quote) }
                else if scalar.value < 0x20 || scalar.value == 0x7F {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\x" + (hex.count < 2 ? "0" : "") + hex
                } else { out.unicodeScalars.append(scalar) }
            }
        }
        out.append(quote)
        return out
    }

    /// What `json.dumps` turns a non-string key into.
    static func jsonKey(_ key: PickleValue) -> String {
        switch key {
        case .string(let s): s
        case .int(let i): String(i)
        case .bigInt(let s): s
        case .bool(let b): b ? "true" : "false"
        case .none: "null"
        case .float(let f): f.isNaN ? "NaN" : f.isInfinite ? (f < 0 ? "-Infinity" : "Infinity") : floatRepr(f)
        default: "<\(key.typeName)>"
        }
    }

    static func describe(_ value: PickleValue) -> String {
        switch value {
        case .tensor(let t): "<tensor \(t.dtype.rawValue) \(t.shape)>"
        case .object(let o): "<\(o.className) object>"
        case .bytes(let b): "<\(b.count) bytes>"
        case .global(let g): "<class \(g)>"
        default: "<\(value.typeName)>"
        }
    }

    static func json(_ value: PickleValue, into out: inout String, maxLength: Int,
                     replacing: (PickleValue) -> PickleValue?) {
        guard out.utf8.count < maxLength else { return }
        if let replacement = replacing(value) {
            json(replacement, into: &out, maxLength: maxLength, replacing: { _ in nil })
            return
        }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .bigInt(let s): out += s
        case .float(let f): out += f.isNaN ? "NaN" : f.isInfinite ? (f < 0 ? "-Infinity" : "Infinity") : floatRepr(f)
        case .string(let s): out += jsonString(s)
        case .list(let items), .tuple(let items), .set(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                json(item, into: &out, maxLength: maxLength, replacing: replacing)
            }
            out += "]"
        case .dict(let d):
            out += "{"
            for (i, entry) in d.entries.enumerated() {
                if i > 0 { out += ", " }
                out += jsonString(jsonKey(entry.key)) + ": "
                json(entry.value, into: &out, maxLength: maxLength, replacing: replacing)
            }
            out += "}"
        case .tensor, .object, .bytes, .global: out += jsonString(describe(value))
        }
    }

    static func repr(_ value: PickleValue, into out: inout String, maxLength: Int) {
        guard out.utf8.count < maxLength else { return }
        func sequence(_ items: [PickleValue], _ open: String, _ close: String, trailingComma: Bool) {
            out += open
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                repr(item, into: &out, maxLength: maxLength)
            }
            if trailingComma && items.count == 1 { out += "," }
            out += close
        }
        switch value {
        case .none: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .bigInt(let s): out += s
        case .float(let f): out += floatRepr(f)
        case .string(let s): out += reprString(s)
        case .bytes(let b): out += "b" + reprString(String(decoding: b, as: UTF8.self))
        case .list(let items): sequence(items, "[", "]", trailingComma: false)
        case .tuple(let items): sequence(items, "(", ")", trailingComma: true)
        case .set(let items): items.isEmpty ? (out += "set()") : sequence(items, "{", "}", trailingComma: false)
        case .dict(let d):
            out += d.className == nil ? "{" : "\(d.className ?? "")(["
            for (i, entry) in d.entries.enumerated() {
                if i > 0 { out += ", " }
                if d.className != nil { out += "(" }
                repr(entry.key, into: &out, maxLength: maxLength)
                out += d.className == nil ? ": " : ", "
                repr(entry.value, into: &out, maxLength: maxLength)
                if d.className != nil { out += ")" }
            }
            out += d.className == nil ? "}" : "])"
        case .object(let o):
            if let path = o.pathString { out += "\(o.className.split(separator: ".").last ?? "")(\(reprString(path)))"; return }
            out += o.className + "("
            if let attributes = o.attributes {
                for (i, entry) in attributes.entries.enumerated() {
                    if i > 0 { out += ", " }
                    out += (entry.key.string ?? jsonKey(entry.key)) + "="
                    repr(entry.value, into: &out, maxLength: maxLength)
                }
            } else {
                for (i, argument) in o.arguments.enumerated() {
                    if i > 0 { out += ", " }
                    repr(argument, into: &out, maxLength: maxLength)
                }
            }
            out += ")"
        case .tensor(let t): out += "tensor(<\(t.dtype.rawValue) \(t.shape)>)"
        case .global(let g): out += "<class '\(g)'>"
        }
    }
}
