internal import CHDF5

/// Elements ready to hand to H5Dwrite/H5Awrite: the type to store them as,
/// the memory layout of `bytes`, and the shape. Built and used under the lock.
struct Payload: ~Copyable {
    /// Stored (file) type; owned so string types can be built per payload.
    let fileType: OwnedID
    /// Layout of `bytes`; nil means identical to `fileType` (strings).
    let memoryType: hid_t?
    let shape: [Int]
    let bytes: [UInt8]

    var elementCount: Int { HDF5.elementCount(shape) ?? 0 }

    /// Checks that `count` values fill `shape` exactly, so a caller's wrong
    /// shape is reported instead of writing a tensor HDF5 would misread.
    static func validate(count: Int, shape: [Int], at location: HDF5Location) throws(HDF5Error) {
        guard let expected = HDF5.elementCount(shape) else {
            throw .invalidArgument(location, detail: "shape \(shape) has a negative extent or is too large")
        }
        guard expected == count else {
            throw .invalidArgument(location, detail: "\(count) values given for shape \(shape) (\(expected) elements)")
        }
    }

    /// Little-endian `fileType` (a predefined type, copied) from native `values`.
    static func numeric<T: BitwiseCopyable>(
        _ values: [T], shape: [Int], fileType: hid_t, memoryType: hid_t, at location: HDF5Location
    ) throws(HDF5Error) -> Payload {
        try validate(count: values.count, shape: shape, at: location)
        let type = try OwnedID(H5Tcopy(fileType)) { .writeFailed(location, detail: "creating the element type", stack: $0) }
        let bytes = values.withUnsafeBytes { Array($0) }
        return Payload(fileType: type, memoryType: memoryType, shape: shape, bytes: bytes)
    }

    /// Fixed-length, NUL-padded strings as long as the longest value (at least
    /// one byte, which HDF5 requires). ASCII unless a value needs UTF-8.
    static func strings(_ values: [String], shape: [Int], at location: HDF5Location) throws(HDF5Error) -> Payload {
        try validate(count: values.count, shape: shape, at: location)
        let encoded = values.map { Array($0.utf8) }
        if let bad = values.first(where: { $0.utf8.contains(0) }) {
            throw .invalidArgument(location, detail: "string \(bad.debugDescription) contains a NUL byte, which NUL padding cannot preserve")
        }
        let length = max(1, encoded.map(\.count).max() ?? 0)
        let isASCII = encoded.allSatisfy { $0.allSatisfy { $0 < 0x80 } }
        let failed = { (stack: HDF5ErrorStack) in
            HDF5Error.writeFailed(location, detail: "creating a \(length)-byte string type", stack: stack)
        }
        let type = try OwnedID(H5Tcopy(dve_h5t_c_s1()), or: failed)
        try check(H5Tset_size(type.raw, length), or: failed)
        try check(H5Tset_strpad(type.raw, H5T_STR_NULLPAD), or: failed)
        try check(H5Tset_cset(type.raw, isASCII ? H5T_CSET_ASCII : H5T_CSET_UTF8), or: failed)
        var bytes = [UInt8](repeating: 0, count: length * values.count)
        for (index, value) in encoded.enumerated() {
            bytes.replaceSubrange((index * length)..<(index * length + value.count), with: value)
        }
        return Payload(fileType: type, memoryType: nil, shape: shape, bytes: bytes)
    }

    /// The payload for an attribute value.
    static func value(_ value: HDF5Value, at location: HDF5Location) throws(HDF5Error) -> Payload {
        switch value {
        case .int64(let values, let shape):
            return try numeric(values, shape: shape, fileType: dve_h5t_std_i64le(), memoryType: dve_h5t_native_int64(), at: location)
        case .float64(let values, let shape):
            return try numeric(values, shape: shape, fileType: dve_h5t_ieee_f64le(), memoryType: dve_h5t_native_double(), at: location)
        case .float32(let values, let shape):
            return try numeric(values, shape: shape, fileType: dve_h5t_ieee_f32le(), memoryType: dve_h5t_native_float(), at: location)
        case .uint8(let values, let shape):
            return try numeric(values, shape: shape, fileType: dve_h5t_std_u8le(), memoryType: dve_h5t_native_uint8(), at: location)
        case .string(let value):
            return try strings([value], shape: [], at: location)
        case .strings(let values, let shape):
            return try strings(values, shape: shape, at: location)
        }
    }

    /// Passes `bytes` with its memory type to an H5Dwrite/H5Awrite call.
    /// Empty payloads skip the call: there is nothing to transfer.
    func write(_ call: (hid_t, UnsafeRawPointer) -> herr_t) -> herr_t {
        guard elementCount > 0 else { return 0 }
        let memoryType = self.memoryType ?? fileType.raw
        return bytes.withUnsafeBytes { call(memoryType, $0.baseAddress!) }
    }
}
