/// Element types of PyTorch storages, named by the storage class a pickle references
/// (`torch.FloatStorage` → `.float32`).
public enum TorchDType: String, Sendable, CaseIterable, Equatable {
    case float32, float64, float16, bfloat16, int64, int32, int16, int8, uint8, bool

    public var elementSize: Int {
        switch self {
        case .float64, .int64: 8
        case .float32, .int32: 4
        case .float16, .bfloat16, .int16: 2
        case .int8, .uint8, .bool: 1
        }
    }

    /// The class name in `torch.<name>` (`FloatStorage`, …).
    public var storageClassName: String {
        switch self {
        case .float32: "FloatStorage"
        case .float64: "DoubleStorage"
        case .float16: "HalfStorage"
        case .bfloat16: "BFloat16Storage"
        case .int64: "LongStorage"
        case .int32: "IntStorage"
        case .int16: "ShortStorage"
        case .int8: "CharStorage"
        case .uint8: "ByteStorage"
        case .bool: "BoolStorage"
        }
    }

    public var isFloatingPoint: Bool { [.float32, .float64, .float16, .bfloat16].contains(self) }

    public init?(storageClassName name: String) {
        guard let match = TorchDType.allCases.first(where: { $0.storageClassName == name }) else { return nil }
        self = match
    }
}

/// One storage as the file holds it: `numel` elements of `dtype`, little-endian in `bytes`
/// (big-endian files are swapped on load). Tensors that share a storage in the file share this value,
/// and its byte array, here.
public struct TorchStorage: Sendable, Equatable {
    /// The key the file gives it (a C pointer in legacy files, `"0"`, `"1"`, … in zip files).
    public let key: String
    public let dtype: TorchDType
    public let numel: Int
    /// Where it lived when saved (`"cpu"`, `"cuda:0"`); informational only.
    public let location: String
    public let bytes: [UInt8]

    init(key: String, dtype: TorchDType, numel: Int, location: String, bytes: [UInt8]) {
        self.key = key
        self.dtype = dtype
        self.numel = numel
        self.location = location
        self.bytes = bytes
    }
}

/// A tensor as `_rebuild_tensor_v2` describes it: a strided view of a storage. Element
/// `(i0, …, ik)` is `storage[storageOffset + Σ i_d · stride_d]`.
///
/// Values are read lazily; the accessors return the logical elements in row-major order of `shape`.
/// A tensor built by the reader is validated on construction (every addressed element lies inside the
/// storage), so the accessors cannot fail.
public struct TorchTensor: Sendable, Equatable {
    public let shape: [Int]
    public let stride: [Int]
    public let storageOffset: Int
    public let storage: TorchStorage
    public let requiresGrad: Bool

    public var dtype: TorchDType { storage.dtype }
    public var count: Int { shape.reduce(1, *) }

    /// Built only by the reader (after `TensorGeometry.validate`) and by the contiguous initialisers.
    init(shape: [Int], stride: [Int], storageOffset: Int, storage: TorchStorage, requiresGrad: Bool) {
        self.shape = shape
        self.stride = stride
        self.storageOffset = storageOffset
        self.storage = storage
        self.requiresGrad = requiresGrad
    }

