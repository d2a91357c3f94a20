import Foundation
import Testing
import Tensors
import TestSupport
@testable import TorchFormat

@Suite struct FixtureReadTests {
    @Test func legacyCheckpointHeaderObjectAndConfig() throws {
        let ckpt = try TorchCheckpoint.read(contentsOf: CheckpointFixtures.url("smallnet16-legacy.pth").path)
        #expect(ckpt.file.format == .legacy)
        #expect(ckpt.file.legacyHeader?.magicNumber == "119547037146038801333356")
        #expect(ckpt.file.legacyHeader?.protocolVersion == 1001)
        #expect(ckpt.arch == "SmallNet")
        #expect(ckpt.epoch == 1)
        #expect(ckpt.monitorBest == .int(0))
        #expect(ckpt.stateDict.count == 37)
        #expect(ckpt.stateDict.keys.first == "conv1.0.weight")
        #expect(ckpt.stateDict["conv1.1.num_batches_tracked"]?.dtype == .int64)
        #expect(ckpt.stateDict["conv1.1.num_batches_tracked"]?.shape == [])
        #expect(ckpt.file.storageKeys.count == 103)
        #expect(Set(ckpt.file.globals) == ["argparse.Namespace", "collections.OrderedDict", "parse_config.ConfigParser",
                                           "pathlib.PosixPath", "torch.FloatStorage", "torch.LongStorage",
                                           "torch._utils._rebuild_tensor_v2"])
        // The ConfigParser is an inert record whose state is plain data.
        let config = try #require(ckpt.configObject?.object)
        #expect(config.className == "parse_config.ConfigParser")
        #expect(config.attributes?["cfg_fname"]?.object?.pathString == "configs/celeba/smallnet-16d-dve.json")
        #expect(config.attributes?["_args"]?.object?.className == "argparse.Namespace")
        #expect(ckpt.summary == CheckpointSummary(architecture: "SmallNet", embeddingDimension: 16,
                                                  loss: "dense_correlation_loss_dve", epoch: 1))
        #expect(ckpt.summary.mismatches(architecture: "SmallNet", embeddingDimension: 16, loss: "dense_correlation_loss_dve").isEmpty)
        #expect(ckpt.summary.mismatches(embeddingDimension: 64) == ["embedding dimension: expected 64, checkpoint has 16"])
        // Optimizer state keyed by id() (LONG1) with int steps.
        let state = try #require(ckpt.optimizer?["state"]?.dictionary)
        #expect(state.count == 22)
        #expect(state[intKey: 139_911_540_000_000]?["step"] == .int(2))
        #expect(state[intKey: 139_911_540_000_000]?["exp_avg"]?.tensor?.shape == [20, 3, 5, 5])
    }

    @Test func zipDataParallelCheckpointMapsLikeCleanStateDict() throws {
        let zipped = try TorchCheckpoint.read(contentsOf: CheckpointFixtures.url("smallnet16-dataparallel-zip.pth").path)
        let legacy = try TorchCheckpoint.read(contentsOf: CheckpointFixtures.url("smallnet16-legacy.pth").path)
        #expect(zipped.file.format == .zip)
        #expect(zipped.file.archivePrefix == "smallnet16-dataparallel-zip/")
        #expect(zipped.file.zipEntries.count == 39)
        #expect(zipped.arch == "DataParallel")
        #expect(zipped.stateDict.keys.allSatisfy { $0.hasPrefix("module.") })
        let split = zipped.stateDict.split()
        #expect(split.strippedDataParallel)
        #expect(split.backbone.keys == legacy.stateDict.keys)
        // Both files hold the same weights bit for bit.
        for (a, b) in zip(split.backbone.entries, legacy.stateDict.entries) {
            #expect(a.tensor.contiguousBytes() == b.tensor.contiguousBytes(), "\(a.key)")
        }
        #expect(zipped.stateDict.stateDict().count == 37)
        #expect(zipped.config?["n_gpu"] == .int(2))
    }

    /// Every zoo entry of both files against `zoo-expected.json`: dtype, shape, stride, offset, storage
    /// size and values.
    @Test(arguments: ["zoo-legacy.pth", "zoo-zip.pth"])
    func zooMatchesExpectedJSON(_ name: String) throws {
        let file = try TorchFile.read(contentsOf: CheckpointFixtures.url(name).path)
        let json = try #require(try JSONSerialization.jsonObject(with: CheckpointFixtures.data("zoo-expected.json")) as? [String: Any])
        func checkTensor(_ value: PickleValue?, _ spec: [String: Any], _ label: String) {
            guard let t = value?.tensor else { Issue.record("\(label): not a tensor"); return }
            #expect(t.dtype.rawValue == spec["dtype"] as? String, "\(label)")
            #expect(t.shape == spec["shape"] as? [Int], "\(label)")
            #expect(t.stride == spec["stride"] as? [Int], "\(label)")
            #expect(t.storageOffset == spec["storage_offset"] as? Int, "\(label)")
            #expect(t.storage.numel == spec["storage_numel"] as? Int, "\(label)")
            let values = spec["values"] as? [Any] ?? []
            switch t.dtype {
            case .bool: #expect(t.int64s()?.map { $0 != 0 } == values.compactMap { $0 as? Bool }, "\(label)")
            case .int64, .uint8: #expect(t.int64s() == values.compactMap { ($0 as? NSNumber)?.int64Value }, "\(label)")
            case .float64:
                // JSONSerialization on Linux does not round decimal text correctly (it is off by an ulp or
                // two), so float64 is checked to 1e-15 here; the golden verifier parses the text exactly.
                let expected = values.compactMap { ($0 as? NSNumber)?.doubleValue }
                #expect(t.doubles().count == expected.count && zip(t.doubles(), expected).allSatisfy { abs($0 - $1) <= 1e-15 * abs($1) }, "\(label)")
            default:
                // float32/float16: an ulp of a double is far below an ulp of the float, so rounding the
                // parsed value to Float recovers the exact stored bits.
                #expect(t.floats() == values.compactMap { ($0 as? NSNumber).map { Float($0.doubleValue) } }, "\(label)")
            }
        }
        for (key, spec) in json where !key.hasPrefix("_") && key != "nested" {
            checkTensor(file.object[key], spec as? [String: Any] ?? [:], key)
        }
        let nested = try #require(json["nested"] as? [String: Any])
        let list = try #require(file.object.lookup("nested", "list")?.elements)
        checkTensor(list[0], (nested["list"] as? [Any])?[0] as? [String: Any] ?? [:], "nested.list[0]")
        #expect(Array(list[1...]) == [.int(3), .string("text")])
        guard case .tuple(let tuple)? = file.object.lookup("nested", "tuple") else { Issue.record("nested.tuple is not a tuple"); return }
        checkTensor(tuple[0], (nested["tuple"] as? [Any])?[0] as? [String: Any] ?? [:], "nested.tuple[0]")
        #expect(Array(tuple[1...]) == [.none, .bool(true), .float(0.25)])
        #expect(file.object.lookup("nested", "inf") == .float(.infinity))
        // shared_a and shared_b are views of one storage, stored once.
        let a = try #require(file.object["shared_a"]?.tensor), b = try #require(file.object["shared_b"]?.tensor)
        #expect(a.storage == b.storage)
        #expect(file.storageKeys.count == 13)
    }

    @Test func layoutSplitsRegressionAndDataParallelPrefixes() {
        let t = TorchTensor(float32: [1], shape: [1])
        let dict = TorchStateDict(entries: ["module.0.wrapped_module.conv1.0.weight", "module.0.wrapped_module.conv6.bias",
                                            "module.1.descriptors", "module.1.linear.weight", "module.other"]
            .map { TorchStateEntry(key: $0, tensor: t) })
        let split = dict.split()
        #expect(split.strippedDataParallel)
        #expect(split.backbone.keys == ["conv1.0.weight", "conv6.bias"])
        #expect(split.regressor?.keys == ["descriptors", "linear.weight"])
        #expect(split.regressorIndex == 1)
        #expect(split.unassigned == ["other"])
        let upsampled = TorchStateDict(entries: ["0.wrapped_module.a", "2.b"].map { TorchStateEntry(key: $0, tensor: t) }).split()
        #expect(upsampled.regressorIndex == 2)
        #expect(upsampled.regressor?.keys == ["b"])
        // Only a leading literal "module." is stripped, as clean_state_dict does.
        let plain = TorchStateDict(entries: ["conv.module.x", "modules.y"].map { TorchStateEntry(key: $0, tensor: t) }).split()
        #expect(plain.backbone.keys == ["conv.module.x", "modules.y"])
        #expect(!plain.strippedDataParallel)
    }
}
