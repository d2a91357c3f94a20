/// Turns the machine's box graph into a `PickleValue` tree, enforcing what makes the tree safe to use:
///
/// - no cycles (a list that contains itself has no tree form);
/// - height ≤ `maxNesting`, so recursion over the result (here, in rendering and in deallocation)
///   stays shallow;
/// - the tree's size *with shared references expanded* ≤ `maxExpandedNodes`, and the logical elements
///   of all its tensors ≤ `2 × file length + maxBroadcastElements`: a memo reference costs the pickle
///   two bytes but every consumer walks it again, so both are charged per reference.
///
/// Each box is converted once; shared sub-trees share storage in the result (arrays are copy-on-write).
struct PickleGraph {
    private struct Converted {
        var value: PickleValue
        var height: Int
        var nodes: Int
        var elements: Int
    }

    let machine: PickleMachine
    let limits: TorchReadLimits
    let maxElements: Int
    private var done: [ObjectIdentifier: Converted] = [:]
    private var active: Set<ObjectIdentifier> = []
    private var storages: [ObjectIdentifier: TorchStorage] = [:]

    init(machine: PickleMachine, fileLength: Int) {
        self.machine = machine
        self.limits = machine.limits
        let (twice, overflow) = fileLength.multipliedReportingOverflow(by: 2)
        self.maxElements = overflow ? Int.max : twice.addingReportingOverflow(machine.limits.maxBroadcastElements).partialValue
    }

    private func error(_ reason: TorchFormatError.Reason) -> TorchFormatError {
        TorchFormatError(source: machine.source, reason: reason, part: machine.part, offset: nil)
    }

    mutating func convert(_ item: PItem) throws(TorchFormatError) -> PickleValue {
        let result = try convert(item, depth: 0)
        return result.value
    }

    private mutating func storage(_ root: StorageRoot) throws(TorchFormatError) -> TorchStorage {
        if let known = storages[ObjectIdentifier(root)] { return known }
        guard let bytes = root.bytes, bytes.count == root.numel * root.dtype.elementSize else {
            throw error(.storage("storage \(root.key) has no data"))
        }
        let storage = TorchStorage(key: root.key, dtype: root.dtype, numel: root.numel, location: root.location, bytes: bytes)
        storages[ObjectIdentifier(root)] = storage
        return storage
    }

    private mutating func convert(_ item: PItem, depth: Int) throws(TorchFormatError) -> Converted {
        guard depth <= limits.maxNesting else {
            throw error(.limitExceeded("containers nested deeper than \(limits.maxNesting)"))
        }
        switch item {
        case .none: return leaf(.none)
        case .bool(let b): return leaf(.bool(b))
        case .int(let i): return leaf(.int(i))
        case .bigInt(let s): return leaf(.bigInt(s))
        case .float(let f): return leaf(.float(f))
        case .string(let s): return leaf(.string(s))
        case .bytes(let b): return leaf(.bytes(b))
        case .global(_, let name): return leaf(.global(name))
        case .storage(let ref):
            // A bare storage (not wrapped in a tensor) reads as the 1-D tensor of its elements.
            let tensor = TorchTensor(shape: [ref.numel], stride: [1], storageOffset: ref.offset,
                                     storage: try storage(ref.root), requiresGrad: false)
            return Converted(value: .tensor(tensor), height: 0, nodes: 1, elements: ref.numel)
        case .tensor(let p):
            let tensor = TorchTensor(shape: p.shape, stride: p.stride, storageOffset: p.offset,
                                     storage: try storage(p.storage), requiresGrad: p.requiresGrad)
            return Converted(value: .tensor(tensor), height: 0, nodes: 1, elements: tensor.count)
        case .box(let box):
            let id = ObjectIdentifier(box)
            if let known = done[id] {
                guard depth + known.height <= limits.maxNesting else {
                    throw error(.limitExceeded("containers nested deeper than \(limits.maxNesting)"))
                }
                return known
            }
            guard active.insert(id).inserted else {
                throw error(.malformed("a \(box.typeName) contains itself; cyclic structures are not supported"))
            }
            let converted = try convertBox(box, depth: depth)
            active.remove(id)
            done[id] = converted
            return converted
        }
    }

    private func leaf(_ value: PickleValue) -> Converted {
        Converted(value: value, height: 0, nodes: 1, elements: 0)
    }

    private mutating func convertBox(_ box: PBox, depth: Int) throws(TorchFormatError) -> Converted {
        var height = 0, nodes = 1, elements = 0
        func charge(_ c: Converted) throws(TorchFormatError) {
            height = max(height, c.height + 1)
            nodes = nodes.addingReportingOverflow(c.nodes).partialValue
            elements = elements.addingReportingOverflow(c.elements).partialValue
            guard nodes >= 0, nodes <= limits.maxExpandedNodes else {
                throw error(.limitExceeded("the object graph expands to more than \(limits.maxExpandedNodes) values through shared references"))
            }
            guard elements >= 0, elements <= maxElements else {
                throw error(.limitExceeded("tensors reference more than \(maxElements) elements in total, more than the file can hold"))
            }
        }
        func values(_ items: [PItem]) throws(TorchFormatError) -> [PickleValue] {
            var out: [PickleValue] = []
            out.reserveCapacity(items.count)
            for item in items {
                let c = try convert(item, depth: depth + 1)
                try charge(c)
                out.append(c.value)
            }
            return out
        }
        func optional(_ item: PItem?) throws(TorchFormatError) -> PickleValue? {
            guard let item else { return nil }
            let c = try convert(item, depth: depth + 1)
            try charge(c)
            return c.value
        }

        let value: PickleValue
        switch box.kind {
        case .list: value = .list(try values(box.elements))
        case .tuple: value = .tuple(try values(box.elements))
        case .set: value = .set(try values(box.elements))
        case .dict(let className):
            let keys = try values(box.keys)
            let vals = try values(box.values)
            let entries = zip(keys, vals).map { PickleEntry(key: $0, value: $1) }
            value = .dict(PickleDictionary(className: className, entries: entries, attributes: try optional(box.state)))
        case .object(let className):
            value = .object(PickledObject(className: className, arguments: try values(box.elements),
                                          keywordArguments: try optional(box.keywordArguments),
                                          state: try optional(box.state)))
        }
        return Converted(value: value, height: height, nodes: nodes, elements: elements)
    }
}
