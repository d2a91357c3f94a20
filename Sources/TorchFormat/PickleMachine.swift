/// A restricted pickle virtual machine for the opcodes PyTorch files use (protocols 2–5).
///
/// It reads `bytes[start..<end]` up to `STOP`. Every read is bounds-checked, every count is checked
/// against the bytes that remain, the stack, mark stack and memo grow by at most one entry per opcode
/// (so by at most the pickle's length), and globals resolve only through `AllowList`. It never calls
/// into Python semantics: `REDUCE`, `NEWOBJ` and `BUILD` are interpreted for the allow-listed names
/// only (`PickleMachine+Calls.swift`).
///
/// Opcodes refused (`unsupportedOpcode`): the protocol 0/1 text forms (`INT`, `LONG`, `STRING`, `INST`,
/// `OBJ`, `PUT`, `GET`, `PERSID`, …), the extension registry (`EXT1/2/4`) and out-of-band buffers.
/// PyTorch never writes them.
final class PickleMachine {
    enum StorageIDs {
        /// `BINPERSID` is an error (the header pickles of a legacy file hold no storages).
        case refused
        /// Persistent ids name storages; the data comes from elsewhere in the file.
        case storages
    }

    let bytes: [UInt8]
    var position: Int
    let end: Int
    let source: String
    let part: String
    let limits: TorchReadLimits
    let storageIDs: StorageIDs
    /// Upper bound on the bytes any one storage may claim: the whole file's length.
    let maxStorageBytes: Int

    var stack: [PItem] = []
    var marks: [Int] = []
    var memo: [Int: PItem] = [:]
    var boxes: [PBox] = []
    var opcodeOffset = 0
    /// Every global the pickle names, `module.name`, in order of first appearance.
    private(set) var globalsNamed: [String] = []
    private var globalsSeen: Set<String> = []
    /// Storages by key, and the keys in order of first reference.
    var storages: [String: StorageRoot] = [:]
    var storageOrder: [String] = []

    init(bytes: [UInt8], start: Int, end: Int, source: String, part: String, limits: TorchReadLimits,
         storageIDs: StorageIDs, maxStorageBytes: Int) {
        self.bytes = bytes
        self.position = start
        self.end = min(end, bytes.count)
        self.source = source
        self.part = part
        self.limits = limits
        self.storageIDs = storageIDs
        self.maxStorageBytes = maxStorageBytes
    }

    func error(_ reason: TorchFormatError.Reason) -> TorchFormatError {
        TorchFormatError(source: source, reason: reason, part: part, offset: opcodeOffset)
    }

    /// Empties every container so the box graph is freed iteratively (see `PItem`).
    func teardown() {
        for box in boxes { box.clear() }
        boxes = []
        stack = []
        memo = [:]
    }

    func newBox(_ kind: PBox.Kind) throws(TorchFormatError) -> PBox {
        guard boxes.count < limits.maxContainers else {
            throw error(.limitExceeded("more than \(limits.maxContainers) containers"))
        }
        let box = PBox(kind)
        boxes.append(box)
        return box
    }

    // MARK: reading

    private func take(_ count: Int, _ what: String) throws(TorchFormatError) -> ArraySlice<UInt8> {
        guard count >= 0, count <= end - position else { throw error(.truncated(what)) }
        defer { position += count }
        return bytes[position..<(position + count)]
    }

    private func u8(_ what: String) throws(TorchFormatError) -> UInt8 {
        guard position < end else { throw error(.truncated(what)) }
        defer { position += 1 }
        return bytes[position]
    }

    /// Unsigned little-endian integer of `count` ≤ 8 bytes.
    private func unsigned(_ count: Int, _ what: String) throws(TorchFormatError) -> UInt64 {
        let slice = try take(count, what)
        var value: UInt64 = 0
        for (i, byte) in slice.enumerated() { value |= UInt64(byte) << (8 * UInt64(i)) }
        return value
    }

    /// A length prefix as an Int, refused when longer than what remains.
    private func length(_ count: Int, _ what: String) throws(TorchFormatError) -> Int {
        let raw = try unsigned(count, "the length of \(what)")
        guard raw <= UInt64(end - position) else {
            throw error(.truncated("\(what) (declares \(raw) bytes, \(end - position) remain)"))
        }
        return Int(raw)
    }

    private func utf8(_ slice: ArraySlice<UInt8>, _ what: String) throws(TorchFormatError) -> String {
        guard let s = String(validating: slice, as: UTF8.self) else { throw error(.malformed("\(what) is not valid UTF-8")) }
        return s
    }

    /// `module\nname\n` of `GLOBAL`, each line bounded.
    private func line() throws(TorchFormatError) -> String {
        let limit = min(end, position + limits.maxGlobalNameLength + 1)
        guard let newline = bytes[position..<limit].firstIndex(of: 0x0A) else {
            throw position + limits.maxGlobalNameLength + 1 <= end
                ? error(.limitExceeded("GLOBAL name longer than \(limits.maxGlobalNameLength) bytes"))
                : error(.truncated("a GLOBAL name"))
        }
        defer { position = newline + 1 }
        return try utf8(bytes[position..<newline], "a GLOBAL name")
    }

