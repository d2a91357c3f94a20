internal import CHDF5
internal import Foundation

/// Reads the elements of one open dataset or attribute with the conversion
/// rules of this module. Shared so datasets and attributes behave the same.
///
/// Conversion rule: a read succeeds only if every stored value is represented
/// exactly in the requested Swift type. Widening (float32→Double, int32→Int64)
/// is done; narrowing or rounding (float64→Float, int64 beyond 2^53→Double) is
/// refused with `typeMismatch`/`valueOutOfRange`, because a silently rounded
/// golden value would turn into a mysterious tolerance failure later.
///
/// Only valid with the HDF5 lock held and while the borrowed IDs are open.
struct ElementReader {
    let id: hid_t
    let isAttribute: Bool
    let fileType: hid_t
    let space: hid_t
    let elementType: HDF5ElementType
    let shape: [Int]
    let location: HDF5Location

    /// The elements the dataspace declares. A shape whose product overflows is refused: counted as
    /// zero it read as empty, and a caller that multiplied the shape itself trapped (a picture
    /// found by the hdf5 fuzz target).
    private func declaredCount() throws(HDF5Error) -> Int {
        guard let count = elementCount(shape) else {
            throw .valueOutOfRange(location, detail: "its shape \(shape) has more elements than can be counted")
        }
        return count
    }

    private func mismatch(_ requested: String) -> HDF5Error {
        .typeMismatch(location, found: elementType, requested: requested)
    }

    private func failed(_ stack: HDF5ErrorStack) -> HDF5Error {
        .readFailed(location, stack: stack)
    }

    /// The bytes `elements` values of `size` bytes take in memory. A damaged or hostile file can
    /// declare any dataspace and string length; a product that overflows, or an allocation larger
    /// than the machine's memory (which would end the process instead of failing), is refused.
    private func checkedBytes(elements: Int, size: Int) throws(HDF5Error) -> Int {
        let (bytes, overflow) = elements.multipliedReportingOverflow(by: size)
        guard !overflow, bytes >= 0, UInt64(bytes) <= ProcessInfo.processInfo.physicalMemory else {
            throw .valueOutOfRange(location, detail: "declares \(elements) elements of \(size) bytes, more than this machine's memory")
        }
        return bytes
    }

    /// Deflate, the strongest filter in HDF5's standard set, expands at most 1 032 to 1.
    private static let largestExpansionOfAFilter: UInt64 = 1_032

    /// A dataspace is only a declaration, and so is a layout's storage size: a few hundred bytes can
    /// declare gigabytes, which the read would allocate and fill before libhdf5 noticed that the
    /// file does not hold them (the hdf5 fuzz target met 14.8 GB declared as a string dataspace
    /// and 524 GB as a storage size, in files of 15 and 5 KB). What the file really holds bounds
    /// what a read may return: the storage the object declares, at most the file's size, or with a
    /// filter (compression) at most `largestExpansionOfAFilter` times that. DVEBench writes every
    /// dataset whole, so a dataset that relies on fill values for its unwritten part is refused
    /// too, and so is one whose data lives in other files (external storage, virtual datasets):
    /// a file from elsewhere must not make DVEBench read files of this machine.
    private func checkDeclaredBytesAreStored() throws(HDF5Error) {
        let elements = try declaredCount()
        guard elements > 0 else { return }
        defer { HDF5Library.clearErrorStack() }
        let typeSize = UInt64(H5Tget_size(fileType))
        let (declared, overflow) = UInt64(elements).multipliedReportingOverflow(by: typeSize)
        var fileSize: hsize_t = 0
        let file = H5Iget_file_id(id)
        if file >= 0 {
            _ = H5Fget_filesize(file, &fileSize)
            H5Fclose(file)
        }
        let stored = min(UInt64(isAttribute ? H5Aget_storage_size(id) : H5Dget_storage_size(id)), UInt64(fileSize))
        var limit = stored
        if !isAttribute {
            let creation = H5Dget_create_plist(id)
            guard creation >= 0 else { throw .readFailed(location, stack: HDF5Library.takeErrorStack()) }
            defer { H5Pclose(creation) }
            if H5Pget_external_count(creation) > 0 || H5Pget_layout(creation) == H5D_VIRTUAL {
                throw .invalidArgument(location, detail: "keeps its data outside this file (external storage or a virtual dataset)")
            }
            if H5Pget_nfilters(creation) > 0 {
                limit = stored.multipliedReportingOverflow(by: Self.largestExpansionOfAFilter).partialValue
            }
        }
        guard !overflow, declared <= limit else {
            throw .valueOutOfRange(location, detail: "declares \(elements) elements of \(typeSize) bytes, but the file stores \(stored) bytes for it")
        }
    }

    private func rawRead(_ memType: hid_t, _ buffer: UnsafeMutableRawPointer) -> herr_t {
        isAttribute
            ? H5Aread(id, memType, buffer)
            : H5Dread(id, memType, dve_h5s_all(), dve_h5s_all(), dve_h5p_default(), buffer)
    }

    /// Reads all elements converted by HDF5 to `memType`, whose Swift layout is `T`.
    private func native<T: BitwiseCopyable>(_ memType: hid_t, as type: T.Type) throws(HDF5Error) -> [T] {
        try native(memType, as: type, elements: try declaredCount())
    }

