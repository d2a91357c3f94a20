import Foundation

/// A Level-5 MAT-file (MATLAB `save -v6` / `-v7`, and `scipy.io.savemat`), read completely.
///
/// The reference reads its `.mat` files with `scipy.io.loadmat`, which only understands Level 4/5
/// files, so every `.mat` the DVE datasets ship is Level 5: AFLW_R's `aflw_{train,test}_keypoints.mat`
/// (numeric `gt`, `hw`) and 300-W's `Bounding Boxes/bounding_boxes_*.mat` (a cell array of structs).
/// Supported: both byte orders, `miCOMPRESSED` (zlib) elements, numeric/logical/char/cell/struct
/// arrays. Not supported (a typed error names the variable): sparse arrays, objects, function
/// handles. Version 7.3 files (HDF5) are recognised and refused with a message saying so.
public struct MATv5File: Sendable {
    public let path: String
    /// Variables in file order.
    public let variables: [(name: String, value: MATValue)]

    public subscript(name: String) -> MATValue? {
        variables.first { $0.name == name }?.value
    }

    /// Reads and parses `path`.
    public static func read(path: String) throws(DatasetError) -> MATv5File {
        try parse(DatasetFiles.readBytes(path), path: path)
    }

    /// Parses MAT-file bytes; `path` is only used in errors.
    public static func parse(_ bytes: [UInt8], path: String) throws(DatasetError) -> MATv5File {
        guard bytes.count >= 128 else {
            throw .matFile(path: path, reason: "\(bytes.count) bytes is too short for a MAT-file header (128 bytes)")
        }
        let text = String(decoding: bytes[0..<116], as: UTF8.self)
        if text.hasPrefix("MATLAB 7.3") {
            throw .matFile(path: path, reason: "is a version 7.3 (HDF5) MAT-file; re-save it with `save -v7` (Level 5), which scipy.io.loadmat and DVEBench read")
        }
        let bigEndian: Bool
        switch (bytes[126], bytes[127]) {
        case (0x49, 0x4D): bigEndian = false // "IM"
        case (0x4D, 0x49): bigEndian = true  // "MI"
        default:
            throw .matFile(path: path, reason: "no Level-5 endian indicator at bytes 126–127 (a Level-4 or non-MAT file?)")
        }
        let parser = MATParser(bytes: bytes, path: path, bigEndian: bigEndian)
        var variables: [(String, MATValue)] = []
        var offset = 128
        while offset + 8 <= bytes.count {
            let element = try parser.element(at: offset, in: 0..<bytes.count)
            offset = element.next
            switch element.type {
            case MATParser.miCOMPRESSED:
                let inner: [UInt8]
                do { inner = try Inflate.zlib(bytes[element.data]) } catch {
                    throw .matFile(path: path, reason: "compressed element at byte \(element.data.lowerBound - 8): \(error.reason)")
                }
                let innerParser = MATParser(bytes: inner, path: path, bigEndian: bigEndian)
                var innerOffset = 0
                while innerOffset + 8 <= inner.count {
                    let e = try innerParser.element(at: innerOffset, in: 0..<inner.count)
                    innerOffset = e.next
                    if e.type == MATParser.miMATRIX { variables.append(try innerParser.matrix(e.data)) }
                }
            case MATParser.miMATRIX:
                variables.append(try parser.matrix(element.data))
            default:
                continue // other top-level elements carry no variables
            }
        }
        return MATv5File(path: path, variables: variables)
    }
}

/// The element-level decoding of one byte buffer (the file, or one decompressed element).
struct MATParser {
    static let miINT8 = 1, miUINT8 = 2, miINT16 = 3, miUINT16 = 4, miINT32 = 5, miUINT32 = 6, miSINGLE = 7
    static let miDOUBLE = 9, miINT64 = 12, miUINT64 = 13, miMATRIX = 14, miCOMPRESSED = 15
    static let miUTF8 = 16, miUTF16 = 17, miUTF32 = 18

    let bytes: [UInt8]
    let path: String
    let bigEndian: Bool

    struct Element {
        var type: Int
        var data: Range<Int>
        var next: Int
    }

