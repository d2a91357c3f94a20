/// `REDUCE`, `NEWOBJ`, `BUILD` and `BINPERSID`: the opcodes through which Python would call code.
/// Here each is interpreted only for the allow-listed globals, as the data constructor the name stands
/// for; anything else is a malformed file.
extension PickleMachine {
    private func arguments(_ item: PItem, of what: String) throws(TorchFormatError) -> [PItem] {
        guard case .box(let box) = item, box.isTuple else {
            throw error(.malformed("\(what) expects an argument tuple, got \(item.typeName)"))
        }
        return box.elements
    }

    func reduce(_ callable: PItem, _ argItem: PItem) throws(TorchFormatError) -> PItem {
        guard case .global(let global, let name) = callable else {
            throw error(.malformed("REDUCE calls \(callable.typeName), which is not an allow-listed global"))
        }
        let args = try arguments(argItem, of: name)
        switch global {
        case .orderedDict:
            let box = try newBox(.dict(className: "collections.OrderedDict"))
            if let initial = args.first {
                guard args.count == 1, case .box(let pairs) = initial, pairs.isList || pairs.isTuple else {
                    throw error(.malformed("OrderedDict expects () or (list of pairs,)"))
                }
                for pair in pairs.elements {
                    guard case .box(let p) = pair, p.isTuple, p.elements.count == 2 else {
                        throw error(.malformed("OrderedDict initial item is not a (key, value) pair"))
                    }
                    box.setItem(p.elements[0], p.elements[1])
                }
            }
            return .box(box)
        case .set:
            let box = try newBox(.set)
            if let initial = args.first {
                guard args.count == 1, case .box(let source) = initial, source.isList || source.isTuple || source.isSet else {
                    throw error(.malformed("\(name) expects () or (list,)"))
                }
                box.elements = source.elements
            }
            return .box(box)
        case .codecsEncode:
            guard args.count == 2, case .string(let text) = args[0], case .string(let encoding) = args[1],
                  ["latin1", "latin-1", "iso-8859-1"].contains(encoding.lowercased()) else {
                throw error(.malformed("_codecs.encode is accepted only as (str, 'latin1'), the bytes encoding of protocol 2"))
            }
            var bytes: [UInt8] = []
            for scalar in text.unicodeScalars {
                guard scalar.value < 256 else { throw error(.malformed("_codecs.encode: character beyond latin-1")) }
                bytes.append(UInt8(scalar.value))
            }
            return .bytes(bytes)
        case .record(let className):
            let box = try newBox(.object(className: className))
            box.elements = args
            return .box(box)
        case .rebuildTensorV2:
            return .tensor(try rebuildTensor(args))
        case .rebuildParameter:
            guard args.count >= 3, case .tensor(let t) = args[0] else {
                throw error(.malformed("\(name) expects (tensor, requires_grad, hooks[, state])"))
            }
            let requiresGrad: Bool = if case .bool(let b) = args[1] { b } else { t.requiresGrad }
            return .tensor(PendingTensor(storage: t.storage, offset: t.offset, shape: t.shape, stride: t.stride,
                                         requiresGrad: requiresGrad))
        case .storageType(let dtype):
            throw error(.malformed("torch.\(dtype.storageClassName) is called; storages come only from persistent ids"))
        }
    }

    func newObject(_ cls: PItem, _ argItem: PItem, keywords: PItem?) throws(TorchFormatError) -> PItem {
        guard case .global(let global, let name) = cls else {
            throw error(.malformed("NEWOBJ on \(cls.typeName), which is not an allow-listed class"))
        }
        let args = try arguments(argItem, of: name)
        let box: PBox
        switch global {
        case .record(let className): box = try newBox(.object(className: className))
        case .orderedDict: box = try newBox(.dict(className: "collections.OrderedDict"))
        case .set: box = try newBox(.set)
        default: throw error(.malformed("NEWOBJ on \(name), which is not a class"))
        }
        if case .object = box.kind {
            box.elements = args
            box.keywordArguments = keywords
        }
        return .box(box)
    }

    /// `BUILD`: state of a placeholder object, or instance attributes of a dict (`_metadata`).
    func build(_ target: PItem, _ state: PItem) throws(TorchFormatError) {
        guard case .box(let box) = target else {
            throw error(.malformed("BUILD on \(target.typeName)"))
        }
        switch box.kind {
        case .object, .dict: box.state = state
        default: throw error(.malformed("BUILD on \(box.typeName)"))
        }
    }

