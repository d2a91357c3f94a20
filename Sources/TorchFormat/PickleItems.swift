/// The unpickler's working values. Containers are reference types (`PBox`) because pickle semantics
/// are by reference: `EMPTY_DICT; BINPUT 0; … SETITEMS` fills the very dict the memo holds. Every box
/// is registered with its machine, which empties them all when it is done (`PickleMachine.teardown`),
/// so deep or cyclic box graphs a crafted file builds are freed without recursion.
enum PItem {
    case none
    case bool(Bool)
    case int(Int64)
    case bigInt(String)
    case float(Double)
    case string(String)
    case bytes([UInt8])
    case box(PBox)
    case global(AllowedGlobal, name: String)
    case storage(StorageRef)
    case tensor(PendingTensor)

    var typeName: String {
        switch self {
        case .none: "None"
        case .bool: "bool"
        case .int, .bigInt: "int"
        case .float: "float"
        case .string: "str"
        case .bytes: "bytes"
        case .box(let b): b.typeName
        case .global(_, let name): "class \(name)"
        case .storage: "storage"
        case .tensor: "tensor"
        }
    }
}

final class PBox {
    enum Kind {
        case list, tuple, set
        case dict(className: String?)
        case object(className: String)
    }

    /// Dict keys Python would treat as equal, for replacing a value set twice.
    enum DictKey: Hashable {
        case string(String)
        case int(Int64)
    }

    let kind: Kind
    /// List, tuple and set elements; constructor arguments of an object.
    var elements: [PItem] = []
    var keys: [PItem] = []
    var values: [PItem] = []
    var keyIndex: [DictKey: Int] = [:]
    /// `BUILD` state of an object; instance attributes of a dict.
    var state: PItem?
    var keywordArguments: PItem?

    init(_ kind: Kind) { self.kind = kind }

    var typeName: String {
        switch kind {
        case .list: "list"
        case .tuple: "tuple"
        case .set: "set"
        case .dict(let name): name ?? "dict"
        case .object(let name): name
        }
    }

    var isList: Bool { if case .list = kind { return true }; return false }
    var isTuple: Bool { if case .tuple = kind { return true }; return false }
    var isSet: Bool { if case .set = kind { return true }; return false }
    var isDict: Bool { if case .dict = kind { return true }; return false }

    func setItem(_ key: PItem, _ value: PItem) {
        let scalar: DictKey? = switch key {
        case .string(let s): .string(s)
        case .int(let i): .int(i)
        default: nil
        }
        if let scalar, let existing = keyIndex[scalar] {
            values[existing] = value
            return
        }
        if let scalar { keyIndex[scalar] = keys.count }
        keys.append(key)
        values.append(value)
    }

    /// Drops every reference this box holds (teardown).
    func clear() {
        elements = []
        keys = []
        values = []
        keyIndex = [:]
        state = nil
        keywordArguments = nil
    }
}

/// A storage named by a persistent id; its bytes arrive after the pickle (legacy) or from its own zip
/// entry, and are validated against `numel` before any tensor is built from them.
final class StorageRoot {
    let key: String
    let dtype: TorchDType
    let numel: Int
    let location: String
    var bytes: [UInt8]?

    init(key: String, dtype: TorchDType, numel: Int, location: String) {
        self.key = key
        self.dtype = dtype
        self.numel = numel
        self.location = location
    }
}

/// A storage or a legacy view of one (`view_metadata`): elements `offset ..< offset + numel` of `root`.
struct StorageRef {
    let root: StorageRoot
    let offset: Int
    let numel: Int
}

/// `_rebuild_tensor_v2`'s arguments after validation, with the offset already relative to the root
/// storage.
struct PendingTensor {
    let storage: StorageRoot
    let offset: Int
    let shape: [Int]
    let stride: [Int]
    let requiresGrad: Bool
}
