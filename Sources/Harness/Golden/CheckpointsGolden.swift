import Foundation
import HDF5
import Landmarks
import Tensors
import TorchFormat

/// `checkpoints/`: real `torch.save` files read by TorchFormat and compared with their expected
/// contents (golden README §5). Every file of the folder is reported:
///
/// - each checkpoint named by a group of `expected.h5` (attribute `file`): container facts (format,
///   magic number, protocol, sys-info, pickle globals, storage keys or zip entries), `arch`, `epoch`,
///   `monitor_best`, the state-dict keys, per-tensor sums and `_metadata`, the config JSON (and for a
///   pickled `ConfigParser` its class and attributes), the optimizer's groups and state
///   (`CheckpointsGolden+Optimizer.swift`); then every state-dict tensor against the directory's
///   `smallnet.h5` `/c<C>/weights` **exactly**, and the SmallNet loaded from the file against
///   `/c<C>/eval/output` at scaled(1e-4);
/// - each `zoo-*.pth` against `zoo-expected.json` (`CheckpointsGolden+Zoo.swift`);
/// - `expected.h5` and `zoo-expected.json` themselves pass when they could be read; any other file is
///   not covered.
///
/// Strings Python wrote (`config_json`, `state_dict_metadata_json`, …) are compared character for
/// character with our rendering of the same data in `json.dumps` style.
enum CheckpointsGolden {
    static let folder = "checkpoints/"
    static let expectedName = "checkpoints/expected.h5"
    static let zooName = "checkpoints/zoo-expected.json"
    static let output = Tolerance.scaled(1e-4)
    /// Our float64 sums run sequentially; numpy's are pairwise, so the last bits may differ.
    static let sum = Tolerance.relative(1e-12)

    static func verify(directory: URL, files: [String]) -> [GoldenCheck] {
        var checks: [GoldenCheck] = []
        var claimed: Set<String> = []
        func url(_ name: String) -> URL { directory.appendingPathComponent(name) }
        let smallnet = try? HDF5File.open(url("smallnet.h5").path)
        defer { smallnet?.close() }
        var expectedFile: HDF5File?
        if files.contains(expectedName) {
            claimed.insert(expectedName)
            do {
                let expected = try HDF5File.open(url(expectedName).path)
                expectedFile = expected
                var described: [String] = []
                for groupName in try expected.root.groupNames() {
                    let group = try expected.root.group(groupName)
                    guard try group.hasAttribute("file"), let fileName = try group.attribute("file").stringValue else { continue }
                    let name = folder + fileName
                    claimed.insert(name)
                    described.append(fileName)
                    guard files.contains(name) else {
                        checks.append(GoldenCheck(file: name, name: "(file)", outcome: .fail, detail: "listed in expected.h5 but missing"))
                        continue
                    }
                    checks += verifyCheckpoint(name, url: url(name), expected: group, smallnet: smallnet)
                }
                checks.append(GoldenCheck(file: expectedName, name: "(read)", outcome: .pass, tolerance: "-",
                                          detail: "expectations for \(described.joined(separator: ", "))"))
            } catch {
                checks.append(.failure(file: expectedName, name: "(read)", error))
            }
        }
        defer { expectedFile?.close() }
        if files.contains(zooName) {
            claimed.insert(zooName)
            let zooFiles = files.filter { $0.hasPrefix(folder + "zoo-") && $0.hasSuffix(".pth") }
            claimed.formUnion(zooFiles)
            checks += verifyZoo(zooFiles, json: url(zooName), directory: directory, expected: expectedFile)
        }
        for name in files where !claimed.contains(name) {
            checks.append(GoldenCheck(file: name, name: "(whole file)", outcome: .notCovered, tolerance: "-",
                                      detail: "no expectation in expected.h5 or zoo-expected.json names it"))
        }
        return checks
    }

    /// A check that `got` equals `expected`, with both shown when they differ.
    static func same<T: Equatable>(_ file: String, _ name: String, _ got: T, _ expected: T) -> GoldenCheck {
        .equality(file: file, name: name, got: got, expected: expected)
    }

