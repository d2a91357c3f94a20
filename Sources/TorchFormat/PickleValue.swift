/// What a pickle decodes to: plain data only. Python objects of allow-listed placeholder classes
/// (`parse_config.ConfigParser`, `pathlib.PosixPath`, `argparse.Namespace`, …) become inert
/// `PickledObject` records holding their constructor arguments and `BUILD` state; nothing of theirs is
/// ever run.
///
/// The value is a tree (shared references in the pickle are shared copies here) of bounded depth
/// (`TorchReadLimits.maxNesting`), so walking it recursively is safe.
public indirect enum PickleValue: Sendable, Equatable {
    case none
    case bool(Bool)
    case int(Int64)
    /// An integer outside Int64, as decimal digits (with a leading `-` when negative). The legacy
    /// magic number `0x1950a86a20f9469cfc6c` is one.
    case bigInt(String)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case list([PickleValue])
    case tuple([PickleValue])
    case set([PickleValue])
    case dict(PickleDictionary)
    case tensor(TorchTensor)
    case object(PickledObject)
    /// An allow-listed class or function referenced but not called (`torch.FloatStorage` as a value).
    case global(String)

    public subscript(key: String) -> PickleValue? {
        if case .dict(let d) = self { return d[key] }
        return nil
    }

    /// Follows string keys through nested dictionaries: `config.lookup("arch", "args", "num_output_channels")`.
    public func lookup(_ path: String...) -> PickleValue? {
        var current: PickleValue? = self
        for key in path { current = current?[key] }
        return current
    }

    public var string: String? { if case .string(let s) = self { return s }; return nil }
    public var int: Int64? { if case .int(let i) = self { return i }; return nil }
    public var bool: Bool? { if case .bool(let b) = self { return b }; return nil }
    public var tensor: TorchTensor? { if case .tensor(let t) = self { return t }; return nil }
    public var dictionary: PickleDictionary? { if case .dict(let d) = self { return d }; return nil }
    public var object: PickledObject? { if case .object(let o) = self { return o }; return nil }

    /// Ints and floats as a Double (Python treats both as numbers in configs).
    public var number: Double? {
        switch self {
        case .int(let i): Double(i)
        case .float(let f): f
        default: nil
        }
    }

    /// The elements of a list, tuple or set.
    public var elements: [PickleValue]? {
        switch self {
        case .list(let e), .tuple(let e), .set(let e): e
        default: nil
        }
    }

    /// Python's name for the value's type, for messages and tables.
    public var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .list: "list"
        case .tuple: "tuple"
        case .set: "set"
        case .dict(let d): d.className ?? "dict"
        case .tensor(let t): "tensor(\(t.dtype.rawValue))"
        case .object(let o): o.className
        case .global(let g): "class \(g)"
        }
    }
}

/// A `dict` or `collections.OrderedDict`, in insertion order. Setting an existing string or int key
/// again replaces its value in place, as Python does.
public struct PickleDictionary: Sendable, Equatable {
    /// `"collections.OrderedDict"`, or nil for a builtin `dict`.
    public var className: String?
    public var entries: [PickleEntry]
    /// Instance attributes applied with `BUILD` (PyTorch puts the state dict's `_metadata` here).
    public var attributes: PickleValue?

    public init(className: String? = nil, entries: [PickleEntry] = [], attributes: PickleValue? = nil) {
        self.className = className
        self.entries = entries
        self.attributes = attributes
    }

    public var count: Int { entries.count }
    public var keys: [PickleValue] { entries.map(\.key) }
    /// The keys that are strings, in order.
    public var stringKeys: [String] { entries.compactMap(\.key.string) }

    public subscript(key: String) -> PickleValue? {
        entries.first { $0.key == .string(key) }?.value
    }

    public subscript(intKey key: Int64) -> PickleValue? {
        entries.first { $0.key == .int(key) }?.value
    }
}

public struct PickleEntry: Sendable, Equatable {
    public var key: PickleValue
    public var value: PickleValue

    public init(key: PickleValue, value: PickleValue) {
        self.key = key
        self.value = value
    }
}

/// An instance of an allow-listed placeholder class, kept as data: what `NEWOBJ`/`REDUCE` passed to
/// the class and what `BUILD` set.
public struct PickledObject: Sendable, Equatable {
    /// Dotted class name, `parse_config.ConfigParser`.
    public var className: String
    public var arguments: [PickleValue]
    public var keywordArguments: PickleValue?
    public var state: PickleValue?

    public init(className: String, arguments: [PickleValue] = [], keywordArguments: PickleValue? = nil,
                state: PickleValue? = nil) {
        self.className = className
        self.arguments = arguments
        self.keywordArguments = keywordArguments
        self.state = state
    }

    /// The instance attributes (`__dict__`) when the state is a dict, or the dict half of a
    /// `(dict, slots)` state tuple.
    public var attributes: PickleDictionary? {
        switch state {
        case .dict(let d): d
        case .tuple(let parts) where parts.count == 2: parts[0].dictionary
        default: nil
        }
    }

    /// For `pathlib` paths: the path string Python would print (`str(path)`), from the parts passed to
    /// the constructor.
    public var pathString: String? {
        guard className.hasPrefix("pathlib.") else { return nil }
        let parts = arguments.compactMap(\.string)
        guard parts.count == arguments.count else { return nil }
        guard let first = parts.first else { return "." }
        if first == "/" { return "/" + parts.dropFirst().joined(separator: "/") }
        return parts.joined(separator: "/")
    }
}