    func fail(_ reason: String) -> DatasetError { .matFile(path: path, reason: reason) }

    func uint(_ offset: Int, _ size: Int) -> UInt64 {
        var v: UInt64 = 0
        for i in 0..<size {
            let b = UInt64(bytes[offset + (bigEndian ? i : size - 1 - i)])
            v = v << 8 | b
        }
        return v
    }

    /// The data element whose tag starts at `offset`, which must lie inside `bounds`.
    func element(at offset: Int, in bounds: Range<Int>) throws(DatasetError) -> Element {
        guard offset + 8 <= bounds.upperBound else { throw fail("element tag at byte \(offset) runs past its container") }
        let first = uint(offset, 4)
        if first >> 16 != 0 { // small data element: 2-byte size, 2-byte type, data in the next 4 bytes
            let n = Int(first >> 16), type = Int(first & 0xFFFF)
            guard n <= 4 else { throw fail("small element at byte \(offset) claims \(n) bytes") }
            return Element(type: type, data: (offset + 4)..<(offset + 4 + n), next: offset + 8)
        }
        let n = Int(uint(offset + 4, 4))
        let end = offset + 8 + n
        guard end <= bounds.upperBound else {
            throw fail("element at byte \(offset) (type \(first)) claims \(n) bytes, past the end of its container")
        }
        // Compressed elements are not padded; all others are padded to 8 bytes.
        // A last element whose padding is missing ends at its container's end.
        let next = first == UInt64(Self.miCOMPRESSED) ? end : min(offset + 8 + (n + 7) / 8 * 8, bounds.upperBound)
        return Element(type: Int(first), data: (offset + 8)..<end, next: next)
    }

    /// Numbers of any numeric storage type, widened to Double.
    func numbers(_ e: Element) throws(DatasetError) -> [Double] {
        let size: Int
        switch e.type {
        case Self.miINT8, Self.miUINT8, Self.miUTF8: size = 1
        case Self.miINT16, Self.miUINT16, Self.miUTF16: size = 2
        case Self.miINT32, Self.miUINT32, Self.miSINGLE, Self.miUTF32: size = 4
        case Self.miDOUBLE, Self.miINT64, Self.miUINT64: size = 8
        default: throw fail("element type \(e.type) at byte \(e.data.lowerBound - 8) is not numeric")
        }
        guard e.data.count % size == 0 else { throw fail("numeric element of \(e.data.count) bytes is not a multiple of \(size)") }
        var out = [Double]()
        out.reserveCapacity(e.data.count / size)
        var o = e.data.lowerBound
        while o < e.data.upperBound {
            let raw = uint(o, size)
            switch e.type {
            case Self.miINT8: out.append(Double(Int8(truncatingIfNeeded: raw)))
            case Self.miINT16: out.append(Double(Int16(truncatingIfNeeded: raw)))
            case Self.miINT32: out.append(Double(Int32(truncatingIfNeeded: raw)))
            case Self.miINT64: out.append(Double(Int64(bitPattern: raw)))
            case Self.miSINGLE: out.append(Double(Float(bitPattern: UInt32(raw))))
            case Self.miDOUBLE: out.append(Double(bitPattern: raw))
            default: out.append(Double(raw))
            }
            o += size
        }
        return out
    }