    /// `BINPERSID`: `("storage", <Type>Storage, key, location, numel[, view_metadata])`, the legacy
    /// 6-tuple or the zip 5-tuple.
    func persistentLoad(_ pid: PItem) throws(TorchFormatError) -> PItem {
        guard storageIDs == .storages else {
            throw error(.malformed("a persistent id where no storages are expected"))
        }
        guard case .box(let box) = pid, box.isTuple, let first = box.elements.first else {
            throw error(.malformed("persistent id is \(pid.typeName), not a tuple"))
        }
        guard case .string("storage") = first else {
            let kind: String = if case .string(let s) = first { "'\(s)'" } else { first.typeName }
            throw error(.malformed("persistent id of kind \(kind); only storages are supported (whole pickled modules are not)"))
        }
        let e = box.elements
        guard e.count == 5 || e.count == 6 else {
            throw error(.malformed("storage persistent id has \(e.count) fields, expected 5 or 6"))
        }
        guard case .global(.storageType(let dtype), _) = e[1] else {
            throw error(.malformed("storage type is \(e[1].typeName), not a torch storage class"))
        }
        let key: String
        switch e[2] {
        case .string(let s): key = s
        case .int(let i): key = String(i)
        default: throw error(.malformed("storage key is \(e[2].typeName)"))
        }
        guard case .string(let location) = e[3] else { throw error(.malformed("storage location is \(e[3].typeName)")) }
        guard case .int(let rawNumel) = e[4], rawNumel >= 0 else {
            throw error(.malformed("storage element count is \(e[4].typeName == "int" ? "negative" : e[4].typeName)"))
        }
        let (bytes, overflow) = Int(rawNumel).multipliedReportingOverflow(by: dtype.elementSize)
        guard !overflow, bytes <= maxStorageBytes else {
            throw error(.limitExceeded("storage \(key) claims \(rawNumel) elements of \(dtype.rawValue), more than the file's \(maxStorageBytes) bytes"))
        }
        let root: StorageRoot
        if let existing = storages[key] {
            guard existing.dtype == dtype, existing.numel == Int(rawNumel) else {
                throw error(.storage("storage \(key) is declared twice, as \(existing.numel) × \(existing.dtype.rawValue) and \(rawNumel) × \(dtype.rawValue)"))
            }
            root = existing
        } else {
            root = StorageRoot(key: key, dtype: dtype, numel: Int(rawNumel), location: location)
            storages[key] = root
            storageOrder.append(key)
        }
        let whole = PItem.storage(StorageRef(root: root, offset: 0, numel: root.numel))
        guard e.count == 6 else { return whole }
        let view: PBox
        switch e[5] {
        case .none: return whole
        case .box(let box): view = box
        default: throw error(.malformed("storage view metadata is \(e[5].typeName)"))
        }
        // Legacy view: (view_key, offset, view_size) into the root storage.
        guard view.isTuple, view.elements.count == 3, case .int(let offset) = view.elements[1],
              case .int(let size) = view.elements[2], offset >= 0, size >= 0,
              Int(offset) <= root.numel, Int(size) <= root.numel - Int(offset) else {
            throw error(.storage("storage \(key) has a view outside its \(root.numel) elements"))
        }
        return .storage(StorageRef(root: root, offset: Int(offset), numel: Int(size)))
    }

    /// Validates `_rebuild_tensor_v2`'s geometry: every element the sizes and strides address must lie
    /// inside the storage, with all arithmetic overflow-checked.
    func rebuildTensor(_ args: [PItem]) throws(TorchFormatError) -> PendingTensor {
        guard args.count == 6 || args.count == 7 else {
            throw error(.malformed("_rebuild_tensor_v2 takes 6 or 7 arguments, got \(args.count)"))
        }
        guard case .storage(let storage) = args[0] else {
            throw error(.malformed("_rebuild_tensor_v2's storage is \(args[0].typeName)"))
        }
        guard case .int(let rawOffset) = args[1], rawOffset >= 0, Int(rawOffset) <= storage.numel else {
            throw error(.malformed("tensor storage offset \(args[1].typeName == "int" ? "outside the storage" : "is \(args[1].typeName)")"))
        }
        let shape = try intTuple(args[2], "size")
        let stride = try intTuple(args[3], "stride")
        guard shape.count == stride.count else {
            throw error(.malformed("tensor size has \(shape.count) dimensions, stride \(stride.count)"))
        }
        guard shape.count <= limits.maxRank else { throw error(.limitExceeded("tensor of rank \(shape.count)")) }
        guard shape.allSatisfy({ $0 >= 0 }), stride.allSatisfy({ $0 >= 0 }) else {
            throw error(.malformed("negative tensor size or stride \(shape) / \(stride)"))
        }
        var count = 1
        var last = Int(rawOffset)
        for (size, step) in zip(shape, stride) {
            let (c, o1) = count.multipliedReportingOverflow(by: size)
            guard !o1 else { throw error(.limitExceeded("tensor size \(shape) overflows")) }
            count = c
            if size > 0 {
                let (span, o2) = (size - 1).multipliedReportingOverflow(by: step)
                let (sum, o3) = last.addingReportingOverflow(span)
                guard !o2, !o3 else { throw error(.limitExceeded("tensor strides \(stride) overflow")) }
                last = sum
            }
        }
        if count > 0 {
            guard last < storage.numel else {
                throw error(.storage("tensor of size \(shape), stride \(stride), offset \(rawOffset) reaches element \(last) of a storage of \(storage.numel)"))
            }
            guard count <= storage.numel || count <= limits.maxBroadcastElements else {
                throw error(.limitExceeded("tensor of \(count) elements expands a storage of \(storage.numel)"))
            }
        }
        let requiresGrad: Bool = if case .bool(let b) = args[4] { b } else { false }
        return PendingTensor(storage: storage.root, offset: storage.offset + Int(rawOffset), shape: shape,
                             stride: stride, requiresGrad: requiresGrad)
    }

    private func intTuple(_ item: PItem, _ what: String) throws(TorchFormatError) -> [Int] {
        guard case .box(let box) = item, box.isTuple || box.isList else {
            throw error(.malformed("tensor \(what) is \(item.typeName), not a tuple"))
        }
        var result: [Int] = []
        for element in box.elements {
            guard case .int(let v) = element else { throw error(.malformed("tensor \(what) holds \(element.typeName)")) }
            result.append(Int(v))
        }
        return result
    }
}
