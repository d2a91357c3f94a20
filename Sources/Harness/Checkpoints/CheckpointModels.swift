import Landmarks
import Tensors
import TorchFormat

/// Which of our models a checkpoint's weights belong to, and loading them.
///
/// This lives in Harness rather than TorchFormat because it needs the models (Landmarks), and
/// TorchFormat may depend only on Tensors. The key clean-up it relies on — DataParallel's `module.`
/// and the regression wrapper's `0.wrapped_module.` / `1.` — is TorchFormat's `TorchStateDict.split()`.
public enum CheckpointModels {
    public enum Identification: Sendable, Equatable {
        /// SmallNet with `conv6` producing this many channels.
        case smallNet(outputChannels: Int)
        /// Recognised, but not loadable from a checkpoint yet (Hourglass, keypoint regressor).
        case notKnownYet(String)
        case unrecognised(String)

        public var description: String {
            switch self {
            case .smallNet(let c): "SmallNet-\(c)"
            case .notKnownYet(let what): "\(what): not known yet (no checkpoint loader for it in this build)"
            case .unrecognised(let why): "no known model (\(why))"
            }
        }
    }

    /// Infers the model from the weights alone: SmallNet by its `conv1.0.weight` (20, 3, 5, 5) and a
    /// `conv6.weight` of shape (C, 256, 1, 1); HourglassNet by its `hg.0.` / `output_layers.` modules.
    public static func identify(_ split: SplitStateDict) -> Identification {
        let backbone = split.backbone
        var identification: Identification
        if let channels = smallNetChannels(backbone) {
            identification = .smallNet(outputChannels: channels)
        } else if backbone.keys.contains(where: { $0.hasPrefix("hg.0.") || $0.hasPrefix("output_layers.") }) {
            identification = .notKnownYet("HourglassNet")
        } else {
            identification = .unrecognised("no conv6.weight of shape (C, 256, 1, 1) and no hourglass modules among \(backbone.count) keys")
        }
        if split.regressor != nil, case .smallNet(let c) = identification {
            identification = .notKnownYet("SmallNet-\(c) with a keypoint regressor (keys \(split.regressorIndex ?? 1).*)")
        }
        return identification
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
        switch identification {
        case .smallNet(let c):
            do {
                _ = try smallNet(from: checkpoint)
                return "maps onto: SmallNet-\(c): all \(split.backbone.count) keys load\(suffix)"
            } catch {
                return "maps onto: SmallNet-\(c) by shape, but loading fails\(suffix):\n\(error)"
            }
        default:
            return "maps onto: \(identification.description)\(suffix)"
        }
    }
}