    /// The values as non-negative integers below `limit`, or nil if any is not one.
    static func integers(_ values: [Double], below limit: Int) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard v.isFinite, v >= 0, v < Double(limit), v == v.rounded() else { return nil }
            out.append(Int(v))
        }
        return out
    }

    /// Parses the contents of a `miMATRIX` element into (name, value).
    func matrix(_ range: Range<Int>) throws(DatasetError) -> (String, MATValue) {
        if range.isEmpty { return ("", .numeric(MATNumericArray(dimensions: [0, 0], real: []))) }
        let flags = try element(at: range.lowerBound, in: range)
        guard flags.type == Self.miUINT32, flags.data.count >= 8 else { throw fail("array flags missing at byte \(range.lowerBound)") }
        let word = uint(flags.data.lowerBound, 4)
        let classID = Int(word & 0xFF), isComplex = word & 0x800 != 0, isLogical = word & 0x200 != 0
        let dimsElement = try element(at: flags.next, in: range)
        let rawDims = try numbers(dimsElement)
        guard rawDims.count >= 2, let dims = Self.integers(rawDims, below: 1 << 31) else { throw fail("bad dimensions \(rawDims)") }
        var count = 1
        for d in dims {
            let (product, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow, product <= 1 << 31 else { throw fail("dimensions \(dims) describe too many elements") }
            count = product
        }
        let nameElement = try element(at: dimsElement.next, in: range)
        let name = String(decoding: bytes[nameElement.data], as: UTF8.self)
        var cursor = nameElement.next
        let what = name.isEmpty ? "an unnamed array" : "variable \(name)"

        switch classID {
        case 6...15:
            guard let matlabClass = MATClass(rawValue: classID) else { throw fail("\(what): unknown class \(classID)") }
            let realElement = try element(at: cursor, in: range)
            let real = try numbers(realElement)
            guard real.count == count else { throw fail("\(what): \(real.count) values for dimensions \(dims)") }
            var imaginary: [Double]?
            if isComplex {
                let imagElement = try element(at: realElement.next, in: range)
                imaginary = try numbers(imagElement)
                guard imaginary?.count == count else { throw fail("\(what): imaginary part has the wrong length") }
            }
            return (name, .numeric(MATNumericArray(dimensions: dims, matlabClass: matlabClass, isLogical: isLogical,
                                                    real: real, imaginary: imaginary)))
        case 4: // char
            let data = count == 0 ? [] : try numbers(element(at: cursor, in: range))
            guard data.count == count else {
                if count > 0, let e = try? element(at: cursor, in: range), e.type == Self.miUTF8 {
                    return (name, .char(dimensions: dims, rows: [String(decoding: bytes[e.data], as: UTF8.self)]))
                }
                throw fail("\(what): \(data.count) characters for dimensions \(dims)")
            }
            let rowCount = dims[0], columns = count / max(rowCount, 1)
            let rows = (0..<rowCount).map { r in
                String(decoding: (0..<columns).map { UInt16(exactly: data[r + $0 * rowCount]) ?? 0xFFFD }, as: UTF16.self)
            }
            return (name, .char(dimensions: dims, rows: rows))
        case 1: // cell
            var cells: [MATValue] = []
            for _ in 0..<count {
                let e = try element(at: cursor, in: range)
                guard e.type == Self.miMATRIX else { throw fail("\(what): cell element of type \(e.type)") }
                cells.append(try matrix(e.data).1)
                cursor = e.next
            }
            return (name, .cell(dimensions: dims, elements: cells))
        case 2: // struct
            let lengthElement = try element(at: cursor, in: range)
            guard let fieldLength = Self.integers(try numbers(lengthElement), below: 1 << 16)?.first, fieldLength > 0 else {
                throw fail("\(what): bad struct field-name length")
            }
            let namesElement = try element(at: lengthElement.next, in: range)
            let nameBytes = bytes[namesElement.data]
            let fieldCount = nameBytes.count / fieldLength
            let fieldNames = (0..<fieldCount).map { f -> String in
                let slice = nameBytes.dropFirst(f * fieldLength).prefix(fieldLength)
                return String(decoding: slice.prefix { $0 != 0 }, as: UTF8.self)
            }
            cursor = namesElement.next
            var elements: [[MATValue]] = []
            for _ in 0..<count {
                var fields: [MATValue] = []
                for _ in 0..<fieldCount {
                    let e = try element(at: cursor, in: range)
                    guard e.type == Self.miMATRIX else { throw fail("\(what): struct field of type \(e.type)") }
                    fields.append(try matrix(e.data).1)
                    cursor = e.next
                }
                elements.append(fields)
            }
            return (name, .structure(dimensions: dims, fieldNames: fieldNames, elements: elements))
        case 3: throw fail("\(what) is a MATLAB object, which is not supported")
        case 5: throw fail("\(what) is a sparse array, which is not supported")
        default: throw fail("\(what) has unsupported array class \(classID)")
        }
    }
}
