import Foundation
import HDF5
import Landmarks
import Tensors

/// A trained embedding shipped with the repository (`expected/models/`), so the embedded default can
/// evaluate converged models in minutes instead of training them for hours. It carries everything
/// that decided it and how it was made.
///
/// File (`kind` = "dvebench-model", `schema` = 1): root attributes `key` (the digest of recipe, data
/// and scale that the runner computes for the row; a model is used only when it matches),
/// `configuration_json`, `data_source`, `iterations`, `seed`, and the training run's provenance as
/// `provenance.<field>` strings (the fields of `Provenance.stringAttributes`); `state/<key>` float32 (int64 counters)
/// with `state_keys` giving the order; `curve/` as in results files, when training recorded one.
public struct ShippedModel: Sendable {
    public static let kind = "dvebench-model"
    public static let schema = 1

    public var key: String
    public var configuration: TrainingConfiguration
    public var dataSource: String
    public var iterations: Int
    public var weights: StateDict
    public var curve: LearningCurve?
    public var provenance: [String: String]

    /// `smallnet-16d-dve-seed0-<key prefix>.h5`: readable, and unique per recipe and data.
    public static func fileName(configuration: TrainingConfiguration, key: String) -> String {
        let arch = configuration.architecture == .hourglass ? "hourglass" : "smallnet"
        return "\(arch)-\(configuration.outputChannels)d\(configuration.exchangeDescriptors ? "-dve" : "")"
            + "-seed\(configuration.seed)-\(key.prefix(16)).h5"
    }

    public func write(to path: String) throws(ResultsFileError) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let json: String
        do { json = String(decoding: try encoder.encode(configuration), as: UTF8.self) } catch {
            throw .unwritable(file: path, problem: "configuration: \(error)")
        }
        var attributes = ["key": key, "configuration_json": json, "data_source": dataSource, "seed": String(configuration.seed)]
        for (name, value) in provenance { attributes["provenance.\(name)"] = value }
        try FileKind.write(path, kind: Self.kind, schema: Self.schema, attributes: attributes) { root in
            try root.setAttribute("iterations", .int64(Int64(iterations)))
            let state = try root.createGroup("state")
            try root.write("state_keys", strings: weights.keys, shape: [weights.keys.count])
            for name in weights.keys {
                switch weights[name] {
                case .float(let t): try state.write(name, tensor: t)
                case .int64(let shape, let values): try state.write(name, int64: values, shape: shape)
                case nil: break
                }
            }
            if let curve, !curve.isEmpty { try curve.write(into: try root.createGroup("curve")) }
        }
    }

    public static func load(_ path: String) throws(ResultsFileError) -> ShippedModel {
        try FileKind.read(path, kind: kind, schema: schema) { file, root in
            let configuration: TrainingConfiguration
            do {
                configuration = try JSONDecoder().decode(TrainingConfiguration.self, from: Data(try root.string("configuration_json").utf8))
            } catch let error as ResultsFileError {
                throw error
            } catch {
                throw ResultsFileError.malformed(file: path, object: "/", problem: "configuration_json: \(error)")
            }
            let keys = try file.root.dataset("state_keys").readStrings()
            return ShippedModel(key: try root.string("key"), configuration: configuration,
                                dataSource: try root.string("data_source"), iterations: try root.int("iterations"),
                                weights: try file.root.group("state").readStateDict(keys: keys),
                                curve: file.root.contains("curve") ? try LearningCurve(group: try file.root.group("curve")) : nil,
                                provenance: try root.prefixedStrings("provenance."))
        }
    }

    /// The file shipped for `key` in `directory`, or nil when none was: its name carries the key's
    /// prefix and its `key` attribute the whole key (read alone, not the weights).
    public static func path(forKey key: String, in directory: String) -> String? {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.sorted().lazy.filter { $0.hasSuffix("-\(key.prefix(16)).h5") }
            .map { (directory as NSString).appendingPathComponent($0) }
            .first { path in (try? FileKind.read(path, kind: kind, schema: schema) { _, root in try root.string("key") }) == key }
    }
}
