import HDF5
import Landmarks
import Tensors
import TorchFormat

/// The optimizer part of `expected.h5` (golden README §5): per parameter group the int ids exactly as
/// in the file, the key order and every scalar setting; per state entry the step and the Adam moments
/// (in full when small, otherwise sums and the first 8 values).
///
/// The group membership is also recomputed: `param_names` must be what our `ParameterGrouping` builds
/// for the same SmallNet and `bias_lr` (quirk Q12), and every moment must have its parameter's shape.
extension CheckpointsGolden {
    static let moments = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]

    static func optimizerChecks(_ fileName: String, _ checkpoint: TorchCheckpoint, expected: HDF5Group) -> [GoldenCheck] {
        var checks: [GoldenCheck] = []
        func record(_ name: String, _ body: () throws -> GoldenCheck) {
            do { checks.append(try body()) } catch { checks.append(.failure(file: fileName, name: name, error)) }
        }
        guard let optimizer = checkpoint.optimizer, let groups = optimizer["param_groups"]?.elements else {
            return [GoldenCheck(file: fileName, name: "optimizer/param_groups", outcome: .fail, detail: "no param_groups in the file")]
        }
        let net = try? CheckpointModels.smallNet(from: checkpoint)
        let shapes = Dictionary(uniqueKeysWithValues: (net?.namedParameters ?? []).map { ($0.key, $0.parameter.value.shape) })
        var ours: [[String]] = []
        if let net {
            let lr = groups.first?["lr"]?.number ?? 0
            ours = ParameterGrouping.groups(for: net, learningRate: lr, biasLearningRate: checkpoint.config?["bias_lr"]?.number)
                .map { $0.parameters.map(\.key) }
        }
        do {
            let expectedGroups = try expected.group("param_groups")
            let names = try expectedGroups.groupNames().sorted { (Int($0) ?? 0) < (Int($1) ?? 0) }
            checks.append(same(fileName, "optimizer/param_groups (count)", groups.count, names.count))
            for (index, name) in names.enumerated() where index < groups.count {
                let label = "optimizer/param_groups/\(name)"
                let group = groups[index]
                let reference = try expectedGroups.group(name)
                record("\(label)/params") {
                    same(fileName, "\(label)/params", group["params"]?.elements?.map { $0.int ?? -1 } ?? [],
                         try reference.dataset("params").readInt64())
                }
                record("\(label)/key_order") {
                    same(fileName, "\(label)/key_order", group.dictionary?.stringKeys ?? [], try reference.dataset("key_order").readStrings())
                }
                record("\(label) settings") {
                    var differing: [String] = []
                    let attributes = try reference.attributeNames()
                    for attribute in attributes where !settingMatches(group[attribute], try reference.attribute(attribute)) {
                        differing.append("\(attribute): file has \(group[attribute]?.pythonRepr() ?? "nothing")")
                    }
                    return GoldenCheck(file: fileName, name: "\(label) settings", outcome: differing.isEmpty ? .pass : .fail,
                                       detail: differing.isEmpty ? attributes.sorted().joined(separator: ", ") : differing.joined(separator: "; "))
                }
                record("\(label)/param_names") {
                    same(fileName, "\(label)/param_names vs our bias_lr grouping", index < ours.count ? ours[index] : [],
                         try reference.dataset("param_names").readStrings())
                }
            }
        } catch {
            checks.append(.failure(file: fileName, name: "optimizer/param_groups", error))
        }
        do {
            let stateGroup = try expected.group("state")
            let state = optimizer["state"]?.dictionary ?? PickleDictionary()
            checks.append(same(fileName, "optimizer/state/keys_in_file_order", state.keys.map { $0.int ?? -1 },
                               try stateGroup.dataset("keys_in_file_order").readInt64()))
            for name in try stateGroup.groupNames() {
                record("optimizer/state/\(name)") {
                    let reference = try stateGroup.group(name)
                    guard let key = try reference.attribute("key").intValue, let entry = state[intKey: key] else {
                        return GoldenCheck(file: fileName, name: "optimizer/state/\(name)", outcome: .fail, detail: "no state entry for its key")
                    }
                    return try stateCheck(fileName, name, entry, reference, parameterShape: shapes[name])
                }
            }
        } catch {
            checks.append(.failure(file: fileName, name: "optimizer/state", error))
        }
        return checks
    }

    /// A group setting against its attribute: "None" ↔ None, uint8 ↔ bool, arrays ↔ tuples, numbers exact.
    static func settingMatches(_ value: PickleValue?, _ expected: HDF5Value) -> Bool {
        guard let value else { return false }
        if expected.stringValue == "None" { return value == .none }
        if case .uint8(let flags, _) = expected, flags.count == 1 { return value.bool == (flags[0] == 1) }
        if case .int64(let ints, let shape) = expected, shape.isEmpty, ints.count == 1 { return value.int == ints[0] }
        if let numbers = expected.doubleArray {
            if expected.shape.isEmpty { return numbers.count == 1 && value.number == numbers[0] }
            return value.elements?.map(\.number) == numbers.map { Optional($0) }
        }
        return false
    }

    /// Step and moments of one parameter's Adam state, exactly (sums at `sum` tolerance).
    static func stateCheck(_ fileName: String, _ name: String, _ entry: PickleValue, _ reference: HDF5Group,
                           parameterShape: [Int]?) throws -> GoldenCheck {
        var problems: [String] = []
        var compared: [String] = []
        if reference.contains("step") {
            let step = entry["step"]?.int ?? entry["step"]?.tensor?.int64s()?.first ?? entry["step"]?.number.map { Int64($0) }
            if step != (try reference.dataset("step").readInt64()).first { problems.append("step \(step.map(String.init) ?? "missing")") }
            compared.append("step")
        }
        for moment in moments {
            guard let tensor = entry[moment]?.tensor else {
                if reference.contains(moment) || reference.contains(moment + "_sum") { problems.append("\(moment) missing") }
                continue
            }
            if let parameterShape, tensor.shape != parameterShape {
                problems.append("\(moment) has shape \(tensor.shape), the parameter \(parameterShape)")
            }
            let values = tensor.floats()
            if reference.contains(moment) {
                if !Tolerance.exact.compare(values, try reference.dataset(moment).readFloat32()).passed { problems.append("\(moment) differs") }
                compared.append(moment)
            }
            if reference.contains(moment + "_sum") {
                let total = values.reduce(0.0) { $0 + Double($1) }
                let absolute = values.reduce(0.0) { $0 + abs(Double($1)) }
                if !sum.compare([total], try reference.dataset(moment + "_sum").readFloat64()).passed { problems.append("\(moment)_sum") }
                if !sum.compare([absolute], try reference.dataset(moment + "_abs_sum").readFloat64()).passed { problems.append("\(moment)_abs_sum") }
                let first = try reference.dataset(moment + "_first8").readFloat32()
                if !Tolerance.exact.compare(Array(values.prefix(first.count)), first).passed { problems.append("\(moment)_first8") }
                compared.append(moment + " (sums, first 8)")
            }
        }
        return GoldenCheck(file: fileName, name: "optimizer/state/\(name)", outcome: problems.isEmpty ? .pass : .fail,
                           tolerance: "exact (sums rel 1e-12)",
                           detail: problems.isEmpty ? compared.joined(separator: ", ") : problems.joined(separator: "; "))
    }
}
