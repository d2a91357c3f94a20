import Foundation
import HDF5
import Landmarks
import Tensors

/// Training checkpoints as one HDF5 file, replaced atomically on every save (written to a temporary
/// file beside it, then renamed), so an interrupted save leaves the previous checkpoint intact.
///
/// Layout: root attributes `format` ("dvebench-training-checkpoint/1"), `configuration_json`, `epoch`,
/// `iteration`; `model/<state_dict key>` (float32, int64 for counters) with `model_keys` giving the
/// order; `optimizer/` with attribute `configuration_json` and `groups_json` (group keys, learning rates,
/// weight decays) and `optimizer/state/<key>/{step, exp_avg, exp_avg_sq, max_exp_avg_sq}`; `losses`
/// (float64). Floats are stored as their exact bits, so a resume continues bit-identically.
public final class HDF5CheckpointStore: TrainingCheckpointStore {
    public static let format = "dvebench-training-checkpoint/1"
    public let path: String

    public init(path: String) { self.path = path }

    public var location: String { path }

    public func save(_ checkpoint: TrainingCheckpoint) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let configuration = String(decoding: try encoder.encode(checkpoint.configuration), as: UTF8.self)
        let optimizerConfiguration = String(decoding: try encoder.encode(checkpoint.optimizer.configuration), as: UTF8.self)
        let groups = String(decoding: try encoder.encode(checkpoint.optimizer.groups), as: UTF8.self)
        try HDF5File.write(to: path) { root in
            try root.setAttribute("format", .string(Self.format))
            try root.setAttribute("configuration_json", .string(configuration))
            try root.setAttribute("epoch", .int64(Int64(checkpoint.position.epoch)))
            try root.setAttribute("iteration", .int64(Int64(checkpoint.position.iteration)))
            let model = try root.createGroup("model")
            try root.write("model_keys", strings: checkpoint.model.keys, shape: [checkpoint.model.keys.count])
            for key in checkpoint.model.keys {
                switch checkpoint.model[key] {
                case .float(let t): try model.write(key, tensor: t)
                case .int64(let shape, let values): try model.write(key, int64: values, shape: shape)
                case nil: break
                }
            }
            let optimizer = try root.createGroup("optimizer")
            try optimizer.setAttribute("configuration_json", .string(optimizerConfiguration))
            try optimizer.setAttribute("groups_json", .string(groups))
            let state = try optimizer.createGroup("state")
            for (key, entry) in checkpoint.optimizer.parameters.sorted(by: { $0.key < $1.key }) {
                let group = try state.createGroup(key)
                try group.write("step", int64: [Int64(entry.step)], shape: [])
                try group.write("exp_avg", float32: entry.expAvg, shape: [entry.expAvg.count])
                try group.write("exp_avg_sq", float32: entry.expAvgSq, shape: [entry.expAvgSq.count])
                if let max = entry.maxExpAvgSq {
                    try group.write("max_exp_avg_sq", float32: max, shape: [max.count])
                }
            }
            try root.write("losses", float64: checkpoint.losses, shape: [checkpoint.losses.count])
        }
    }

    public func load() throws -> TrainingCheckpoint? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        let file = try HDF5File.open(path)
        defer { file.close() }
        let root = file.root
        guard try root.attribute("format").stringValue == Self.format else {
            throw TrainingError.checkpointIO(source: path, underlying: "not a DVEBench training checkpoint (attribute format is not \(Self.format))")
        }
        let decoder = JSONDecoder()
        func json<T: Decodable>(_ type: T.Type, _ group: HDF5Group, _ name: String) throws -> T {
            guard let text = try group.attribute(name).stringValue else {
                throw TrainingError.checkpointIO(source: path, underlying: "attribute \(group.path)/\(name) is not a string")
            }
            return try decoder.decode(type, from: Data(text.utf8))
        }
        let configuration = try json(TrainingConfiguration.self, root, "configuration_json")
        guard let epoch = try root.attribute("epoch").intValue, let iteration = try root.attribute("iteration").intValue else {
            throw TrainingError.checkpointIO(source: path, underlying: "epoch or iteration is not an integer")
        }
        let model = try root.group("model").readStateDict(keys: try root.dataset("model_keys").readStrings())
        let optimizerGroup = try root.group("optimizer")
        let state = try optimizerGroup.group("state")
        var parameters: [String: AdamParameterState] = [:]
        for key in try state.groupNames() {
            let entry = try state.group(key)
            let max = entry.contains("max_exp_avg_sq") ? try entry.dataset("max_exp_avg_sq").readFloat32() : nil
            parameters[key] = AdamParameterState(
                step: Int(try entry.dataset("step").readInt64().first ?? 0),
                expAvg: try entry.dataset("exp_avg").readFloat32(),
                expAvgSq: try entry.dataset("exp_avg_sq").readFloat32(), maxExpAvgSq: max)
        }
        let optimizer = AdamState(configuration: try json(AdamConfiguration.self, optimizerGroup, "configuration_json"),
                                  groups: try json([AdamState.Group].self, optimizerGroup, "groups_json"),
                                  parameters: parameters)
        return TrainingCheckpoint(configuration: configuration,
                                  position: TrainingPosition(epoch: Int(epoch), iteration: Int(iteration)),
                                  model: model, optimizer: optimizer, losses: try root.dataset("losses").readFloat64())
    }
}
