import Tensors

/// One named tensor of a state dict.
public struct TorchStateEntry: Sendable, Equatable {
    public var key: String
    public var tensor: TorchTensor

    public init(key: String, tensor: TorchTensor) {
        self.key = key
        self.tensor = tensor
    }
}

/// A PyTorch `state_dict`: names → tensors in file order, plus the `_metadata` attribute
/// (module name → `{"version": n}`) PyTorch attaches to it.
public struct TorchStateDict: Sendable, Equatable {
    public var entries: [TorchStateEntry]
    public var metadata: PickleValue?

    public init(entries: [TorchStateEntry] = [], metadata: PickleValue? = nil) {
        self.entries = entries
        self.metadata = metadata
    }

    public var keys: [String] { entries.map(\.key) }
    public var count: Int { entries.count }

    public subscript(key: String) -> TorchTensor? { entries.first { $0.key == key }?.tensor }

    /// Reads a dict of name → tensor; every value must be a tensor.
    public init(_ dictionary: PickleDictionary, source: String) throws(TorchFormatError) {
        var entries: [TorchStateEntry] = []
        for entry in dictionary.entries {
            guard case .string(let key) = entry.key else {
                throw TorchFormatError(source: source, reason: .notACheckpoint("state_dict has a key of type \(entry.key.typeName)"))
            }
            guard case .tensor(let tensor) = entry.value else {
                throw TorchFormatError(source: source, reason: .notACheckpoint("state_dict entry \(key) is \(entry.value.typeName), not a tensor"))
            }
            entries.append(TorchStateEntry(key: key, tensor: tensor))
        }
        self.init(entries: entries, metadata: dictionary.attributes?["_metadata"])
    }

    /// The values as `Tensors.StateDict`: floating-point tensors as Float32 tensors (float32, float16
    /// and bfloat16 exactly; float64 rounded to nearest), integer and bool tensors as int64 entries
    /// (`num_batches_tracked`).
    public func stateDict() -> StateDict {
        var dict = StateDict()
        for entry in entries {
            let t = entry.tensor
            if let integers = t.int64s() {
                dict[entry.key] = .int64(shape: t.shape, values: integers)
            } else {
                dict[entry.key] = .float(Tensor(shape: t.shape, storage: t.floats()))
            }
        }
        return dict
    }
}

/// A DVE training checkpoint as `base_trainer.py` saves it (`arch`, `epoch`, `state_dict`, `optimizer`,
/// `monitor_best`, `config`), or a bare state dict (what `dvebench export` writes). Everything is plain
/// data; the config object, a `parse_config.ConfigParser` in the August-2019 files, is an inert record.
public struct TorchCheckpoint: Sendable {
    public var file: TorchFile
    /// `type(model).__name__`: `SmallNet`, `HourglassNet`, `DataParallel` or `Sequential`.
    public var arch: String?
    public var epoch: Int64?
    public var monitorBest: PickleValue?
    public var stateDict: TorchStateDict
    public var optimizer: PickleValue?
    /// What was saved under `config`: a `parse_config.ConfigParser` record, or a plain dict (June 2019
    /// and DataParallel files).
    public var configObject: PickleValue?
    /// The JSON config as plain data: the ConfigParser's `_config`, or the saved dict itself.
    public var config: PickleValue?
    /// True when the file holds only a state dict (no `arch`, `epoch`, …).
    public var isBareStateDict: Bool

    public static func read(contentsOf path: String, limits: TorchReadLimits = TorchReadLimits()) throws(TorchFormatError) -> TorchCheckpoint {
        try TorchCheckpoint(try TorchFile.read(contentsOf: path, limits: limits))
    }

    public init(_ file: TorchFile) throws(TorchFormatError) {
        self.file = file
        guard case .dict(let root) = file.object else {
            throw TorchFormatError(source: file.source, reason: .notACheckpoint("the file holds a \(file.object.typeName), not a checkpoint dict or a state dict"))
        }
        if let stateValue = root["state_dict"] {
            guard case .dict(let state) = stateValue else {
                throw TorchFormatError(source: file.source, reason: .notACheckpoint("state_dict is \(stateValue.typeName)"))
            }
            stateDict = try TorchStateDict(state, source: file.source)
            arch = root["arch"]?.string
            epoch = root["epoch"]?.int
            monitorBest = root["monitor_best"]
            optimizer = root["optimizer"]
            configObject = root["config"]
            isBareStateDict = false
        } else if root.entries.allSatisfy({ $0.value.tensor != nil }) {
            stateDict = try TorchStateDict(root, source: file.source)
            isBareStateDict = true
        } else {
            let keys = root.entries.prefix(8).map { $0.key.string ?? $0.key.typeName }
            throw TorchFormatError(source: file.source, reason: .notACheckpoint(
                "the top-level dict has no state_dict and is not itself a dict of tensors (keys: \(keys.joined(separator: ", ")))"))
        }
        config = Self.plainConfig(configObject)
    }

    static func plainConfig(_ value: PickleValue?) -> PickleValue? {
        switch value {
        case .dict?: value
        case .object(let object)?: object.attributes?["_config"] ?? object.attributes?["config"]
        default: nil
        }
    }

    /// What a manifest row needs to know about the checkpoint, from its config (or, failing that, its
    /// `arch` field and weights).
    public var summary: CheckpointSummary {
        let declared = config?.lookup("arch", "type")?.string
        let wrapper = ["DataParallel", "Sequential"].contains(arch ?? "")
        return CheckpointSummary(
            architecture: declared ?? (wrapper ? nil : arch),
            embeddingDimension: (config?.lookup("arch", "args", "num_output_channels")?.int).map(Int.init),
            loss: config?["loss"]?.string,
            epoch: epoch.map(Int.init))
    }
}

/// The facts a manifest row is checked against.
public struct CheckpointSummary: Sendable, Equatable {
    /// `SmallNet`, `HourglassNet`, … (the config's `arch.type`).
    public var architecture: String?
    /// `arch.args.num_output_channels`.
    public var embeddingDimension: Int?
    /// The config's `loss` (`dense_correlation_loss_dve`, …).
    public var loss: String?
    public var epoch: Int?

    public init(architecture: String?, embeddingDimension: Int?, loss: String?, epoch: Int?) {
        self.architecture = architecture
        self.embeddingDimension = embeddingDimension
        self.loss = loss
        self.epoch = epoch
    }

    /// One line per expectation the checkpoint contradicts or cannot confirm; empty when it matches.
    /// A nil expectation is not checked.
    public func mismatches(architecture: String? = nil, embeddingDimension: Int? = nil, loss: String? = nil) -> [String] {
        var problems: [String] = []
        func check<T: Equatable>(_ what: String, _ expected: T?, _ found: T?) {
            guard let expected else { return }
            guard let found else { problems.append("\(what): expected \(expected), the checkpoint does not say"); return }
            if found != expected { problems.append("\(what): expected \(expected), checkpoint has \(found)") }
        }
        check("architecture", architecture, self.architecture)
        check("embedding dimension", embeddingDimension, self.embeddingDimension)
        check("loss", loss, self.loss)
        return problems
    }
}