    static func verifyCheckpoint(_ fileName: String, url: URL, expected: HDF5Group, smallnet: HDF5File?) -> [GoldenCheck] {
        var checks: [GoldenCheck] = []
        func record(_ name: String, _ body: () throws -> GoldenCheck) {
            do { checks.append(try body()) } catch { checks.append(.failure(file: fileName, name: name, error)) }
        }
        func attribute(_ name: String) throws -> HDF5Value { try expected.attribute(name) }

        let checkpoint: TorchCheckpoint
        do {
            checkpoint = try TorchCheckpoint.read(contentsOf: url.path)
        } catch {
            return [.failure(file: fileName, name: "(read)", error)]
        }
        let file = checkpoint.file
        let isZip = expected.contains("zip_entries")
        checks.append(same(fileName, "format", file.format, isZip ? .zip : .legacy))
        record("arch") { same(fileName, "arch", checkpoint.arch, try attribute("arch").stringValue) }
        record("epoch") { same(fileName, "epoch", checkpoint.epoch, try attribute("epoch").intValue) }
        record("monitor_best") {
            same(fileName, "monitor_best", checkpoint.monitorBest?.number, try attribute("monitor_best").doubleValue)
        }
        record("state_dict_keys") {
            same(fileName, "state_dict_keys", checkpoint.stateDict.keys, try expected.dataset("state_dict_keys").readStrings())
        }
        record("state_dict_sum") {
            let sums = checkpoint.stateDict.entries.map { $0.tensor.doubles().reduce(0, +) }
            return GoldenCheck(file: fileName, name: "state_dict_sum",
                               comparison: sum.compare(sums, try expected.dataset("state_dict_sum").readFloat64()))
        }
        record("state_dict_metadata_json") {
            same(fileName, "state_dict_metadata_json", checkpoint.stateDict.metadata?.pythonJSON(),
                 try attribute("state_dict_metadata_json").stringValue)
        }
        record("config_json") { same(fileName, "config_json", checkpoint.config?.pythonJSON(), try attribute("config_json").stringValue) }
        if isZip {
            record("zip_entries") {
                same(fileName, "zip_entries (sorted)", file.zipEntries.sorted(), try expected.dataset("zip_entries").readStrings().sorted())
            }
        } else {
            checks += legacyChecks(fileName, checkpoint, expected)
        }
        if expected.contains("optimizer") {
            do {
                checks += optimizerChecks(fileName, checkpoint, expected: try expected.group("optimizer"))
            } catch {
                checks.append(.failure(file: fileName, name: "optimizer", error))
            }
        }
        checks += weightChecks(fileName, checkpoint, smallnet: smallnet)
        return checks
    }

    static func legacyChecks(_ fileName: String, _ checkpoint: TorchCheckpoint, _ expected: HDF5Group) -> [GoldenCheck] {
        var checks: [GoldenCheck] = []
        func record(_ name: String, _ body: () throws -> GoldenCheck) {
            do { checks.append(try body()) } catch { checks.append(.failure(file: fileName, name: name, error)) }
        }
        let file = checkpoint.file
        record("magic_number") {
            same(fileName, "magic_number", file.legacyHeader?.magicNumber, try expected.attribute("magic_number").stringValue)
        }
        record("protocol_version") {
            same(fileName, "protocol_version", file.legacyHeader?.protocolVersion, try expected.attribute("protocol_version").intValue)
        }
        record("sys_info_json") {
            same(fileName, "sys_info_json", file.legacyHeader?.systemInfo.pythonJSON(), try expected.attribute("sys_info_json").stringValue)
        }
        record("pickle_globals") {
            same(fileName, "pickle_globals (sorted)", file.globals.sorted(), try expected.dataset("pickle_globals").readStrings().sorted())
        }
        record("storage_keys_in_file_order") {
            same(fileName, "storage_keys_in_file_order", file.storageKeys, try expected.dataset("storage_keys_in_file_order").readStrings())
        }
        if (try? expected.hasAttribute("config_pickled_class")) == true {
            record("config_pickled_class") {
                same(fileName, "config_pickled_class", checkpoint.configObject?.typeName, try expected.attribute("config_pickled_class").stringValue)
            }
            record("config_object_attributes_json") {
                same(fileName, "config_object_attributes_json", configAttributesJSON(checkpoint),
                     try expected.attribute("config_object_attributes_json").stringValue)
            }
        }
        return checks
    }

