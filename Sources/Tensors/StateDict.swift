/// The values of a PyTorch `state_dict`, in order, detached from any model.
public struct StateDict: Sendable {
    public enum Value: Sendable, Equatable {
        case float(Tensor)
        case int64(shape: [Int], values: [Int64])

        public var shape: [Int] {
            switch self {
            case .float(let t): t.shape
            case .int64(let shape, _): shape
            }
        }
    }

    public private(set) var keys: [String] = []
    private var values: [String: Value] = [:]

    public init() {}

    public subscript(key: String) -> Value? {
        get { values[key] }
        set {
            if values[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            values[key] = newValue
        }
    }

    public var count: Int { keys.count }
}

/// Why a state dict does not fit a model; every offending key is listed so one run shows them all.
public struct StateDictMismatch: Error, CustomStringConvertible, Sendable {
    public var source: String
    public var missing: [String]
    public var unexpected: [String]
    /// (key, shape the model expects, shape found)
    public var misShaped: [(key: String, expected: [Int], found: [Int])]
    /// (key, what the model expects) for entries of the wrong kind (float tensor vs int64 counter).
    public var wrongKind: [(key: String, expected: String)]

    public var description: String {
        var lines = ["state dict from \(source) does not match the model:"]
        if !missing.isEmpty { lines.append("  missing keys: \(missing.joined(separator: ", "))") }
        if !unexpected.isEmpty { lines.append("  unexpected keys: \(unexpected.joined(separator: ", "))") }
        for m in misShaped { lines.append("  \(m.key): model expects shape \(m.expected), file has \(m.found)") }
        for w in wrongKind { lines.append("  \(w.key): model expects \(w.expected)") }
        return lines.joined(separator: "\n")
    }
}

extension StateHolder {
    /// The model's current state as a detached `StateDict` (values copied).
    public func stateDict() -> StateDict {
        var dict = StateDict()
        for (key, entry) in stateEntries {
            switch entry {
            case .parameter(let p): dict[key] = .float(p.value)
            case .buffer(let b): dict[key] = .float(b.value)
            case .counter(let c): dict[key] = .int64(shape: [], values: [c.value])
            }
        }
        return dict
    }

    /// Loads every entry strictly, like `load_state_dict(strict=True)`: all keys present, none extra,
    /// shapes equal. Nothing is changed unless everything fits.
    public func load(_ dict: StateDict, source: String) throws(StateDictMismatch) {
        let entries = stateEntries
        let modelKeys = Set(entries.map(\.key))
        var mismatch = StateDictMismatch(source: source, missing: [], unexpected: [], misShaped: [], wrongKind: [])
        mismatch.unexpected = dict.keys.filter { !modelKeys.contains($0) }
        for (key, entry) in entries {
            guard let value = dict[key] else { mismatch.missing.append(key); continue }
            switch (entry, value) {
            case (.counter, .int64(let shape, let values)):
                if !shape.isEmpty || values.count != 1 { mismatch.misShaped.append((key, [], shape)) }
            case (.counter, .float):
                mismatch.wrongKind.append((key, "an int64 scalar"))
            case (_, .int64):
                mismatch.wrongKind.append((key, "a float tensor"))
            case (_, .float(let t)):
                if t.shape != entry.shape { mismatch.misShaped.append((key, entry.shape, t.shape)) }
            }
        }
        guard mismatch.missing.isEmpty, mismatch.unexpected.isEmpty, mismatch.misShaped.isEmpty,
              mismatch.wrongKind.isEmpty else { throw mismatch }
        for (key, entry) in entries {
            switch (entry, dict[key]!) {
            case (.parameter(let p), .float(let t)): p.value = t; p.zeroGrad()
            case (.buffer(let b), .float(let t)): b.value = t
            case (.counter(let c), .int64(_, let values)): c.value = values[0]
            default: break
            }
        }
    }
}