    // MARK: stack

    func pop() throws(TorchFormatError) -> PItem {
        if let mark = marks.last, stack.count <= mark { throw error(.malformed("pop below a MARK")) }
        guard let item = stack.popLast() else { throw error(.malformed("pop from an empty stack")) }
        return item
    }

    func top() throws(TorchFormatError) -> PItem {
        if let mark = marks.last, stack.count <= mark { throw error(.malformed("read below a MARK")) }
        guard let item = stack.last else { throw error(.malformed("read from an empty stack")) }
        return item
    }

    /// The items above the latest MARK, removing them and the mark.
    func popToMark() throws(TorchFormatError) -> [PItem] {
        guard let mark = marks.popLast() else { throw error(.malformed("no MARK to pop to")) }
        let items = Array(stack[mark...])
        stack.removeSubrange(mark...)
        return items
    }

    func tuple(_ items: [PItem]) throws(TorchFormatError) -> PItem {
        let box = try newBox(.tuple)
        box.elements = items
        return .box(box)
    }

    private func integer(fromLittleEndian slice: ArraySlice<UInt8>) throws(TorchFormatError) -> PItem {
        guard slice.count <= limits.maxIntegerBytes else {
            throw error(.limitExceeded("an integer of \(slice.count) bytes (limit \(limits.maxIntegerBytes))"))
        }
        return BigInteger.item(twosComplementLittleEndian: Array(slice))
    }

    private func memoPut(_ index: Int) throws(TorchFormatError) {
        guard memo.count < limits.maxStackItems || memo[index] != nil else {
            throw error(.limitExceeded("more than \(limits.maxStackItems) memo entries"))
        }
        memo[index] = try top()
    }

    private func memoGet(_ index: Int) throws(TorchFormatError) {
        guard let item = memo[index] else { throw error(.malformed("memo index \(index) was never stored")) }
        stack.append(item)
    }

    private func global(module: String, name: String) throws(TorchFormatError) -> PItem {
        let dotted = module + "." + name
        if globalsSeen.insert(dotted).inserted { globalsNamed.append(dotted) }
        guard let allowed = AllowList.resolve(module: module, name: name) else { throw error(.refusedGlobal(dotted)) }
        return .global(allowed, name: dotted)
    }

    // MARK: the loop

