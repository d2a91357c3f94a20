/// How the DVE code wraps its models, and the key prefixes each wrapper adds (models.md §3):
///
/// - `nn.DataParallel` (multi-GPU runs): every key gains `module.`. The reference strips it with
///   `clean_state_dict` — a leading literal `module.` only, per key, order kept.
/// - Keypoint-regression runs save `nn.Sequential(NoGradWrapper(backbone), [Up(),] regressor)`: backbone
///   keys are `0.wrapped_module.<key>`, regressor keys `1.<key>`, or `2.<key>` when the parameter-free
///   `Up` sits at index 1.
///
/// `split()` undoes both, so the backbone's keys are those of the bare embedding network.
public struct SplitStateDict: Sendable, Equatable {
    /// The embedding network's entries (SmallNet or Hourglass keys).
    public var backbone: TorchStateDict
    /// The keypoint regressor's entries, for regression checkpoints.
    public var regressor: TorchStateDict?
    /// 1, or 2 when an upsampling layer precedes the regressor.
    public var regressorIndex: Int?
    /// Whether `module.` was stripped.
    public var strippedDataParallel: Bool
    /// Keys of a regression checkpoint that fit neither part (reported as unexpected when loading).
    public var unassigned: [String]
}

extension TorchStateDict {
    public static let dataParallelPrefix = "module."
    public static let wrappedBackbonePrefix = "0.wrapped_module."

    /// `clean_state_dict`: drops a leading `module.` from each key that has one.
    public func cleaned() -> TorchStateDict {
        TorchStateDict(entries: entries.map { entry in
            var e = entry
            if e.key.hasPrefix(Self.dataParallelPrefix) { e.key.removeFirst(Self.dataParallelPrefix.count) }
            return e
        }, metadata: metadata)
    }

    /// Removes the DataParallel prefix, then, when any key starts with `0.wrapped_module.`, separates
    /// a regression checkpoint's backbone from its regressor.
    public func split() -> SplitStateDict {
        let stripped = entries.contains { $0.key.hasPrefix(Self.dataParallelPrefix) }
        let clean = cleaned()
        guard clean.entries.contains(where: { $0.key.hasPrefix(Self.wrappedBackbonePrefix) }) else {
            return SplitStateDict(backbone: clean, regressor: nil, regressorIndex: nil,
                                  strippedDataParallel: stripped, unassigned: [])
        }
        let index = clean.entries.contains { $0.key.hasPrefix("1.") } ? 1 : 2
        var backbone: [TorchStateEntry] = [], regressor: [TorchStateEntry] = [], unassigned: [String] = []
        for entry in clean.entries {
            if entry.key.hasPrefix(Self.wrappedBackbonePrefix) {
                backbone.append(TorchStateEntry(key: String(entry.key.dropFirst(Self.wrappedBackbonePrefix.count)), tensor: entry.tensor))
            } else if entry.key.hasPrefix("\(index).") {
                regressor.append(TorchStateEntry(key: String(entry.key.dropFirst(2)), tensor: entry.tensor))
            } else {
                unassigned.append(entry.key)
            }
        }
        return SplitStateDict(backbone: TorchStateDict(entries: backbone), regressor: TorchStateDict(entries: regressor),
                              regressorIndex: index, strippedDataParallel: stripped, unassigned: unassigned)
    }
}
