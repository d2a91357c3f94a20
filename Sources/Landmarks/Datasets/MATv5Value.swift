/// One MATLAB value of a Level-5 MAT-file, as far as the DVE datasets need them: numeric and
/// logical arrays, char arrays, cell arrays and struct arrays.
///
/// All arrays keep MATLAB's **column-major** element order and their full dimension list (MATLAB
/// never has fewer than two dimensions), the same view `scipy.io.loadmat` gives with its defaults
/// (`squeeze_me=False`), so reference expressions like `gt[:, :, [1, 0]]` translate index by index.
public indirect enum MATValue: Sendable, Equatable {
    case numeric(MATNumericArray)
    /// A char array; `rows[r]` is row r (for the usual 1×k array, one string).
    case char(dimensions: [Int], rows: [String])
    /// Cells in column-major order.
    case cell(dimensions: [Int], elements: [MATValue])
    /// `elements[i][f]` is field `fieldNames[f]` of struct element i (column-major).
    case structure(dimensions: [Int], fieldNames: [String], elements: [[MATValue]])

    public var dimensions: [Int] {
        switch self {
        case .numeric(let array): array.dimensions
        case .char(let dimensions, _), .cell(let dimensions, _), .structure(let dimensions, _, _): dimensions
        }
    }

    /// Number of elements (product of the dimensions).
    public var elementCount: Int { dimensions.reduce(1, *) }

    /// A short type description for error messages, e.g. `"1×4 double"`, `"1×135 cell"`.
    public var summary: String {
        let dims = dimensions.map(String.init).joined(separator: "×")
        switch self {
        case .numeric(let array): return "\(dims) \(array.matlabClass)"
        case .char: return "\(dims) char"
        case .cell: return "\(dims) cell"
        case .structure(_, let names, _): return "\(dims) struct (fields \(names.joined(separator: ", ")))"
        }
    }

    /// The text of a 1-row char array (scipy's `x[0]` of a char array), else nil.
    public var string: String? {
        if case .char(_, let rows) = self, rows.count == 1 { return rows[0] }
        if case .char(let dims, _) = self, dims.contains(0) { return "" }
        return nil
    }

    /// Field `name` of struct element `index` (column-major), else nil.
    public func field(_ name: String, element index: Int = 0) -> MATValue? {
        guard case .structure(_, let names, let elements) = self, let f = names.firstIndex(of: name),
              elements.indices.contains(index) else { return nil }
        return elements[index][f]
    }
}

/// MATLAB array classes (`mxClassID`) the reader accepts.
public enum MATClass: Int, Sendable, CustomStringConvertible {
    case double = 6, single = 7, int8 = 8, uint8 = 9, int16 = 10, uint16 = 11, int32 = 12, uint32 = 13
    case int64 = 14, uint64 = 15

    public var description: String {
        switch self {
        case .double: "double"
        case .single: "single"
        case .int8: "int8"
        case .uint8: "uint8"
        case .int16: "int16"
        case .uint16: "uint16"
        case .int32: "int32"
        case .uint32: "uint32"
        case .int64: "int64"
        case .uint64: "uint64"
        }
    }
}

/// A real or complex numeric (or logical) array. Values are widened to `Double` whatever the class
/// and whatever narrower type MATLAB chose to store them in (it stores a double array of small
/// integers as `miUINT8`, for instance); 64-bit integers beyond 2^53 lose precision.
public struct MATNumericArray: Sendable, Equatable {
    public var dimensions: [Int]
    public var matlabClass: MATClass
    public var isLogical: Bool
    /// Column-major values.
    public var real: [Double]
    public var imaginary: [Double]?

    public init(dimensions: [Int], matlabClass: MATClass = .double, isLogical: Bool = false, real: [Double],
                imaginary: [Double]? = nil) {
        self.dimensions = dimensions
        self.matlabClass = matlabClass
        self.isLogical = isLogical
        self.real = real
        self.imaginary = imaginary
    }

    /// The column-major offset of a full subscript, or nil when it has the wrong rank or is out of
    /// range.
    public func offset(_ subscripts: [Int]) -> Int? {
        guard subscripts.count == dimensions.count else { return nil }
        var offset = 0, stride = 1
        for (i, n) in zip(subscripts, dimensions) {
            guard i >= 0 && i < n else { return nil }
            offset += i * stride
            stride *= n
        }
        return offset
    }

    /// The real value at a full subscript (`a[i, j, k]` in scipy), nil when out of range.
    public subscript(_ subscripts: Int...) -> Double? {
        offset(subscripts).map { real[$0] }
    }
}