    /// Runs to `STOP` and returns the value it leaves; `position` is then just past `STOP`.
    func run() throws(TorchFormatError) -> PItem {
        while true {
            opcodeOffset = position
            guard stack.count + marks.count <= limits.maxStackItems else {
                throw error(.limitExceeded("more than \(limits.maxStackItems) values and marks on the pickle stack"))
            }
            let op = try u8("an opcode (no STOP)")
            switch op {
            case 0x80: // PROTO
                let proto = try u8("PROTO")
                guard proto <= 5 else { throw error(.malformed("pickle protocol \(proto) is newer than 5")) }
            case 0x95: _ = try length(8, "a FRAME") // FRAME: framing only, contents follow inline
            case 0x2E: // STOP
                guard marks.isEmpty else { throw error(.malformed("STOP inside an open MARK")) }
                let result = try pop()
                return result
            case 0x28: marks.append(stack.count) // MARK
            case 0x30: // POP
                if let mark = marks.last, stack.count == mark { marks.removeLast() } else { _ = try pop() }
            case 0x31: _ = try popToMark() // POP_MARK
            case 0x32: stack.append(try top()) // DUP
            case 0x4E: stack.append(.none)
            case 0x88: stack.append(.bool(true))
            case 0x89: stack.append(.bool(false))
            case 0x4B: stack.append(.int(Int64(try u8("BININT1"))))
            case 0x4D: stack.append(.int(Int64(try unsigned(2, "BININT2"))))
            case 0x4A: stack.append(.int(Int64(Int32(truncatingIfNeeded: try unsigned(4, "BININT")))))
            case 0x8A: // LONG1
                let n = Int(try u8("LONG1"))
                stack.append(try integer(fromLittleEndian: try take(n, "LONG1")))
            case 0x8B: // LONG4 (signed length)
                let raw = Int32(truncatingIfNeeded: try unsigned(4, "LONG4"))
                guard raw >= 0 else { throw error(.malformed("LONG4 with negative length \(raw)")) }
                stack.append(try integer(fromLittleEndian: try take(Int(raw), "LONG4")))
            case 0x47: // BINFLOAT, big-endian
                let slice = try take(8, "BINFLOAT")
                stack.append(.float(Double(bitPattern: slice.reduce(0) { $0 << 8 | UInt64($1) })))
            case 0x58: stack.append(.string(try utf8(try take(try length(4, "BINUNICODE"), "BINUNICODE"), "BINUNICODE")))
            case 0x8C: stack.append(.string(try utf8(try take(try length(1, "SHORT_BINUNICODE"), "SHORT_BINUNICODE"), "SHORT_BINUNICODE")))
            case 0x8D: stack.append(.string(try utf8(try take(try length(8, "BINUNICODE8"), "BINUNICODE8"), "BINUNICODE8")))
            case 0x42: stack.append(.bytes(Array(try take(try length(4, "BINBYTES"), "BINBYTES"))))
            case 0x43: stack.append(.bytes(Array(try take(try length(1, "SHORT_BINBYTES"), "SHORT_BINBYTES"))))
            case 0x8E, 0x96: stack.append(.bytes(Array(try take(try length(8, "BINBYTES8"), "BINBYTES8"))))
            case 0x7D: stack.append(.box(try newBox(.dict(className: nil)))) // EMPTY_DICT
            case 0x5D: stack.append(.box(try newBox(.list))) // EMPTY_LIST
            case 0x29: stack.append(try tuple([])) // EMPTY_TUPLE
            case 0x8F: stack.append(.box(try newBox(.set))) // EMPTY_SET
            case 0x74: stack.append(try tuple(try popToMark())) // TUPLE
            case 0x85: let a = try pop(); stack.append(try tuple([a]))
            case 0x86: let b = try pop(), a = try pop(); stack.append(try tuple([a, b]))
            case 0x87: let c = try pop(), b = try pop(), a = try pop(); stack.append(try tuple([a, b, c]))
            case 0x6C: // LIST
                let box = try newBox(.list)
                box.elements = try popToMark()
                stack.append(.box(box))
            case 0x64: // DICT
                let items = try popToMark()
                try requireEven(items.count, "DICT")
                let box = try newBox(.dict(className: nil))
                for i in stride(from: 0, to: items.count, by: 2) { box.setItem(items[i], items[i + 1]) }
                stack.append(.box(box))
            case 0x91: // FROZENSET
                let box = try newBox(.set)
                box.elements = try popToMark()
                stack.append(.box(box))
            case 0x61: // APPEND
                let value = try pop()
                try container(try top(), "APPEND", \.isList).elements.append(value)
            case 0x65: // APPENDS
                let items = try popToMark()
                try container(try top(), "APPENDS", \.isList).elements.append(contentsOf: items)
            case 0x90: // ADDITEMS
                let items = try popToMark()
                try container(try top(), "ADDITEMS", \.isSet).elements.append(contentsOf: items)
            case 0x73: // SETITEM
                let value = try pop(), key = try pop()
                try container(try top(), "SETITEM", \.isDict).setItem(key, value)
            case 0x75: // SETITEMS
                let items = try popToMark()
                try requireEven(items.count, "SETITEMS")
                let dict = try container(try top(), "SETITEMS", \.isDict)
                for i in stride(from: 0, to: items.count, by: 2) { dict.setItem(items[i], items[i + 1]) }
            case 0x71: try memoPut(Int(try u8("BINPUT")))
            case 0x72: try memoPut(Int(try unsigned(4, "LONG_BINPUT")))
            case 0x94: try memoPut(memo.count) // MEMOIZE
            case 0x68: try memoGet(Int(try u8("BINGET")))
            case 0x6A: try memoGet(Int(try unsigned(4, "LONG_BINGET")))
            case 0x63: // GLOBAL
                let module = try line(), name = try line()
                stack.append(try global(module: module, name: name))
            case 0x93: // STACK_GLOBAL
                let name = try pop(), module = try pop()
                guard case .string(let n) = name, case .string(let m) = module else {
                    throw error(.malformed("STACK_GLOBAL needs two strings, got \(module.typeName) and \(name.typeName)"))
                }
                stack.append(try global(module: m, name: n))
            case 0x52: // REDUCE
                let args = try pop(), callable = try pop()
                stack.append(try reduce(callable, args))
            case 0x81: // NEWOBJ
                let args = try pop(), cls = try pop()
                stack.append(try newObject(cls, args, keywords: nil))
            case 0x92: // NEWOBJ_EX
                let kwargs = try pop(), args = try pop(), cls = try pop()
                stack.append(try newObject(cls, args, keywords: kwargs))
            case 0x62: // BUILD
                let state = try pop()
                try build(try top(), state)
            case 0x51: // BINPERSID
                let pid = try pop()
                stack.append(try persistentLoad(pid))
            default:
                throw error(.unsupportedOpcode(op))
            }
        }
    }

    private func requireEven(_ count: Int, _ op: String) throws(TorchFormatError) {
        guard count % 2 == 0 else { throw error(.malformed("\(op) with an odd number (\(count)) of keys and values")) }
    }

    /// The box an in-place opcode mutates, which must be of the kind Python would accept without
    /// calling a method on an arbitrary object.
    private func container(_ item: PItem, _ op: String, _ accepts: (PBox) -> Bool) throws(TorchFormatError) -> PBox {
        guard case .box(let box) = item, accepts(box) else {
            throw error(.malformed("\(op) applied to \(item.typeName)"))
        }
        return box
    }
}