    /// A contiguous float32 tensor owning a storage of exactly its elements (for writing).
    /// `values.count` must equal the product of `shape` (a programming error otherwise).
    public init(float32 values: [Float], shape: [Int], key: String = "0") {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        #if _endian(little)
        // The in-memory floats already are the little-endian bytes: one copy instead of a per-element
        // loop, which unoptimised (test) builds run at a few MB/s on a 50 MB hourglass.
        let bytes = values.withUnsafeBytes { [UInt8]($0) }
        #else
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 4)
        for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes.append(contentsOf: $0) } }
        #endif
        self.init(shape: shape, stride: Self.contiguousStrides(shape), storageOffset: 0,
                  storage: TorchStorage(key: key, dtype: .float32, numel: values.count, location: "cpu", bytes: bytes),
                  requiresGrad: false)
    }

    /// A contiguous int64 tensor owning a storage of exactly its elements (for writing).
    public init(int64 values: [Int64], shape: [Int], key: String = "0") {
        precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not hold \(values.count) values")
        var bytes = [UInt8]()
        bytes.reserveCapacity(values.count * 8)
        for v in values { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
        self.init(shape: shape, stride: Self.contiguousStrides(shape), storageOffset: 0,
                  storage: TorchStorage(key: key, dtype: .int64, numel: values.count, location: "cpu", bytes: bytes),
                  requiresGrad: false)
    }

    public static func contiguousStrides(_ shape: [Int]) -> [Int] {
        var strides = [Int](repeating: 1, count: shape.count)
        var running = 1
        for d in Swift.stride(from: shape.count - 1, through: 0, by: -1) {
            strides[d] = running
            running *= Swift.max(shape[d], 1)
        }
        return strides
    }

    /// Row-major with no gaps, starting at element 0 of a storage of exactly `count` elements.
    public var isCompactAndContiguous: Bool {
        guard storageOffset == 0, storage.numel == count else { return false }
        let expected = Self.contiguousStrides(shape)
        return shape.indices.allSatisfy { shape[$0] <= 1 || stride[$0] == expected[$0] }
    }

    /// Storage element indices of the logical elements, in row-major order.
    public func storageIndices() -> [Int] {
        let n = count
        guard n > 0 else { return [] }
        var result = [Int](repeating: 0, count: n)
        var index = [Int](repeating: 0, count: shape.count)
        var position = storageOffset
        for i in 0..<n {
            result[i] = position
            var d = shape.count - 1
            while d >= 0 {
                index[d] += 1
                position += stride[d]
                if index[d] < shape[d] { break }
                position -= stride[d] * index[d]
                index[d] = 0
                d -= 1
            }
        }
        return result
    }

    /// The raw little-endian bits of storage element `i` (zero-extended).
    @inline(__always)
    func bits(at i: Int) -> UInt64 {
        let size = storage.dtype.elementSize
        return storage.bytes.withUnsafeBytes { raw -> UInt64 in
            switch size {
            case 8: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: i * 8, as: UInt64.self))
            case 4: UInt64(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: i * 4, as: UInt32.self)))
            case 2: UInt64(UInt16(littleEndian: raw.loadUnaligned(fromByteOffset: i * 2, as: UInt16.self)))
            default: UInt64(raw[i])
            }
        }
    }

    /// Every element as a Double: exact for every dtype except int64 beyond ±2^53.
    public func doubles() -> [Double] { storageIndices().map { Self.double(bits: bits(at: $0), dtype: dtype) } }

    /// Every element as a Float: exact for float32, float16, bfloat16 and small integers; float64 is
    /// rounded to nearest.
    public func floats() -> [Float] {
        if dtype == .float32, isCompactAndContiguous {
            return storage.bytes.withUnsafeBytes { raw in
                #if _endian(little)
                // Stored little-endian, so the bytes are the floats: one copy (see `init(float32:shape:key:)`).
                [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
                    UnsafeMutableRawBufferPointer(buffer).copyMemory(from: UnsafeRawBufferPointer(rebasing: raw[0..<(count * 4)]))
                    initialized = count
                }
                #else
                (0..<count).map { Float(bitPattern: UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 4, as: UInt32.self))) }
                #endif
            }
        }
        if dtype == .float32 { return storageIndices().map { Float(bitPattern: UInt32(truncatingIfNeeded: bits(at: $0))) } }
        return storageIndices().map { Float(Self.double(bits: bits(at: $0), dtype: dtype)) }
    }

    /// Every element as an Int64 for integer and bool dtypes; nil for floating-point tensors.
    public func int64s() -> [Int64]? {
        guard !dtype.isFloatingPoint else { return nil }
        return storageIndices().map { Self.integer(bits: bits(at: $0), dtype: dtype) }
    }

    /// The logical elements packed contiguously, little-endian, `dtype.elementSize` bytes each.
    public func contiguousBytes() -> [UInt8] {
        let size = dtype.elementSize
        if isCompactAndContiguous { return storage.bytes }
        var out = [UInt8]()
        out.reserveCapacity(count * size)
        for i in storageIndices() { out.append(contentsOf: storage.bytes[(i * size)..<((i + 1) * size)]) }
        return out
    }

    static func double(bits: UInt64, dtype: TorchDType) -> Double {
        switch dtype {
        case .float32: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits)))
        case .float64: Double(bitPattern: bits)
        case .float16: Double(halfToFloat(UInt16(truncatingIfNeeded: bits)))
        case .bfloat16: Double(Float(bitPattern: UInt32(truncatingIfNeeded: bits) << 16))
        default: Double(integer(bits: bits, dtype: dtype))
        }
    }

    static func integer(bits: UInt64, dtype: TorchDType) -> Int64 {
        switch dtype {
        case .int64: Int64(bitPattern: bits)
        case .int32: Int64(Int32(truncatingIfNeeded: bits))
        case .int16: Int64(Int16(truncatingIfNeeded: bits))
        case .int8: Int64(Int8(truncatingIfNeeded: bits))
        case .uint8: Int64(bits & 0xFF)
        case .bool: bits & 0xFF == 0 ? 0 : 1
        default: Int64(double(bits: bits, dtype: dtype))
        }
    }
}

/// IEEE binary16 → binary32, exact (every half is a float), subnormals and NaN payloads included.
/// Written out rather than using `Float16` so it does not depend on the platform having that type.
func halfToFloat(_ h: UInt16) -> Float {
    let sign = UInt32(h >> 15) << 31
    let exponent = Int((h >> 10) & 0x1F)
    let mantissa = UInt32(h & 0x3FF)
    if exponent == 0x1F { return Float(bitPattern: sign | 0x7F80_0000 | (mantissa << 13)) }
    if exponent == 0 {
        // Subnormal (or zero): mantissa · 2^-24, exact in float.
        let magnitude = Float(mantissa) * Float(sign: .plus, exponent: -24, significand: 1)
        return sign == 0 ? magnitude : -magnitude
    }
    return Float(bitPattern: sign | (UInt32(exponent - 15 + 127) << 23) | (mantissa << 13))
}

extension TorchTensor: CustomStringConvertible {
    public var description: String { "TorchTensor(\(dtype.rawValue), shape: \(shape))" }
}
