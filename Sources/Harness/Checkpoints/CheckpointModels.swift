import Landmarks
import Tensors
import TorchFormat

/// Which of our models a checkpoint's weights belong to, and loading them.
///
/// This lives in Harness rather than TorchFormat because it needs the models (Landmarks), and
/// TorchFormat may depend only on Tensors. The key clean-up it relies on — DataParallel's `module.`
/// and the regression wrapper's `0.wrapped_module.` / `1.` — is TorchFormat's `TorchStateDict.split()`.
///
/// Everything is inferred from tensor shapes, never from the `arch`/config fields: those are checked
/// against a manifest separately (`mismatches`), and a file whose config and weights disagree must be
/// reported, not silently built from the config.
public enum CheckpointModels {
    public indirect enum Identification: Sendable, Equatable {
        /// SmallNet with `conv6` producing this many channels.
        case smallNet(outputChannels: Int)
        /// HourglassNet with these widths (`.reference(outputChannels:)` for every released model).
        case hourglass(HourglassWidths)
        /// A keypoint-regression checkpoint: `0.wrapped_module.*` holds `backbone` (always `.smallNet` or
        /// `.hourglass`), `1.*` an `IntermediateKeypointPredictor` of these sizes.
        case regression(backbone: Identification, regressor: RegressorSizes)
        /// Recognised, but not loadable from a checkpoint yet.
        case notKnownYet(String)
        case unrecognised(String)

        public var description: String {
            switch self {
            case .smallNet(let c): "SmallNet-\(c)"
            case .hourglass(let widths):
                widths == .reference(outputChannels: widths.outputChannels)
                    ? "HourglassNet-\(widths.outputChannels)"
                    : "HourglassNet-\(widths.outputChannels) (reduced: \(widths))"
            case .regression(let backbone, let regressor): "\(backbone.description) + \(regressor)"
            case .notKnownYet(let what): "\(what): not known yet (no checkpoint loader for it in this build)"
            case .unrecognised(let why): "no known model (\(why))"
            }
        }

        /// The descriptor network's identification (itself for a bare network).
        public var network: Identification {
            if case .regression(let backbone, _) = self { return backbone }
            return self
        }
    }

    /// The sizes of an `IntermediateKeypointPredictor`, as its constructor takes them.
    public struct RegressorSizes: Sendable, Equatable, CustomStringConvertible {
        /// C, the descriptor channels it reads.
        public var descriptorDimension: Int
        /// nA (5 for MAFL/AFLW, 68 for 300-W).
        public var annotatedPoints: Int
        /// nI (50 in every config).
        public var intermediatePoints: Int

        public init(descriptorDimension: Int, annotatedPoints: Int, intermediatePoints: Int) {
            self.descriptorDimension = descriptorDimension
            self.annotatedPoints = annotatedPoints
            self.intermediatePoints = intermediatePoints
        }

        public var description: String {
            "IntermediateKeypointPredictor(C \(descriptorDimension), nA \(annotatedPoints), nI \(intermediatePoints))"
        }
    }

    /// Infers the model from the weights alone: SmallNet by its `conv1.0.weight` (20, 3, 5, 5) and a
    /// `conv6.weight` of shape (C, 256, 1, 1); HourglassNet by its `hg.0.` / `output_layers.` modules,
    /// sized from its tensors (`hourglassWidths`); a regressor from `1.*` (`regressorSizes`).
    public static func identify(_ split: SplitStateDict) -> Identification {
        let backbone = identifyNetwork(split.backbone)
        guard let regressor = split.regressor else { return backbone }
        switch backbone {
        case .smallNet, .hourglass: break
        default: return .unrecognised("regression checkpoint whose 0.wrapped_module. backbone is not a known network: \(backbone.description)")
        }
        guard !regressor.entries.isEmpty else {
            return .unrecognised("0.wrapped_module. backbone (\(backbone.description)) but no regressor keys (1.* or 2.*)")
        }
        if split.regressorIndex != 1 {
            // `Up` (bilinear ×2, align_corners=False) would sit between the two; only the config
            // templates use it and this build has no such layer, so the pair could not be run faithfully.
            return .notKnownYet("\(backbone.description) with a keypoint regressor behind an upsampling layer (keys \(split.regressorIndex ?? 2).*)")
        }
        switch regressorSizes(regressor, backboneChannels: backbone.outputChannels) {
        case .success(let sizes): return .regression(backbone: backbone, regressor: sizes)
        case .failure(let why): return .unrecognised("\(backbone.description) with a keypoint regressor that cannot be sized: \(why.message)")
        }
    }

