/// The value of an attribute.
///
/// Attributes in the golden files are configuration: int64 and float64
/// scalars, fixed-length strings, small 1-D arrays and uint8 booleans. The
/// cases keep the stored kind (so a written value reads back equal); the
/// accessors below do the exact conversions a caller usually wants.
/// Integer attributes of other widths are read as `.int64`.
public enum HDF5Value: Equatable, Sendable {
    case int64([Int64], shape: [Int])
    case float64([Double], shape: [Int])
    case float32([Float], shape: [Int])
    case uint8([UInt8], shape: [Int])
    /// A scalar string.
    case string(String)
    /// An array of strings (fixed-length when written).
    case strings([String], shape: [Int])

    /// A scalar of each kind, for writing.
    public static func int64(_ value: Int64) -> HDF5Value { .int64([value], shape: []) }
    public static func float64(_ value: Double) -> HDF5Value { .float64([value], shape: []) }
    public static func float32(_ value: Float) -> HDF5Value { .float32([value], shape: []) }
    public static func uint8(_ value: UInt8) -> HDF5Value { .uint8([value], shape: []) }
    /// A boolean stored as uint8 0/1, the golden files' convention.
    public static func bool(_ value: Bool) -> HDF5Value { .uint8([value ? 1 : 0], shape: []) }
    /// A 1-D array of each kind, for writing.
    public static func int64(_ values: [Int64]) -> HDF5Value { .int64(values, shape: [values.count]) }
    public static func float64(_ values: [Double]) -> HDF5Value { .float64(values, shape: [values.count]) }
    public static func strings(_ values: [String]) -> HDF5Value { .strings(values, shape: [values.count]) }

    /// `[]` for scalars.
    public var shape: [Int] {
        switch self {
        case .int64(_, let shape), .float64(_, let shape), .float32(_, let shape),
             .uint8(_, let shape), .strings(_, let shape):
            return shape
        case .string:
            return []
        }
    }

    /// The single integer of a one-element integer value (int64 or uint8).
    public var intValue: Int64? {
        switch self {
        case .int64(let values, _): return values.count == 1 ? values[0] : nil
        case .uint8(let values, _): return values.count == 1 ? Int64(values[0]) : nil
        default: return nil
        }
    }

    /// The single number of a one-element numeric value, when it is exactly a
    /// Double (all floats; integers within ±2^53).
    public var doubleValue: Double? {
        guard let values = doubleArray, values.count == 1 else { return nil }
        return values[0]
    }

    /// A one-element uint8 or int64 value that is 0 or 1.
    public var boolValue: Bool? {
        switch intValue {
        case 0: return false
        case 1: return true
        default: return nil
        }
    }

    /// A scalar string, or a one-element string array.
    public var stringValue: String? {
        switch self {
        case .string(let value): return value
        case .strings(let values, _): return values.count == 1 ? values[0] : nil
        default: return nil
        }
    }

    /// All elements of an integer value (int64 or uint8), row-major.
    public var int64Array: [Int64]? {
        switch self {
        case .int64(let values, _): return values
        case .uint8(let values, _): return values.map(Int64.init)
        default: return nil
        }
    }

    /// All elements of a numeric value as Double, if every one converts exactly.
    public var doubleArray: [Double]? {
        switch self {
        case .float64(let values, _): return values
        case .float32(let values, _): return values.map(Double.init)
        case .uint8(let values, _): return values.map(Double.init)
        case .int64(let values, _):
            let limit: Int64 = 1 << 53
            guard values.allSatisfy({ $0 >= -limit && $0 <= limit }) else { return nil }
            return values.map(Double.init)
        default: return nil
        }
    }

    /// All elements of a string value (a scalar string gives one element).
    public var stringArray: [String]? {
        switch self {
        case .string(let value): return [value]
        case .strings(let values, _): return values
        default: return nil
        }
    }
}
