internal import CHDF5

/// Something inside an HDF5 file that can carry attributes: a group or a dataset.
public protocol HDF5Object: Sendable {
    /// The file this object belongs to; kept alive by the object.
    var file: HDF5File { get }
    /// Absolute object path inside the file, "/" for the root group.
    var path: String { get }
}

/// A group in an open file.
///
/// A value type holding just the file and a path: HDF5 object IDs are opened
/// and closed inside each call, so no C handle ever escapes the lock, and a
/// group value stays valid (and cheap to pass between threads) for as long as
/// its file is open.
public struct HDF5Group: HDF5Object {
    public let file: HDF5File
    public let path: String

    init(file: HDF5File, path: String) {
        self.file = file
        self.path = path
    }

    /// Location of `relativePath` below this group, for errors.
    func location(_ relativePath: String) -> HDF5Location {
        HDF5Location(file: file.path, object: ObjectPath.join(path, relativePath))
    }

    /// Names of all direct children (groups, datasets, named types), sorted by
    /// name in byte order as HDF5's name index keeps them.
    public func childNames() throws(HDF5Error) -> [String] {
        try children().map(\.name)
    }

    /// Names of direct children that are groups, sorted by name.
    public func groupNames() throws(HDF5Error) -> [String] {
        try children().filter { $0.kind == .group }.map(\.name)
    }

    /// Names of direct children that are datasets, sorted by name.
    public func datasetNames() throws(HDF5Error) -> [String] {
        try children().filter { $0.kind == .dataset }.map(\.name)
    }

    /// Whether `relativePath` (possibly nested, "a/b/c") names an existing
    /// object. Never throws: a closed file or a path through a dataset simply
    /// answers false.
    public func contains(_ relativePath: String) -> Bool {
        (try? kind(of: relativePath)) != nil
    }

    /// The kind of object at `relativePath`, or nil when there is none.
    public func kind(of relativePath: String) throws(HDF5Error) -> HDF5ObjectKind? {
        let target = ObjectPath.join(path, relativePath)
        return try HDF5Library.run { () throws(HDF5Error) -> HDF5ObjectKind? in
            Objects.kind(fileID: try file.openID(), path: target)
        }
    }

    /// The group at `relativePath`; `objectNotFound` or `wrongKind` otherwise.
    public func group(_ relativePath: String) throws(HDF5Error) -> HDF5Group {
        let target = ObjectPath.join(path, relativePath)
        try HDF5Library.run { () throws(HDF5Error) in
            _ = try Objects.open(file: file, path: target, expecting: .group)
        }
        return HDF5Group(file: file, path: target)
    }

    /// The dataset at `relativePath` with its shape and element type already
    /// read; `objectNotFound` or `wrongKind` otherwise.
    public func dataset(_ relativePath: String) throws(HDF5Error) -> HDF5Dataset {
        let target = ObjectPath.join(path, relativePath)
        return try HDF5Library.run { () throws(HDF5Error) -> HDF5Dataset in
            let dataset = try Objects.open(file: file, path: target, expecting: .dataset)
            let location = HDF5Location(file: file.path, object: target)
            let failed = { (stack: HDF5ErrorStack) in HDF5Error.readFailed(location, stack: stack) }
            let type = try OwnedID(H5Dget_type(dataset.raw), or: failed)
            let space = try OwnedID(H5Dget_space(dataset.raw), or: failed)
            return HDF5Dataset(
                file: file, path: target,
                shape: try dataspaceShape(space.raw, or: failed),
                elementType: HDF5ElementType.classify(type.raw))
        }
    }

    private func children() throws(HDF5Error) -> [(name: String, kind: HDF5ObjectKind?)] {
        try HDF5Library.run { () throws(HDF5Error) -> [(name: String, kind: HDF5ObjectKind?)] in
            let group = try Objects.open(file: file, path: path, expecting: .group)
            let location = HDF5Location(file: file.path, object: path)
            let failed = { (stack: HDF5ErrorStack) in HDF5Error.readFailed(location, stack: stack) }
            var info = H5G_info_t()
            try check(H5Gget_info(group.raw, &info), or: failed)
            var result: [(name: String, kind: HDF5ObjectKind?)] = []
            for index in 0..<info.nlinks {
                let length = H5Lget_name_by_idx(group.raw, ".", H5_INDEX_NAME, H5_ITER_INC, index, nil, 0, dve_h5p_default())
                guard length >= 0 else { throw failed(HDF5Library.takeErrorStack()) }
                var buffer = [CChar](repeating: 0, count: Int(length) + 1)
                guard H5Lget_name_by_idx(group.raw, ".", H5_INDEX_NAME, H5_ITER_INC, index, &buffer, buffer.count, dve_h5p_default()) >= 0 else {
                    throw failed(HDF5Library.takeErrorStack())
                }
                let name = String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
                result.append((name, Objects.kind(fileID: group.raw, path: name)))
            }
            return result
        }
    }
}

/// Path resolution shared by groups, datasets and attributes. Lock held.
enum Objects {
    /// Kind of the object at `path` (absolute, or relative to `fileID` if it
    /// is a group ID), or nil if it does not exist. Checks each prefix with
    /// H5Lexists first, because HDF5 treats a missing intermediate group as an
    /// error rather than "not found".
    static func kind(fileID: hid_t, path: String) -> HDF5ObjectKind? {
        if ObjectPath.components(path).isEmpty && path.hasPrefix("/") { return .group }
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in ObjectPath.components(path) {
            prefix += "/" + component
            guard H5Lexists(fileID, prefix, dve_h5p_default()) > 0 else {
                HDF5Library.clearErrorStack()
                return nil
            }
        }
        let object = H5Oopen(fileID, prefix, dve_h5p_default())
        guard object >= 0 else {
            // A dangling soft or external link: the name exists, the object does not.
            HDF5Library.clearErrorStack()
            return nil
        }
        defer { H5Oclose(object) }
        switch H5Iget_type(object) {
        case H5I_GROUP: return .group
        case H5I_DATASET: return .dataset
        case H5I_DATATYPE: return .namedDatatype
        default: return .other
        }
    }

    /// Opens the object at absolute `path`, checking that it exists and has
    /// the expected kind (nil: any kind).
    static func open(file: HDF5File, path: String, expecting expected: HDF5ObjectKind?) throws(HDF5Error) -> OwnedID {
        let fileID = try file.openID()
        let location = HDF5Location(file: file.path, object: path)
        guard let found = kind(fileID: fileID, path: path) else { throw .objectNotFound(location) }
        if let expected, found != expected {
            throw .wrongKind(location, expected: expected, found: found)
        }
        return try OwnedID(H5Oopen(fileID, path, dve_h5p_default())) { .readFailed(location, stack: $0) }
    }
}
