internal import CHDF5
internal import Foundation

extension HDF5Group {
    /// Writes variable-length UTF-8 strings (what h5py writes for Python `str`).
    ///
    /// Internal on purpose: results are written as fixed-length strings like
    /// the golden files, but `readStrings()` also accepts variable-length ones
    /// from other tools, and this lets the tests produce such a file.
    func writeVariableLengthStrings(_ name: String, _ values: [String], shape: [Int]) throws(HDF5Error) {
        try file.requireWritable()
        let target = ObjectPath.join(path, name)
        let location = HDF5Location(file: file.path, object: target)
        try Payload.validate(count: values.count, shape: shape, at: location)
        try HDF5Library.run { () throws(HDF5Error) in
            let fileID = try file.openID()
            let failed = { (stack: HDF5ErrorStack) in HDF5Error.writeFailed(location, detail: "cannot write strings", stack: stack) }
            let type = try OwnedID(H5Tcopy(dve_h5t_c_s1()), or: failed)
            try check(H5Tset_size(type.raw, dve_h5t_variable()), or: failed)
            try check(H5Tset_cset(type.raw, H5T_CSET_UTF8), or: failed)
            let space = try makeDataspace(shape, or: failed)
            let dataset = try OwnedID(
                H5Dcreate2(fileID, target, type.raw, space.raw, dve_h5p_default(), dve_h5p_default(), dve_h5p_default()),
                or: failed)
            // strdup'd copies give HDF5 stable C strings for the duration of the call.
            let pointers = values.map { strdup($0) }
            defer { pointers.forEach { free($0) } }
            let status = pointers.withUnsafeBytes {
                H5Dwrite(dataset.raw, type.raw, dve_h5s_all(), dve_h5s_all(), dve_h5p_default(), $0.baseAddress)
            }
            try check(status, or: failed)
        }
    }
}
