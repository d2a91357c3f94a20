import Foundation

/// A whole annotation file in memory, split into lines and whitespace- or comma-separated fields,
/// with 1-based line numbers for error messages.
///
/// Works on bytes rather than `String`s because CelebA's two lists hold 202 599 lines each and
/// are read on every run; integer fields are parsed straight from the bytes.
struct AnnotationText: Sendable {
    let path: String
    let bytes: [UInt8]

    /// One field: its byte range and the 1-based line it sits on.
    struct Field: Sendable {
        var range: Range<Int>
        var line: Int
    }

    /// One non-empty line's fields.
    struct Line: Sendable {
        var number: Int
        var fields: [Field]
    }


    init(path: String, bytes: [UInt8]) {
        self.path = path
        self.bytes = bytes
    }

    /// The lines, split on `\n` (a trailing `\r` is dropped), each split on runs of spaces and tabs
    /// (pandas `delim_whitespace=True`) or on commas. Lines without any field are returned with no
    /// fields when `keepEmpty`, and skipped otherwise (pandas skips blank lines).
    func lines(separator: Separator = .whitespace, keepEmpty: Bool = false) -> [Line] {
        var out: [Line] = []
        var start = 0, number = 1
        let n = bytes.count
        while start < n {
            var end = start
            while end < n && bytes[end] != 0x0A { end += 1 }
            var lineEnd = end
            if lineEnd > start && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let fields = split(start..<lineEnd, separator: separator, line: number)
            if !fields.isEmpty || keepEmpty { out.append(Line(number: number, fields: fields)) }
            start = end + 1
            number += 1
        }
        return out
    }

    /// `wholeLine`: the line itself is the one field (Python's `splitlines()`), spaces kept.
    enum Separator { case whitespace, comma, wholeLine }

    private func split(_ range: Range<Int>, separator: Separator, line: Int) -> [Field] {
        var fields: [Field] = []
        switch separator {
        case .wholeLine:
            if !range.isEmpty { fields.append(Field(range: range, line: line)) }
        case .whitespace:
            var i = range.lowerBound
            while i < range.upperBound {
                while i < range.upperBound && (bytes[i] == 0x20 || bytes[i] == 0x09) { i += 1 }
                guard i < range.upperBound else { break }
                let s = i
                while i < range.upperBound && bytes[i] != 0x20 && bytes[i] != 0x09 { i += 1 }
                fields.append(Field(range: s..<i, line: line))
            }
        case .comma:
            guard !range.isEmpty else { return [] }
            var s = range.lowerBound
            for i in range where bytes[i] == 0x2C {
                fields.append(Field(range: trimmed(s..<i), line: line))
                s = i + 1
            }
            fields.append(Field(range: trimmed(s..<range.upperBound), line: line))
        }
        return fields
    }

    /// Drops surrounding spaces and one pair of double quotes (a CSV cell `"a.jpg"`).
    private func trimmed(_ r: Range<Int>) -> Range<Int> {
        var lo = r.lowerBound, hi = r.upperBound
        while lo < hi && bytes[lo] == 0x20 { lo += 1 }
        while hi > lo && bytes[hi - 1] == 0x20 { hi -= 1 }
        if hi - lo >= 2 && bytes[lo] == 0x22 && bytes[hi - 1] == 0x22 { lo += 1; hi -= 1 }
        return lo..<hi
    }

    func string(_ field: Field) -> String {
        String(decoding: bytes[field.range], as: UTF8.self)
    }

    /// A decimal integer field (optional sign), or a malformed-line error naming `what`.
    func int(_ field: Field, _ what: String) throws(DatasetError) -> Int {
        var i = field.range.lowerBound
        var negative = false
        if i < field.range.upperBound && (bytes[i] == 0x2D || bytes[i] == 0x2B) {
            negative = bytes[i] == 0x2D
            i += 1
        }
        guard i < field.range.upperBound, field.range.count <= 18 else { throw notNumber(field, what) }
        var value = 0
        while i < field.range.upperBound {
            let d = Int(bytes[i]) - 48
            guard d >= 0 && d <= 9 else {
                // "12.0" and "1e3" are valid numbers to pandas; accept them when they are integral.
                if let v = Double(string(field)), v.isFinite, v == v.rounded(), abs(v) < 1e15 { return Int(v) }
                throw notNumber(field, what)
            }
            value = value * 10 + d
            i += 1
        }
        return negative ? -value : value
    }

    /// A finite decimal number field (`strtod` syntax), or a malformed-line error naming `what`.
    func double(_ field: Field, _ what: String) throws(DatasetError) -> Double {
        guard let v = Double(string(field)), v.isFinite else { throw notNumber(field, what) }
        return v
    }

    private func notNumber(_ field: Field, _ what: String) -> DatasetError {
        .malformedLine(path: path, line: field.line, reason: "\(what) is \"\(string(field))\", not a number")
    }

    func malformed(_ line: Line, _ reason: String) -> DatasetError {
        .malformedLine(path: path, line: line.number, reason: reason)
    }
}

/// File-system helpers shared by the loaders.
enum DatasetFiles {
    /// `root/relative` with exactly one separator.
    static func join(_ root: String, _ relative: String) -> String {
        if root.isEmpty { return relative }
        return root.hasSuffix("/") ? root + relative : root + "/" + relative
    }

    /// Whether a regular file (or a symlink to one) exists at `path`.
    static func isFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && !isDirectory.boolValue
    }

    /// Throws `.missingFiles` naming every expected file that is absent under `root`.
    static func requireFiles(_ relatives: [String], under root: String, dataset: String,
                             layout: [String]) throws(DatasetError) {
        let missing = relatives.filter { !isFile(join(root, $0)) }
        if !missing.isEmpty {
            throw .missingFiles(dataset: dataset, root: root, missing: missing, expectedLayout: layout)
        }
    }

    static func readBytes(_ path: String) throws(DatasetError) -> [UInt8] {
        guard isFile(path) else {
            throw .unreadableFile(path: path, reason: FileManager.default.fileExists(atPath: path)
                                  ? "it is a directory" : "no such file")
        }
        do {
            let data = try Data(contentsOf: URL(fileURLWithPath: path), options: .mappedIfSafe)
            guard data.count < Int(Int32.max) else { throw DatasetError.unreadableFile(path: path, reason: "larger than 2 GiB") }
            return [UInt8](data)
        } catch let error as DatasetError {
            throw error
        } catch {
            throw .unreadableFile(path: path, reason: error.localizedDescription)
        }
    }
}
