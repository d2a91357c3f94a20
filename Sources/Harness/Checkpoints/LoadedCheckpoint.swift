import Foundation
import Landmarks
import Tensors
import TorchFormat

/// A checkpoint's weights in our models, ready for a manifest row to evaluate.
///
/// Not `Sendable`, on purpose: `HourglassNet`, `SmallNet` and `IntermediateKeypointPredictor` are
/// classes that reuse their forward buffers (and the Hourglass a shared tensor arena), so one network
/// run from two tasks at once would race — `@unchecked Sendable` would hide exactly that bug.
/// `CheckpointModels.load(path:)` returns it `sending` (a fresh value nothing else references), so a
/// runner may load it on one task and hand it to another; rows that run concurrently each load their
/// own copy. The plain facts (`summary`, `sha256`, `identification`, `source`) are `Sendable`.
public struct LoadedCheckpoint {
    /// The descriptor network (SmallNet or HourglassNet), with every weight of the file.
    public var network: any DescriptorNetwork
    /// The keypoint regressor of a regression checkpoint (`1.*` keys), nil for an embedding checkpoint.
    public var regressor: IntermediateKeypointPredictor?
    /// What the file's own fields say (config `arch.type`, `num_output_channels`, `loss`, `epoch`).
    public var summary: CheckpointSummary
    /// Lowercase hex SHA-256 of the file's bytes (the bytes that were decoded, read once).
    public var sha256: String
    /// What the weights are, inferred from their shapes.
    public var identification: CheckpointModels.Identification
    /// The path the checkpoint was read from.
    public var source: String

    /// For callers that assemble one themselves (a runner's tests, a model trained in-process).
    public init(network: any DescriptorNetwork, regressor: IntermediateKeypointPredictor?, summary: CheckpointSummary,
                sha256: String, identification: CheckpointModels.Identification, source: String) {
        self.network = network
        self.regressor = regressor
        self.summary = summary
        self.sha256 = sha256
        self.identification = identification
        self.source = source
    }
}

/// Why `CheckpointModels.load(path:)` failed. `description` names the file and the problem.
public struct CheckpointLoadError: Error, CustomStringConvertible, Sendable {
    public enum Reason: Sendable {
        /// Not readable as a checkpoint: I/O, a damaged or hostile file, no state dict.
        case unreadable(TorchFormatError)
        /// The weights are not those of a model this build can load (`Identification.description`).
        case unknownModel(String)
        /// The weights are a known model's, but keys are missing, unexpected or mis-shaped.
        case mismatch(StateDictMismatch)
        /// Both parts load, but they cannot work together (the regressor reads another channel count),
        /// or a size is out of range for the model.
        case incompatible(String)
    }

    public var source: String
    public var reason: Reason

    public init(source: String, reason: Reason) {
        self.source = source
        self.reason = reason
    }

    public var description: String {
        switch reason {
        case .unreadable(let error): "\(error)"
        case .unknownModel(let what): "\(source): the weights map onto \(what)"
        case .mismatch(let mismatch): "\(mismatch)"
        case .incompatible(let why): "\(source): \(why)"
        }
    }
}

