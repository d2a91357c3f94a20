internal import CHDF5

/// A dataset in an open file, with its shape and element type captured when
/// it was looked up.
///
/// Reads return the elements flat, in row-major (C) order, which is how the
/// golden files store PyTorch tensors. Each read method accepts only stored
/// types it can convert exactly (see the individual methods); anything else
/// is a `typeMismatch` naming the found and requested types, never a silent
/// rounding.
public struct HDF5Dataset: HDF5Object {
    public let file: HDF5File
    public let path: String
    /// Extent per dimension; `[]` for a scalar (0-d) dataset.
    public let shape: [Int]
    public let elementType: HDF5ElementType

    init(file: HDF5File, path: String, shape: [Int], elementType: HDF5ElementType) {
        self.file = file
        self.path = path
        self.shape = shape
        self.elementType = elementType
    }

    /// Number of elements: the product of `shape`, 1 for a scalar.
    public var elementCount: Int { HDF5.elementCount(shape) ?? 0 }

    var location: HDF5Location { HDF5Location(file: file.path, object: path) }

    /// Throws `shapeMismatch` unless the dataset has exactly `expected` shape.
    /// Lets callers fail with the file and object named before comparing numbers.
    public func requireShape(_ expected: [Int]) throws(HDF5Error) {
        guard shape == expected else { throw .shapeMismatch(location, expected: expected, found: shape) }
    }

    /// Stored float32 only: reading float64 into Float would round.
    public func readFloat32() throws(HDF5Error) -> [Float] {
        try withReader { reader throws(HDF5Error) in try reader.float32() }
    }

    /// Stored float32, float64 or integers up to 32 bits (all exact); int64 and
    /// uint64 are accepted when every value is within ±2^53, else `valueOutOfRange`.
    public func readFloat64() throws(HDF5Error) -> [Double] {
        try withReader { reader throws(HDF5Error) in try reader.float64() }
    }

    /// Any stored integer type; uint64 values above Int64.max are `valueOutOfRange`.
    public func readInt64() throws(HDF5Error) -> [Int64] {
        try withReader { reader throws(HDF5Error) in try reader.int64() }
    }

    /// Stored uint8 (how the golden files keep booleans and 8-bit images), or
    /// any integer type whose values all lie in 0...255.
    public func readUInt8() throws(HDF5Error) -> [UInt8] {
        try withReader { reader throws(HDF5Error) in try reader.uint8() }
    }

    /// Fixed-length strings with padding (NULs, or spaces for SPACEPAD)
    /// stripped, or variable-length strings.
    public func readStrings() throws(HDF5Error) -> [String] {
        try withReader { reader throws(HDF5Error) in try reader.strings() }
    }

    private func withReader<T>(_ body: (ElementReader) throws(HDF5Error) -> T) throws(HDF5Error) -> T {
        let location = self.location
        return try HDF5Library.run { () throws(HDF5Error) -> T in
            let dataset = try Objects.open(file: file, path: path, expecting: .dataset)
            let failed = { (stack: HDF5ErrorStack) in HDF5Error.readFailed(location, stack: stack) }
            let type = try OwnedID(H5Dget_type(dataset.raw), or: failed)
            let space = try OwnedID(H5Dget_space(dataset.raw), or: failed)
            let reader = ElementReader(
                id: dataset.raw, isAttribute: false, fileType: type.raw, space: space.raw,
                elementType: HDF5ElementType.classify(type.raw),
                shape: try dataspaceShape(space.raw, or: failed),
                location: location)
            return try body(reader)
        }
    }
}
