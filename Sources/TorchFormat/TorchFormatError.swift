/// Why a PyTorch file could not be read, written or mapped. Every error names the file (`source`) and,
/// when the problem sits at a known place, the part of the file (`part`: "object pickle", "data.pkl",
/// "storage 3", …) and the byte offset inside that part.
///
/// The reader treats every byte of a file as untrusted: a malformed, truncated or hostile file yields
/// one of these errors, never a crash, and never runs code (see `AllowList`).
public struct TorchFormatError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Reason: Sendable, Equatable {
        /// Neither a zip archive nor a legacy `torch.save` stream (wrong magic number, unreadable header).
        case notATorchFile(String)
        /// The data ends before `what` is complete.
        case truncated(String)
        /// The pickle names a global (`module.name`) that is not on the allow-list. Loading it in Python
        /// could run arbitrary code, so the file is refused.
        case refusedGlobal(String)
        /// A pickle opcode this reader does not implement (protocol 0/1 text opcodes, extension registry,
        /// out-of-band buffers).
        case unsupportedOpcode(UInt8)
        /// The structure is inconsistent (wrong argument types, a missing mark, an unknown memo index…).
        case malformed(String)
        /// A size, count or depth exceeds what the file can legitimately hold.
        case limitExceeded(String)
        /// The zip container is damaged or uses a feature PyTorch never writes.
        case zip(String)
        /// Storage data is missing, duplicated or of the wrong length.
        case storage(String)
        /// The file could not be read or written.
        case io(String)
        /// The file is readable but is not a checkpoint / state dict of the expected shape.
        case notACheckpoint(String)
    }

    public var source: String
    public var reason: Reason
    public var part: String?
    public var offset: Int?

    public init(source: String, reason: Reason, part: String? = nil, offset: Int? = nil) {
        self.source = source
        self.reason = reason
        self.part = part
        self.offset = offset
    }

    /// The global's dotted name when the file was refused for naming it.
    public var refusedGlobal: String? {
        if case .refusedGlobal(let name) = reason { return name }
        return nil
    }

    public var description: String {
        var where_ = ""
        if let part { where_ += " in \(part)" }
        if let offset { where_ += " at byte \(offset)" }
        return "\(source): \(reasonText)\(where_)"
    }

    /// The reason alone, without the file and position.
    public var reasonText: String {
        switch reason {
        case .notATorchFile(let s): "not a PyTorch file: \(s)"
        case .truncated(let s): "truncated: the data ends inside \(s)"
        case .refusedGlobal(let g):
            "refused global \(g): it is not on the allow-list of data classes, and unpickling it could run code"
        case .unsupportedOpcode(let op): "unsupported pickle opcode 0x\(String(op, radix: 16))"
        case .malformed(let s): "malformed pickle: \(s)"
        case .limitExceeded(let s): "limit exceeded: \(s)"
        case .zip(let s): "bad zip container: \(s)"
        case .storage(let s): "bad storage: \(s)"
        case .io(let s): s
        case .notACheckpoint(let s): s
        }
    }
}

/// Bounds that keep a crafted file from exhausting memory or the stack. The defaults accept every
/// checkpoint the DVE authors released (the largest, an hourglass with Adam state, is ~200 MB with a
/// pickle nesting depth below 10) with wide margins.
public struct TorchReadLimits: Sendable {
    /// Deepest container nesting accepted in the object graph. Recursive code (conversion, rendering,
    /// deallocation of the result) is bounded by it.
    public var maxNesting = 200
    /// Nodes the object graph may expand to when shared references are counted every time they are
    /// reached; stops "billion laughs" graphs built from memo references.
    public var maxExpandedNodes = 4_000_000
    /// Longest integer (LONG1/LONG4 payload) accepted; Python `id()` values and the magic number need ≤ 10.
    public var maxIntegerBytes = 64
    /// Longest `GLOBAL` module or name.
    public var maxGlobalNameLength = 512
    /// Highest tensor rank.
    public var maxRank = 32
    /// A tensor may have more logical elements than its storage only through zero or overlapping
    /// strides (an expanded view); this caps how many such elements one tensor may materialise.
    public var maxBroadcastElements = 1 << 22
    /// Most containers (lists, tuples, dicts, objects) one pickle may build. An hourglass checkpoint with
    /// its Adam state needs about 20 000; the bound keeps a pickle of a million `EMPTY_DICT` bytes from
    /// costing a hundred times its size in memory.
    public var maxContainers = 1 << 20
    /// Most values the unpickler's stack, or its memo, may hold at once.
    public var maxStackItems = 1 << 22
    /// Most zip entries accepted.
    public var maxZipEntries = 1 << 20

    public init() {}
}