    /// The ConfigParser's attributes as the golden generator rendered them: paths as their string,
    /// `_config` as a placeholder (its contents are `config_json`), other objects by their repr.
    static func configAttributesJSON(_ checkpoint: TorchCheckpoint) -> String? {
        guard let attributes = checkpoint.configObject?.object?.attributes else { return nil }
        var shown = attributes
        for i in shown.entries.indices where shown.entries[i].key == .string("_config") {
            shown.entries[i].value = .string("<the config dict>")
        }
        return PickleValue.dict(shown).pythonJSON { value in
            guard case .object(let object) = value else { return nil }
            return .string(object.pathString ?? value.pythonRepr())
        }
    }

    /// Every state-dict tensor against `smallnet.h5 /c<C>/weights` (exact), then the loaded SmallNet's
    /// eval output against `/c<C>/eval/output`.
    static func weightChecks(_ fileName: String, _ checkpoint: TorchCheckpoint, smallnet: HDF5File?) -> [GoldenCheck] {
        let split = checkpoint.stateDict.split()
        guard case .smallNet(let channels) = CheckpointModels.identify(split) else {
            return [GoldenCheck(file: fileName, name: "model", outcome: .fail,
                                detail: "the weights are not a SmallNet's: \(CheckpointModels.identify(split).description)")]
        }
        guard let smallnet else {
            return [GoldenCheck(file: fileName, name: "state_dict vs smallnet.h5", outcome: .fail,
                                detail: "smallnet.h5 is missing from the golden directory")]
        }
        let groupName = "c\(channels)"
        var checks: [GoldenCheck] = []
        do {
            let group = try smallnet.root.group(groupName)
            let weights = try group.group("weights")
            var mismatched: [String] = []
            var worst = 0.0
            for entry in split.backbone.entries {
                let dataset = try weights.dataset(entry.key)
                let t = entry.tensor
                let equal: Bool
                if dataset.elementType.isInteger {
                    equal = t.int64s() == (try dataset.readInt64()) && t.shape == dataset.shape
                } else {
                    let comparison = Tolerance.exact.compare(t.floats(), try dataset.readFloat32())
                    worst = max(worst, comparison.maxAbsError)
                    equal = t.dtype == .float32 && t.shape == dataset.shape && comparison.passed
                }
                if !equal { mismatched.append(entry.key) }
            }
            let stored = try group.dataset("state_dict_keys").readStrings()
            let missing = stored.filter { split.backbone[$0] == nil }
            checks.append(GoldenCheck(file: fileName, name: "state_dict vs smallnet.h5 /\(groupName)/weights",
                                      outcome: mismatched.isEmpty && missing.isEmpty ? .pass : .fail, maxAbsError: worst,
                                      detail: mismatched.isEmpty && missing.isEmpty
                                        ? "\(split.backbone.count) tensors bit-identical"
                                        : "differ: \(mismatched); missing: \(missing)"))
            let net = try CheckpointModels.smallNet(from: checkpoint)
            let x = try smallnet.root.dataset("x").readTensor()
            let reference = try group.dataset("eval/output").readTensor()
            let got = net.forward(x, training: false)
            let name = "SmallNet from the file vs smallnet.h5 /\(groupName)/eval/output"
            checks.append(got.shape == reference.shape
                ? GoldenCheck(file: fileName, name: name, comparison: output.compare(got.storage, reference.storage))
                : GoldenCheck(file: fileName, name: name, outcome: .fail, detail: "shape \(got.shape), reference \(reference.shape)"))
        } catch {
            checks.append(.failure(file: fileName, name: "state_dict vs smallnet.h5 /\(groupName)", error))
        }
        return checks
    }
}