    func float32() throws(HDF5Error) -> [Float] {
        guard elementType == .float32 else { throw mismatch("float32") }
        return try native(dve_h5t_native_float(), as: Float.self)
    }

    func float64() throws(HDF5Error) -> [Double] {
        switch elementType {
        case .float32, .float64:
            return try native(dve_h5t_native_double(), as: Double.self)
        case _ where elementType.isSmallInteger:
            return try native(dve_h5t_native_double(), as: Double.self)
        case .int64, .uint64:
            let exactLimit: Int64 = 1 << 53
            let ints = try int64()
            if let bad = ints.first(where: { $0 > exactLimit || $0 < -exactLimit }) {
                throw .valueOutOfRange(location, detail: "\(elementType) value \(bad) is not exactly representable as float64")
            }
            return ints.map(Double.init)
        default:
            throw mismatch("float64 (from float32, float64 or an integer type)")
        }
    }

    func int64() throws(HDF5Error) -> [Int64] {
        switch elementType {
        case .uint64:
            let values = try native(dve_h5t_native_uint64(), as: UInt64.self)
            if let bad = values.first(where: { $0 > UInt64(Int64.max) }) {
                throw .valueOutOfRange(location, detail: "uint64 value \(bad) does not fit in int64")
            }
            return values.map { Int64($0) }
        case _ where elementType.isInteger:
            return try native(dve_h5t_native_int64(), as: Int64.self)
        default:
            throw mismatch("int64 (from an integer type)")
        }
    }

    func uint8() throws(HDF5Error) -> [UInt8] {
        if elementType == .uint8 {
            return try native(dve_h5t_native_uint8(), as: UInt8.self)
        }
        guard elementType.isInteger else { throw mismatch("uint8 (from an integer type)") }
        let values = try int64()
        if let bad = values.first(where: { $0 < 0 || $0 > 255 }) {
            throw .valueOutOfRange(location, detail: "\(elementType) value \(bad) does not fit in uint8")
        }
        return values.map { UInt8($0) }
    }

    func strings() throws(HDF5Error) -> [String] {
        switch elementType {
        case .fixedString(let length): return try fixedStrings(length: length)
        case .variableString: return try variableStrings()
        default: throw mismatch("strings")
        }
    }

    /// Reads with a copy of the stored type so HDF5 does no conversion, then
    /// strips padding: the value ends at the first NUL (NULLPAD/NULLTERM) and
    /// trailing spaces are dropped for SPACEPAD.
    private func fixedStrings(length: Int) throws(HDF5Error) -> [String] {
        let count = try declaredCount()
        _ = try checkedBytes(elements: count, size: MemoryLayout<String>.stride)
        guard count > 0, length > 0 else { return [String](repeating: "", count: count) }
        let memType = try OwnedID(H5Tcopy(fileType), or: failed)
        let spacePadded = H5Tget_strpad(fileType) == H5T_STR_SPACEPAD
        let bytes = try native(memType.raw, as: UInt8.self, elements: try checkedBytes(elements: count, size: length))
        return (0..<count).map { index in
            var slice = bytes[(index * length)..<((index + 1) * length)]
            if let nul = slice.firstIndex(of: 0) { slice = slice[..<nul] }
            if spacePadded {
                while let last = slice.last, last == 0x20 { slice = slice.dropLast() }
            }
            return String(decoding: slice, as: UTF8.self)
        }
    }

    private func variableStrings() throws(HDF5Error) -> [String] {
        let count = try declaredCount()
        guard count > 0 else { return [] }
        try checkDeclaredBytesAreStored()
        _ = try checkedBytes(elements: count, size: MemoryLayout<String>.stride)
        let memType = try OwnedID(H5Tcopy(dve_h5t_c_s1()), or: failed)
        try check(H5Tset_size(memType.raw, dve_h5t_variable()), or: failed)
        try check(H5Tset_cset(memType.raw, H5Tget_cset(fileType)), or: failed)
        var pointers = [UnsafeMutablePointer<CChar>?](repeating: nil, count: count)
        let status = pointers.withUnsafeMutableBytes { rawRead(memType.raw, $0.baseAddress!) }
        try check(status, or: failed)
        let strings = pointers.map { $0.map { String(cString: $0) } ?? "" }
        _ = pointers.withUnsafeMutableBytes { dve_h5_vlen_reclaim(memType.raw, space, $0.baseAddress!) }
        HDF5Library.clearErrorStack()
        return strings
    }

    private func native<T: BitwiseCopyable>(_ memType: hid_t, as _: T.Type, elements: Int) throws(HDF5Error) -> [T] {
        guard elements > 0 else { return [] }
        try checkDeclaredBytesAreStored()
        let byteCount = try checkedBytes(elements: elements, size: MemoryLayout<T>.stride)
        var status: herr_t = 0
        let values = [T](unsafeUninitializedCapacity: elements) { buffer, initialised in
            // Zero first so a failed read never exposes uninitialised memory.
            let raw = UnsafeMutableRawPointer(buffer.baseAddress!)
            memset(raw, 0, byteCount)
            status = rawRead(memType, raw)
            initialised = elements
        }
        try check(status, or: failed)
        return values
    }
}
