import Foundation
import HDF5
import Tensors
import TorchFormat

/// `dvebench export`: our weights out of an HDF5 file, into a PyTorch `.pth` state dict.
///
/// Sources it understands, tried in this order on the chosen group (the root by default):
/// - a training checkpoint of `HDF5CheckpointStore` (root attribute `format`), whose `model` group and
///   `model_keys` list hold the weights;
/// - any group with `state_dict_keys` and a `weights/` group, as the golden `smallnet.h5` stores each
///   net (`--group c16`);
/// - any group with `model_keys` and a `model/` group.
public enum CheckpointExport {
    public struct Summary: Sendable {
        public var source: String
        public var output: String
        public var tensors: Int
        public var elements: Int
        public var bytes: Int
    }

    public struct ExportError: Error, CustomStringConvertible {
        public var source: String
        public var message: String
        public var description: String { "\(source): \(message)" }
    }

    /// The state dict stored in `path` (under `group` when given).
    public static func readStateDict(hdf5 path: String, group: String? = nil) throws -> StateDict {
        if group == nil, let store = try? HDF5File.open(path) {
            let isTrainingCheckpoint = (try? store.root.attribute("format").stringValue) == HDF5CheckpointStore.format
            store.close()
            if isTrainingCheckpoint {
                guard let checkpoint = try HDF5CheckpointStore(path: path).load() else {
                    throw ExportError(source: path, message: "the training checkpoint could not be read")
                }
                return checkpoint.model
            }
        }
        let file = try HDF5File.open(path)
        defer { file.close() }
        let base = try group.map { try file.root.group($0) } ?? file.root
        if base.contains("state_dict_keys"), base.contains("weights") {
            return try base.group("weights").readStateDict(keys: try base.dataset("state_dict_keys").readStrings())
        }
        if base.contains("model_keys"), base.contains("model") {
            return try base.group("model").readStateDict(keys: try base.dataset("model_keys").readStrings())
        }
        let candidates = (try? base.groupNames().filter { name in
            (try? base.group(name)).map { $0.contains("state_dict_keys") || $0.contains("model_keys") } ?? false
        }) ?? []
        let hint = candidates.isEmpty ? "" : "; groups that hold one: \(candidates.joined(separator: ", ")) (use --group)"
        throw ExportError(source: path, message: "\(base.path) holds no state dict (no state_dict_keys + weights/, no model_keys + model/)\(hint)")
    }

    /// Reads the weights and writes them to `output` as a zip-format `.pth`.
    public static func export(hdf5 path: String, group: String? = nil, to output: String) throws -> Summary {
        let dict = try readStateDict(hdf5: path, group: group)
        guard dict.count > 0 else { throw ExportError(source: path, message: "the state dict is empty") }
        try TorchWriter.write(dict, to: output)
        let bytes = (try? FileManager.default.attributesOfItem(atPath: output)[.size] as? Int) ?? 0
        let elements = dict.keys.reduce(0) { $0 + (dict[$1]?.shape.reduce(1, *) ?? 0) }
        return Summary(source: path + (group.map { ":/\($0)" } ?? ""), output: output, tensors: dict.count,
                       elements: elements, bytes: bytes)
    }
}
