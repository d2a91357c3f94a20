internal import CHDF5

/// Writing into a file from `HDF5File.create(at:)` / `HDF5File.write(to:)`.
///
/// Datasets are contiguous, unfiltered and little-endian, matching the golden
/// files so the same readers handle both. Names may be nested ("a/b/c");
/// missing intermediate groups are created. Existing objects are never
/// overwritten: that would usually mean two results collided under one name.
extension HDF5Group {
    /// Creates group `name` (and any missing parents).
    @discardableResult
    public func createGroup(_ name: String) throws(HDF5Error) -> HDF5Group {
        let target = try writableTarget(name)
        let location = HDF5Location(file: file.path, object: target)
        try HDF5Library.run { () throws(HDF5Error) in
            let fileID = try file.openID()
            if Objects.kind(fileID: fileID, path: target) != nil { throw .alreadyExists(location) }
            let failed = { (stack: HDF5ErrorStack) in HDF5Error.writeFailed(location, detail: "cannot create group", stack: stack) }
            let linkList = try intermediateGroupsList(or: failed)
            _ = try OwnedID(H5Gcreate2(fileID, target, linkList.raw, dve_h5p_default(), dve_h5p_default()), or: failed)
        }
        return HDF5Group(file: file, path: target)
    }

    @discardableResult
    public func write(_ name: String, float32 values: [Float], shape: [Int]) throws(HDF5Error) -> HDF5Dataset {
        try writeDataset(name) { location throws(HDF5Error) in
            try Payload.numeric(values, shape: shape, fileType: dve_h5t_ieee_f32le(), memoryType: dve_h5t_native_float(), at: location)
        }
    }

    @discardableResult
    public func write(_ name: String, float64 values: [Double], shape: [Int]) throws(HDF5Error) -> HDF5Dataset {
        try writeDataset(name) { location throws(HDF5Error) in
            try Payload.numeric(values, shape: shape, fileType: dve_h5t_ieee_f64le(), memoryType: dve_h5t_native_double(), at: location)
        }
    }

    @discardableResult
    public func write(_ name: String, int64 values: [Int64], shape: [Int]) throws(HDF5Error) -> HDF5Dataset {
        try writeDataset(name) { location throws(HDF5Error) in
            try Payload.numeric(values, shape: shape, fileType: dve_h5t_std_i64le(), memoryType: dve_h5t_native_int64(), at: location)
        }
    }

    @discardableResult
    public func write(_ name: String, uint8 values: [UInt8], shape: [Int]) throws(HDF5Error) -> HDF5Dataset {
        try writeDataset(name) { location throws(HDF5Error) in
            try Payload.numeric(values, shape: shape, fileType: dve_h5t_std_u8le(), memoryType: dve_h5t_native_uint8(), at: location)
        }
    }

    /// Fixed-length NUL-padded strings, as long as the longest value (at least 1).
    @discardableResult
    public func write(_ name: String, strings values: [String], shape: [Int]) throws(HDF5Error) -> HDF5Dataset {
        try writeDataset(name) { location throws(HDF5Error) in
            try Payload.strings(values, shape: shape, at: location)
        }
    }

    /// Resolves `name` for writing; rejects read-only files and empty names.
    private func writableTarget(_ name: String) throws(HDF5Error) -> String {
        try file.requireWritable()
        let target = ObjectPath.join(path, name)
        guard !ObjectPath.components(name).isEmpty, !ObjectPath.components(name).contains("..") else {
            throw .invalidArgument(location(name), detail: "'\(name)' is not a usable object name")
        }
        return target
    }

    private func writeDataset(
        _ name: String, _ makePayload: (HDF5Location) throws(HDF5Error) -> Payload
    ) throws(HDF5Error) -> HDF5Dataset {
        let target = try writableTarget(name)
        let location = HDF5Location(file: file.path, object: target)
        return try HDF5Library.run { () throws(HDF5Error) -> HDF5Dataset in
            let fileID = try file.openID()
            if Objects.kind(fileID: fileID, path: target) != nil { throw .alreadyExists(location) }
            let payload = try makePayload(location)
            let failed = { (stack: HDF5ErrorStack) in HDF5Error.writeFailed(location, detail: "cannot write dataset", stack: stack) }
            let space = try makeDataspace(payload.shape, or: failed)
            let linkList = try intermediateGroupsList(or: failed)
            let dataset = try OwnedID(
                H5Dcreate2(fileID, target, payload.fileType.raw, space.raw, linkList.raw, dve_h5p_default(), dve_h5p_default()),
                or: failed)
            try check(payload.write { H5Dwrite(dataset.raw, $0, dve_h5s_all(), dve_h5s_all(), dve_h5p_default(), $1) }, or: failed)
            return HDF5Dataset(file: file, path: target, shape: payload.shape,
                               elementType: HDF5ElementType.classify(payload.fileType.raw))
        }
    }

    private func intermediateGroupsList(or failed: (HDF5ErrorStack) -> HDF5Error) throws(HDF5Error) -> OwnedID {
        let list = try OwnedID(H5Pcreate(dve_h5p_link_create()), or: failed)
        try check(H5Pset_create_intermediate_group(list.raw, 1), or: failed)
        return list
    }
}