extension CheckpointModels {
    /// Reads `path` (once: the bytes are hashed and decoded from the same buffer), identifies the
    /// weights and loads them strictly into new models: the descriptor network, and for a regression
    /// checkpoint (`0.wrapped_module.*` + `1.*`, optionally under `module.`) the keypoint regressor.
    ///
    /// The regressor's soft-argmax multiplier is the config's `keypoint_regressor.args.softargmax_mul`
    /// (the class default 50 when the config has a `keypoint_regressor` without it, 100 — every released
    /// config's value — when the file has no config); `linspace` chooses its coordinate rounding.
    public static func load(path: String, linspace: Linspace.Variant = .torch1_13) throws(CheckpointLoadError) -> sending LoadedCheckpoint {
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw CheckpointLoadError(source: path, reason: .unreadable(TorchFormatError(
                source: path, reason: .io("cannot read the file: \(error.localizedDescription)"))))
        }
        let checkpoint: TorchCheckpoint
        do {
            checkpoint = try TorchCheckpoint(try TorchFile.read(data: data, source: path))
        } catch {
            throw CheckpointLoadError(source: path, reason: .unreadable(error))
        }
        var hasher = SHA256()
        hasher.update(data)
        let sha256 = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let split = checkpoint.stateDict.split()
        let identification = identify(split)
        let (network, regressor) = try models(from: checkpoint, split: split, identification: identification, linspace: linspace)
        return LoadedCheckpoint(network: network, regressor: regressor, summary: checkpoint.summary, sha256: sha256,
                                identification: identification, source: path)
    }

    /// The models of an identified checkpoint, each loaded strictly. For a regression checkpoint the
    /// mismatch names keys as the file does after `module.` is stripped (`0.wrapped_module.conv6.bias`,
    /// `1.reg_conv.weight`), together for both parts.
    static func models(from checkpoint: TorchCheckpoint, split: SplitStateDict, identification: Identification,
                       linspace: Linspace.Variant = .torch1_13) throws(CheckpointLoadError) -> (any DescriptorNetwork, IntermediateKeypointPredictor?) {
        let source = checkpoint.file.source
        switch identification {
        case .smallNet, .hourglass:
            let net = try network(identification, source: source)
            do {
                try net.load(split.backbone.stateDict(), source: source)
            } catch {
                throw CheckpointLoadError(source: source, reason: .mismatch(error))
            }
            return (net, nil)
        case .regression(let backbone, let sizes):
            let net = try network(backbone, source: source)
            guard sizes.descriptorDimension == net.outputChannels else {
                throw CheckpointLoadError(source: source, reason: .incompatible(
                    "the keypoint regressor reads \(sizes.descriptorDimension)-channel descriptors (1.inner_conv.weight), "
                        + "but the backbone \(backbone.description) produces \(net.outputChannels)"))
            }
            let regressor: IntermediateKeypointPredictor
            do {
                regressor = try IntermediateKeypointPredictor(
                    descriptorDimension: sizes.descriptorDimension, annotatedPoints: sizes.annotatedPoints,
                    intermediatePoints: sizes.intermediatePoints, softargmaxMultiplier: softargmaxMultiplier(checkpoint.config),
                    linspace: linspace)
            } catch {
                throw CheckpointLoadError(source: source, reason: .incompatible("\(error)"))
            }
            try loadRegressionPair(net, regressor, split: split, all: checkpoint.stateDict.cleaned(), source: source)
            return (net, regressor)
        case .notKnownYet, .unrecognised:
            throw CheckpointLoadError(source: source, reason: .unknownModel(identification.description))
        }
    }

    /// A new, zero-weight network of an identified architecture.
    static func network(_ identification: Identification, source: String) throws(CheckpointLoadError) -> any DescriptorNetwork {
        switch identification {
        case .smallNet(let channels):
            return SmallNet(outputChannels: channels)
        case .hourglass(let widths):
            do {
                return try HourglassNet(widths: widths)
            } catch {
                throw CheckpointLoadError(source: source, reason: .incompatible("\(error)"))
            }
        default:
            throw CheckpointLoadError(source: source, reason: .unknownModel(identification.description))
        }
    }

    /// Loads both parts strictly; if either does not fit, one `StateDictMismatch` lists every problem of
    /// both under the file's names, plus the keys that belong to neither part as unexpected.
    static func loadRegressionPair(_ net: any DescriptorNetwork, _ regressor: IntermediateKeypointPredictor, split: SplitStateDict,
                                   all: TorchStateDict, source: String) throws(CheckpointLoadError) {
        let backbonePrefix = TorchStateDict.wrappedBackbonePrefix, regressorPrefix = "\(split.regressorIndex ?? 1)."
        var problems: [StateDictMismatch] = []
        var backboneDict = split.backbone.stateDict()
        // Keys of neither part go into the backbone's dict under their own names, so its strict load
        // lists them as unexpected (and a file whose only problem they are still fails).
        let unassigned = Set(split.unassigned)
        for key in split.unassigned {
            if let t = all[key] { backboneDict[key] = TorchStateDict(entries: [TorchStateEntry(key: key, tensor: t)]).stateDict()[key] }
        }
        func renamed(_ m: StateDictMismatch, _ prefix: String) -> StateDictMismatch {
            func name(_ key: String) -> String { unassigned.contains(key) ? key : prefix + key }
            var r = m
            r.missing = m.missing.map(name)
            r.unexpected = m.unexpected.map(name)
            r.misShaped = m.misShaped.map { (name($0.key), $0.expected, $0.found) }
            r.wrongKind = m.wrongKind.map { (name($0.key), $0.expected) }
            return r
        }
        do { try net.load(backboneDict, source: source) } catch { problems.append(renamed(error, backbonePrefix)) }
        do { try regressor.load(split.regressor?.stateDict() ?? StateDict(), source: source) } catch {
            problems.append(renamed(error, regressorPrefix))
        }
        guard var merged = problems.first else { return }
        for other in problems.dropFirst() {
            merged.missing += other.missing
            merged.unexpected += other.unexpected
            merged.misShaped += other.misShaped
            merged.wrongKind += other.wrongKind
        }
        throw CheckpointLoadError(source: source, reason: .mismatch(merged))
    }

    /// `keypoint_regressor.args.softargmax_mul` as the reference builds the regressor from the config:
    /// the class default 50 when the config has a regressor but omits it; 100 (every released config)
    /// when there is no config to read.
    static func softargmaxMultiplier(_ config: PickleValue?) -> Float {
        guard let regressorConfig = config?["keypoint_regressor"] else { return 100 }
        guard let value = regressorConfig.lookup("args", "softargmax_mul")?.number, value.isFinite else { return 50 }
        return Float(value)
    }
}
