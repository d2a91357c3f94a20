/// The legacy `torch.save` layout (PyTorch ≤ 1.5, the 2019 DVE checkpoints): pickles of the magic
/// number, the protocol version and the sys-info dict; the object pickle with storages as persistent
/// ids; the pickled list of storage keys; then per key an int64 element count and the raw
/// little-endian elements, back to back.
///
/// Every storage the object references must appear in the key list exactly once, with exactly the
/// element count its persistent id declared, and its bytes must lie inside the file.
enum LegacyContainer {
    static let magicNumber = "119547037146038801333356"
    static let protocolVersion: Int64 = 1001

    static func read(_ bytes: [UInt8], source: String, limits: TorchReadLimits) throws(TorchFormatError) -> TorchFile {
        var position = 0
        var globals = GlobalsLog()

        /// One self-contained pickle (its own memo), starting at `position`.
        func plainPickle(_ part: String) throws(TorchFormatError) -> PickleValue {
            let machine = PickleMachine(bytes: bytes, start: position, end: bytes.count, source: source, part: part,
                                        limits: limits, storageIDs: .refused, maxStorageBytes: bytes.count)
            defer { machine.teardown() }
            let item = try machine.run()
            globals.add(machine.globalsNamed)
            var graph = PickleGraph(machine: machine, fileLength: bytes.count)
            let value = try graph.convert(item)
            position = machine.position
            return value
        }

        let magic: PickleValue
        do {
            magic = try plainPickle("magic number pickle")
        } catch {
            if case .refusedGlobal = error.reason { throw error } // a plain malicious pickle: say so
            throw TorchFormatError(source: source, reason: .notATorchFile("the first pickle does not decode (\(error.reasonText))"))
        }
        guard case .bigInt(let digits) = magic, digits == magicNumber else {
            throw TorchFormatError(source: source, reason: .notATorchFile("the first pickle is not the legacy magic number"), offset: 0)
        }
        let versionOffset = position
        let version = try plainPickle("protocol version pickle")
        guard case .int(let protocolVersion) = version, protocolVersion == Self.protocolVersion else {
            throw TorchFormatError(source: source, reason: .notATorchFile("legacy protocol version is not \(Self.protocolVersion)"),
                                   part: "protocol version pickle", offset: versionOffset)
        }
        let infoOffset = position
        let systemInfo = try plainPickle("sys_info pickle")
        if case .bool(false) = systemInfo["little_endian"] ?? .bool(true) {
            throw TorchFormatError(source: source, reason: .notATorchFile("written on a big-endian machine, which is not supported"),
                                   part: "sys_info pickle", offset: infoOffset)
        }

        let objectMachine = PickleMachine(bytes: bytes, start: position, end: bytes.count, source: source,
                                          part: "object pickle", limits: limits, storageIDs: .storages,
                                          maxStorageBytes: bytes.count)
        defer { objectMachine.teardown() }
        let root = try objectMachine.run()
        globals.add(objectMachine.globalsNamed)
        position = objectMachine.position

        let keysOffset = position
        guard case .list(let keyValues) = try plainPickle("storage key list") else {
            throw TorchFormatError(source: source, reason: .malformed("the storage key list is not a list"),
                                   part: "storage key list", offset: keysOffset)
        }
        var keys: [String] = []
        for value in keyValues {
            switch value {
            case .string(let s): keys.append(s)
            case .int(let i): keys.append(String(i))
            default:
                throw TorchFormatError(source: source, reason: .malformed("a storage key is \(value.typeName)"),
                                       part: "storage key list", offset: keysOffset)
            }
        }

        for key in keys {
            let part = "storage \(key)"
            guard let storage = objectMachine.storages[key] else {
                throw TorchFormatError(source: source, reason: .storage("key \(key) has data but no tensor refers to it"),
                                       part: part, offset: position)
            }
            guard storage.bytes == nil else {
                throw TorchFormatError(source: source, reason: .storage("key \(key) is listed twice"), part: part, offset: position)
            }
            guard bytes.count - position >= 8 else {
                throw TorchFormatError(source: source, reason: .truncated("the element count of storage \(key)"), part: part, offset: position)
            }
            var count: UInt64 = 0
            for i in 0..<8 { count |= UInt64(bytes[position + i]) << (8 * UInt64(i)) }
            guard count == UInt64(storage.numel) else {
                throw TorchFormatError(source: source, reason: .storage("\(count) elements stored, \(storage.numel) declared"),
                                       part: part, offset: position)
            }
            position += 8
            let length = storage.numel * storage.dtype.elementSize // bounded by the file length when declared
            guard bytes.count - position >= length else {
                throw TorchFormatError(source: source, reason: .truncated("the data of storage \(key) (\(length) bytes, \(bytes.count - position) remain)"),
                                       part: part, offset: position)
            }
            storage.bytes = Array(bytes[position..<(position + length)])
            position += length
        }
        for key in objectMachine.storageOrder where objectMachine.storages[key]?.bytes == nil {
            throw TorchFormatError(source: source, reason: .storage("storage \(key) is referenced by a tensor but has no data in the file"),
                                   part: "storage key list")
        }

        var graph = PickleGraph(machine: objectMachine, fileLength: bytes.count)
        let object = try graph.convert(root)
        return TorchFile(source: source, format: .legacy, object: object, globals: globals.names, storageKeys: keys,
                         zipEntries: [], archivePrefix: nil,
                         legacyHeader: LegacyHeader(magicNumber: digits, protocolVersion: protocolVersion, systemInfo: systemInfo))
    }
}
