import Foundation

/// Writes uncompressed little-endian Level-5 MAT-files (what `scipy.io.savemat` writes by default).
///
/// It exists so that dataset trees in the real layouts (tests, `dvebench synth`) can carry the
/// `.mat` annotation files the reference reads with `scipy.io.loadmat`: AFLW_R's keypoint files and
/// 300-W's bounding-box files. Numeric arrays are written as `double` (`miDOUBLE`), chars as UTF-16
/// code units (`miUINT16`), like MATLAB; cells and structs recursively. Struct field names longer
/// than 31 bytes are refused (MATLAB's limit).
public enum MATv5Writer {
    /// The file bytes for `variables` (in order).
    public static func encode(_ variables: [(name: String, value: MATValue)]) throws(DatasetError) -> [UInt8] {
        var out = [UInt8]()
        var header = Array("MATLAB 5.0 MAT-file, Platform: DVEBench, Created by: DVEBench MATv5Writer".utf8)
        header += [UInt8](repeating: 0x20, count: 116 - header.count)
        out += header
        out += [UInt8](repeating: 0, count: 8) // subsystem data offset
        out += [0x00, 0x01, 0x49, 0x4D]          // version 0x0100, "IM" (little-endian)
        for (name, value) in variables {
            out += try matrix(name: name, value)
        }
        return out
    }

    /// Encodes and writes `variables` to `path` atomically.
    public static func write(_ variables: [(name: String, value: MATValue)], toPath path: String) throws(DatasetError) {
        let bytes = try encode(variables)
        do {
            try Data(bytes).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .unreadableFile(path: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// A numeric `double` array from column-major values.
    public static func doubles(_ values: [Double], dimensions: [Int]) -> MATValue {
        .numeric(MATNumericArray(dimensions: dimensions, real: values))
    }

    /// A 1×k char array.
    public static func text(_ string: String) -> MATValue {
        .char(dimensions: [1, string.utf16.count], rows: [string])
    }

    // MARK: Elements

    static func tag(_ type: Int, _ count: Int) -> [UInt8] {
        le(UInt32(type)) + le(UInt32(count))
    }

    static func le(_ v: UInt32) -> [UInt8] { (0..<4).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }

    static func padded(_ type: Int, _ data: [UInt8]) -> [UInt8] {
        tag(type, data.count) + data + [UInt8](repeating: 0, count: (8 - data.count % 8) % 8)
    }

    static func matrix(name: String, _ value: MATValue) throws(DatasetError) -> [UInt8] {
        let classID: Int
        var body = [UInt8]()
        switch value {
        case .numeric(let array):
            guard array.real.count == array.dimensions.reduce(1, *) else {
                throw .invalidOptions("MAT array \(name): \(array.real.count) values for dimensions \(array.dimensions)")
            }
            classID = 6
            body = padded(MATParser.miDOUBLE, array.real.flatMap { v in (0..<8).map { UInt8(truncatingIfNeeded: v.bitPattern >> (8 * $0)) } })
        case .char(let dims, let rows):
            classID = 4
            let units = rows.map { Array($0.utf16) }
            let columns = units.first?.count ?? 0
            guard units.allSatisfy({ $0.count == columns }), dims.count == 2, dims[0] == rows.count, dims[1] == columns else {
                throw .invalidOptions("MAT char array \(name): rows do not match dimensions \(dims)")
            }
            var data = [UInt8]()
            for c in 0..<columns { for r in 0..<rows.count { data += [UInt8(units[r][c] & 0xFF), UInt8(units[r][c] >> 8)] } }
            body = padded(MATParser.miUINT16, data)
        case .cell(let dims, let elements):
            classID = 1
            guard elements.count == dims.reduce(1, *) else { throw .invalidOptions("MAT cell \(name): element count vs \(dims)") }
            for e in elements { body += try matrix(name: "", e) }
        case .structure(let dims, let fieldNames, let elements):
            classID = 2
            guard elements.count == dims.reduce(1, *), elements.allSatisfy({ $0.count == fieldNames.count }) else {
                throw .invalidOptions("MAT struct \(name): element or field count mismatch")
            }
            let fieldLength = 32
            body += tag(MATParser.miINT32, 4) + le(UInt32(fieldLength)) + [0, 0, 0, 0]
            var names = [UInt8]()
            for field in fieldNames {
                let utf8 = Array(field.utf8)
                guard !utf8.isEmpty, utf8.count < fieldLength else { throw .invalidOptions("MAT struct field name \"\(field)\"") }
                names += utf8 + [UInt8](repeating: 0, count: fieldLength - utf8.count)
            }
            body = body + padded(MATParser.miINT8, names)
            for element in elements { for field in element { body += try matrix(name: "", field) } }
        }
        let flags = padded(MATParser.miUINT32, le(UInt32(classID)) + le(0))
        let dims = padded(MATParser.miINT32, value.dimensions.flatMap { le(UInt32(truncatingIfNeeded: $0)) })
        let nameData = padded(MATParser.miINT8, Array(name.utf8))
        let content = flags + dims + nameData + body
        return tag(MATParser.miMATRIX, content.count) + content
    }
}
