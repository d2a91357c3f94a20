internal import CHDF5

/// The stored element type of a dataset or attribute, as far as this module
/// understands it. Byte order is not part of it: HDF5 converts to native
/// order on read, and the golden files are all little-endian anyway.
public enum HDF5ElementType: Equatable, Sendable, CustomStringConvertible {
    case float32, float64
    case int8, int16, int32, int64
    case uint8, uint16, uint32, uint64
    /// Fixed-length string of `length` bytes (NUL- or space-padded).
    case fixedString(length: Int)
    case variableString
    /// Anything else (compound, enum, half floats, ...), described in words.
    case other(String)

    public var description: String {
        switch self {
        case .float32: "float32"
        case .float64: "float64"
        case .int8: "int8"
        case .int16: "int16"
        case .int32: "int32"
        case .int64: "int64"
        case .uint8: "uint8"
        case .uint16: "uint16"
        case .uint32: "uint32"
        case .uint64: "uint64"
        case .fixedString(let length): "fixed-length string (\(length) bytes)"
        case .variableString: "variable-length string"
        case .other(let what): what
        }
    }

    /// True for all integer cases.
    public var isInteger: Bool {
        switch self {
        case .int8, .int16, .int32, .int64, .uint8, .uint16, .uint32, .uint64: true
        default: false
        }
    }

    /// True for integers whose every value is exactly a Double (at most 32 bits).
    var isSmallInteger: Bool {
        switch self {
        case .int8, .int16, .int32, .uint8, .uint16, .uint32: true
        default: false
        }
    }

    var isString: Bool {
        switch self {
        case .fixedString, .variableString: true
        default: false
        }
    }

    /// Classifies an HDF5 datatype. Call with the HDF5 lock held.
    static func classify(_ type: hid_t) -> HDF5ElementType {
        let size = H5Tget_size(type)
        switch H5Tget_class(type) {
        case H5T_INTEGER:
            let signed = H5Tget_sign(type) == H5T_SGN_2
            switch (size, signed) {
            case (1, true): return .int8
            case (2, true): return .int16
            case (4, true): return .int32
            case (8, true): return .int64
            case (1, false): return .uint8
            case (2, false): return .uint16
            case (4, false): return .uint32
            case (8, false): return .uint64
            default: return .other("\(size * 8)-bit integer")
            }
        case H5T_FLOAT:
            // A 4- or 8-byte float is only IEEE binary32/64 if its layout says so.
            var spos = 0, epos = 0, esize = 0, mpos = 0, msize = 0
            H5Tget_fields(type, &spos, &epos, &esize, &mpos, &msize)
            if size == 4 && esize == 8 && msize == 23 { return .float32 }
            if size == 8 && esize == 11 && msize == 52 { return .float64 }
            return .other("\(size * 8)-bit float")
        case H5T_STRING:
            if H5Tis_variable_str(type) > 0 { return .variableString }
            return .fixedString(length: size)
        case H5T_COMPOUND: return .other("compound")
        case H5T_ENUM: return .other("enum")
        case H5T_ARRAY: return .other("array")
        case H5T_VLEN: return .other("variable-length sequence")
        case H5T_OPAQUE: return .other("opaque")
        case H5T_BITFIELD: return .other("bitfield")
        case H5T_REFERENCE: return .other("reference")
        case H5T_TIME: return .other("time")
        default:
            HDF5Library.clearErrorStack()
            return .other("unknown type")
        }
    }
}
