internal import CHDF5

/// Attributes hold the configuration of the golden files (sizes, seeds,
/// tolerances, flags), so both groups and datasets expose them the same way.
extension HDF5Object {
    private var location: HDF5Location { HDF5Location(file: file.path, object: path) }

    /// Attribute names sorted by name.
    public func attributeNames() throws(HDF5Error) -> [String] {
        let location = self.location
        return try HDF5Library.run { () throws(HDF5Error) -> [String] in
            let object = try Objects.open(file: file, path: path, expecting: nil)
            return try collectAttributeNames(of: object.raw, at: location)
        }
    }

    /// Whether the object has an attribute called `name`.
    public func hasAttribute(_ name: String) throws(HDF5Error) -> Bool {
        var attributeLocation = location
        attributeLocation.attribute = name
        return try HDF5Library.run { () throws(HDF5Error) -> Bool in
            let object = try Objects.open(file: file, path: path, expecting: nil)
            let exists = H5Aexists(object.raw, name)
            try check(exists) { .readFailed(attributeLocation, stack: $0) }
            return exists > 0
        }
    }

    /// The attribute's value; `attributeNotFound` when absent, `typeMismatch`
    /// for element types HDF5Value cannot hold (compounds, enums, ...).
    public func attribute(_ name: String) throws(HDF5Error) -> HDF5Value {
        var location = self.location
        location.attribute = name
        return try HDF5Library.run { () throws(HDF5Error) -> HDF5Value in
            let object = try Objects.open(file: file, path: path, expecting: nil)
            let failed = { (stack: HDF5ErrorStack) in HDF5Error.readFailed(location, stack: stack) }
            let exists = H5Aexists(object.raw, name)
            try check(exists, or: failed)
            guard exists > 0 else { throw .attributeNotFound(location) }
            let attribute = try OwnedID(H5Aopen(object.raw, name, dve_h5p_default()), or: failed)
            let type = try OwnedID(H5Aget_type(attribute.raw), or: failed)
            let space = try OwnedID(H5Aget_space(attribute.raw), or: failed)
            let shape = try dataspaceShape(space.raw, or: failed)
            let reader = ElementReader(
                id: attribute.raw, isAttribute: true, fileType: type.raw, space: space.raw,
                elementType: HDF5ElementType.classify(type.raw), shape: shape, location: location)
            switch reader.elementType {
            case .float32: return .float32(try reader.float32(), shape: shape)
            case .float64: return .float64(try reader.float64(), shape: shape)
            case .uint8: return .uint8(try reader.uint8(), shape: shape)
            case let type where type.isInteger: return .int64(try reader.int64(), shape: shape)
            case let type where type.isString:
                let strings = try reader.strings()
                return shape.isEmpty ? .string(strings.first ?? "") : .strings(strings, shape: shape)
            case let type:
                throw .typeMismatch(location, found: type, requested: "an attribute value (number or string)")
            }
        }
    }

    /// Sets (or replaces) attribute `name`. Only on files being written.
    public func setAttribute(_ name: String, _ value: HDF5Value) throws(HDF5Error) {
        var location = self.location
        location.attribute = name
        try file.requireWritable()
        guard !name.isEmpty else { throw .invalidArgument(location, detail: "empty attribute name") }
        try HDF5Library.run { () throws(HDF5Error) in
            let object = try Objects.open(file: file, path: path, expecting: nil)
            let failed = { (stack: HDF5ErrorStack) in
                HDF5Error.writeFailed(location, detail: "cannot write attribute", stack: stack)
            }
            let exists = H5Aexists(object.raw, name)
            try check(exists, or: failed)
            if exists > 0 {
                try check(H5Adelete(object.raw, name), or: failed)
            }
            let payload = try Payload.value(value, at: location)
            let space = try makeDataspace(payload.shape, or: failed)
            let attribute = try OwnedID(
                H5Acreate2(object.raw, name, payload.fileType.raw, space.raw, dve_h5p_default(), dve_h5p_default()),
                or: failed)
            try check(payload.write { H5Awrite(attribute.raw, $0, $1) }, or: failed)
        }
    }
}

/// Collects names for `attributeNames()`; outside the generic extension
/// because a C callback cannot capture context and local types cannot nest there.
private final class NameCollector { var names: [String] = [] }

/// Attribute names of an open object in name order. Lock held.
private func collectAttributeNames(of object: hid_t, at location: HDF5Location) throws(HDF5Error) -> [String] {
    let collector = NameCollector()
    let collect: H5A_operator2_t = { _, name, _, context in
        guard let name, let context else { return 0 }
        Unmanaged<NameCollector>.fromOpaque(context).takeUnretainedValue().names.append(String(cString: name))
        return 0
    }
    var index: hsize_t = 0
    let status = withExtendedLifetime(collector) {
        H5Aiterate2(object, H5_INDEX_NAME, H5_ITER_INC, &index, collect,
                    Unmanaged.passUnretained(collector).toOpaque())
    }
    try check(status) { .readFailed(location, stack: $0) }
    return collector.names
}