    static func identifyNetwork(_ backbone: TorchStateDict) -> Identification {
        if let channels = smallNetChannels(backbone) { return .smallNet(outputChannels: channels) }
        if backbone.keys.contains(where: { $0.hasPrefix("hg.0.") || $0.hasPrefix("output_layers.") }) {
            switch hourglassWidths(backbone) {
            case .success(let widths): return .hourglass(widths)
            case .failure(let why): return .unrecognised("HourglassNet modules, but \(why.message)")
            }
        }
        return .unrecognised("no conv6.weight of shape (C, 256, 1, 1) and no hourglass modules among \(backbone.count) keys")
    }

    static func smallNetChannels(_ backbone: TorchStateDict) -> Int? {
        guard let conv6 = backbone["conv6.weight"], conv6.shape.count == 4, conv6.shape[1] == 256,
              conv6.shape[2] == 1, conv6.shape[3] == 1, conv6.shape[0] > 0,
              backbone["conv1.0.weight"]?.shape == [20, 3, 5, 5] else { return nil }
        return conv6.shape[0]
    }

    /// A SmallNet holding the checkpoint's weights (its backbone's, for a regression checkpoint), loaded
    /// strictly by key: throws `StateDictMismatch` listing every missing, unexpected and mis-shaped key,
    /// or `TorchFormatError` when the weights are not a SmallNet's.
    public static func smallNet(from checkpoint: TorchCheckpoint) throws -> SmallNet {
        let split = checkpoint.stateDict.split()
        guard let channels = smallNetChannels(split.backbone) else {
            throw TorchFormatError(source: checkpoint.file.source, reason: .notACheckpoint(
                "the weights are not a SmallNet's: \(identify(split).description)"))
        }
        let net = SmallNet(outputChannels: channels)
        var dict = split.backbone.stateDict()
        // Keys of a regression checkpoint that belong to neither part go in under their own names, so
        // the strict load lists them as unexpected.
        let all = checkpoint.stateDict.cleaned()
        for key in split.unassigned { if let t = all[key] { dict[key] = TorchStateDict(entries: [TorchStateEntry(key: key, tensor: t)]).stateDict()[key] } }
        try net.load(dict, source: checkpoint.file.source)
        return net
    }

    /// One line for `dvebench inspect`: what the weights are and whether they load.
    public static func mappingLine(_ checkpoint: TorchCheckpoint) -> String {
        let split = checkpoint.stateDict.split()
        let identification = identify(split)
        var notes: [String] = []
        if split.strippedDataParallel { notes.append("module. prefix stripped") }
        if let index = split.regressorIndex { notes.append("0.wrapped_module. backbone, regressor at \(index).") }
        let suffix = notes.isEmpty ? "" : " (\(notes.joined(separator: "; ")))"
        let keys: String
        switch identification {
        case .smallNet, .hourglass: keys = "all \(split.backbone.count) keys load"
        case .regression:
            keys = "all \(split.backbone.count) backbone + \(split.regressor?.count ?? 0) regressor keys load"
        default:
            return "maps onto: \(identification.description)\(suffix)"
        }
        do {
            _ = try models(from: checkpoint, split: split, identification: identification)
            return "maps onto: \(identification.description): \(keys)\(suffix)"
        } catch {
            return "maps onto: \(identification.description) by shape, but loading fails\(suffix):\n\(error)"
        }
    }
}

extension CheckpointModels.Identification {
    /// The descriptor channels of the (backbone) network, nil when not identified.
    var outputChannels: Int? {
        switch network {
        case .smallNet(let c): c
        case .hourglass(let widths): widths.outputChannels
        default: nil
        }
    }
}
