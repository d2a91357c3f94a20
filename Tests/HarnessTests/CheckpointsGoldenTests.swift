import Foundation
import Testing
@testable import Harness
import HDF5
import Landmarks
import Tensors
import TestSupport
import TorchFormat

/// `golden verify` over `checkpoints/`, `dvebench inspect` and `dvebench export`.
@Suite(.serialized) struct CheckpointsGoldenTests {
    /// A directory holding `smallnet.h5` and the `checkpoints/` folder (optionally altered).
    func goldenCopy(_ alter: (URL) throws -> Void = { _ in }) throws -> URL {
        let dir = try makeTemporaryDirectory("checkpoints-golden")
        try FileManager.default.copyItem(at: Fixtures.golden.appendingPathComponent("smallnet.h5"),
                                         to: dir.appendingPathComponent("smallnet.h5"))
        try FileManager.default.copyItem(at: Fixtures.golden.appendingPathComponent("checkpoints"),
                                         to: dir.appendingPathComponent("checkpoints"))
        try alter(dir.appendingPathComponent("checkpoints"))
        return dir
    }

    /// The folder verifier alone (the full `GoldenVerifier.verify` would also recompute every HDF5 file).
    func checkpointChecks(_ directory: URL) -> [GoldenCheck] {
        let files = GoldenVerifier.listFiles(directory).filter { $0.hasPrefix(CheckpointsGolden.folder) }
        return ComputeThreads.withCount(2) { CheckpointsGolden.verify(directory: directory, files: files) }
    }

    @Test func goldenVerifyHandsTheFolderToTheCheckpointVerifier() throws {
        // Only checkpoints/: every file is reported, and the weights check says what it is missing.
        let dir = try makeTemporaryDirectory("checkpoints-only")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Fixtures.golden.appendingPathComponent("checkpoints"),
                                         to: dir.appendingPathComponent("checkpoints"))
        let report = GoldenVerifier.verify(directory: dir)
        #expect(report.uncovered.isEmpty, "\(report.uncovered.map(\.file))")
        #expect(Set(report.checks.map(\.file)).count == 6)
        let weights = report.checks.first { $0.name == "state_dict vs smallnet.h5" }
        #expect(weights?.outcome == .fail)
        #expect(weights?.detail?.contains("smallnet.h5 is missing") == true)
        #expect(report.checks.contains { $0.name == "config_json" && $0.outcome == .pass })
    }

    @Test func everyCheckpointFileIsCoveredAndPasses() {
        let checks = checkpointChecks(Fixtures.golden)
        for check in checks where check.outcome != .pass {
            Issue.record("\(check.file) \(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        let files = Set(checks.map(\.file))
        #expect(files == ["checkpoints/expected.h5", "checkpoints/smallnet16-dataparallel-zip.pth", "checkpoints/smallnet16-legacy.pth",
                          "checkpoints/zoo-expected.json", "checkpoints/zoo-legacy.pth", "checkpoints/zoo-zip.pth"])
        for file in ["checkpoints/smallnet16-legacy.pth", "checkpoints/smallnet16-dataparallel-zip.pth"] {
            for needle in ["state_dict vs smallnet.h5 /c16/weights", "SmallNet from the file vs smallnet.h5 /c16/eval/output",
                           "config_json", "state_dict_metadata_json", "optimizer/param_groups/1 settings", "state_dict_sum"] {
                #expect(checks.contains { $0.file == file && $0.name == needle && $0.outcome == .pass }, "\(file): no passing \(needle)")
            }
        }
        for needle in ["magic_number", "sys_info_json", "pickle_globals (sorted)", "storage_keys_in_file_order",
                       "config_object_attributes_json", "optimizer/state/conv6.weight"] {
            #expect(checks.contains { $0.file == "checkpoints/smallnet16-legacy.pth" && $0.name == needle }, "no \(needle)")
        }
        for file in ["checkpoints/zoo-legacy.pth", "checkpoints/zoo-zip.pth"] {
            #expect(checks.filter { $0.file == file && $0.name.hasPrefix("zoo/") }.count == 14, "\(file)")
        }
    }

    @Test func aDamagedCheckpointFailsWithTheReason() throws {
        let dir = try goldenCopy { folder in
            // A bit flipped inside a stored zip entry: the CRC catches it.
            let zip = folder.appendingPathComponent("smallnet16-dataparallel-zip.pth")
            var bytes = [UInt8](try Data(contentsOf: zip))
            bytes[20_000] ^= 0x04
            try Data(bytes).write(to: zip)
            // The legacy zoo replaced by a pickle that calls os.system.
            var evil: [UInt8] = [0x80, 0x02, 0x63] + Array("os\nsystem\n".utf8) + [0x58, 2, 0, 0, 0] + Array("id".utf8) + [0x85, 0x52, 0x2E]
            evil = [UInt8](try Data(contentsOf: folder.appendingPathComponent("zoo-legacy.pth")).prefix(137)) + evil
            try Data(evil).write(to: folder.appendingPathComponent("zoo-legacy.pth"))
            try Data([1, 2, 3]).write(to: folder.appendingPathComponent("notes.bin"))
        }
        defer { try? FileManager.default.removeItem(at: dir) }
        let checks = checkpointChecks(dir)
        let zip = checks.first { $0.file == "checkpoints/smallnet16-dataparallel-zip.pth" && $0.name == "(read)" }
        #expect(zip?.outcome == .fail)
        #expect(zip?.detail?.contains("CRC-32 mismatch") == true, "\(zip?.detail ?? "")")
        let evil = checks.first { $0.file == "checkpoints/zoo-legacy.pth" }
        #expect(evil?.outcome == .fail)
        #expect(evil?.detail?.contains("refused global os.system") == true, "\(evil?.detail ?? "")")
        #expect(checks.first { $0.file == "checkpoints/notes.bin" }?.outcome == .notCovered)
        #expect(checks.contains { $0.file == "checkpoints/smallnet16-legacy.pth" && $0.outcome == .pass })
    }

    @Test func inspectShowsFormatArchTableConfigAndMapping() throws {
        let legacy = try CheckpointInspection.lines(path: Fixtures.golden.appendingPathComponent("checkpoints/smallnet16-legacy.pth").path)
        let text = legacy.joined(separator: "\n")
        #expect(text.contains("format: legacy"))
        #expect(text.contains("arch: SmallNet"))
        #expect(text.contains("epoch: 1"))
        #expect(text.contains("config: parse_config.ConfigParser"))
        #expect(text.contains("embedding dimension 16"))
        #expect(text.contains("loss dense_correlation_loss_dve"))
        #expect(legacy.contains { $0.hasPrefix("  conv1.0.weight") && $0.contains("float32") && $0.hasSuffix("(20, 3, 5, 5)") })
        #expect(legacy.contains { $0.hasPrefix("  conv1.1.num_batches_tracked") && $0.contains("int64") && $0.hasSuffix("()") })
        #expect(text.contains("maps onto: SmallNet-16: all 37 keys load"))
        let zip = try CheckpointInspection.lines(path: Fixtures.golden.appendingPathComponent("checkpoints/smallnet16-dataparallel-zip.pth").path)
        #expect(zip.contains { $0.hasPrefix("format: zip") && $0.contains("smallnet16-dataparallel-zip/") })
        #expect(zip.contains { $0.contains("maps onto: SmallNet-16") && $0.contains("module. prefix stripped") })
        let zoo = try CheckpointInspection.lines(path: Fixtures.golden.appendingPathComponent("checkpoints/zoo-zip.pth").path)
        #expect(zoo.contains { $0.contains("(view: offset 0, stride [1, 5])") })
        #expect(zoo.contains { $0.hasPrefix("contents: collections.OrderedDict, not a checkpoint") })
        #expect(zoo.contains { $0.hasPrefix("  nested.list[0]") })
    }

    @Test func exportOfAGoldenGroupLoadsBackIntoSmallNet() throws {
        let dir = try makeTemporaryDirectory("export")
        defer { try? FileManager.default.removeItem(at: dir) }
        let output = dir.appendingPathComponent("c16.pth").path
        let smallnet = Fixtures.golden.appendingPathComponent("smallnet.h5").path
        let summary = try CheckpointExport.export(hdf5: smallnet, group: "c16", to: output)
        #expect(summary.tensors == 37)
        let original = try CheckpointExport.readStateDict(hdf5: smallnet, group: "c16")
        let checkpoint = try TorchCheckpoint.read(contentsOf: output)
        let back = checkpoint.stateDict.stateDict()
        #expect(back.keys == original.keys)
        for key in original.keys { #expect(back[key] == original[key], "\(key)") }
        let net = try CheckpointModels.smallNet(from: checkpoint)
        #expect(net.outputChannels == 16)
        #expect(throws: (any Error).self) { try CheckpointExport.readStateDict(hdf5: smallnet) }
        do { _ = try CheckpointExport.readStateDict(hdf5: smallnet) } catch { #expect("\(error)".contains("c16")) }
    }

    @Test func exportOfATrainingCheckpoint() throws {
        let dir = try makeTemporaryDirectory("export")
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = try TrainingConfiguration.smallNetCelebA(outputChannels: 3, dve: false, seed: 4)
        configuration.batchPairs = 2
        configuration.epochs = 1
        configuration.stepsPerEpoch = 1
        configuration.imageWidth = 32
        configuration.crop = 4
        configuration.checkpointEvery = 1
        let path = dir.appendingPathComponent("run.ckpt.h5").path
        let trainer = try Trainer(configuration: configuration, source: InMemoryImageSource(SyntheticImages.blobs(count: 4, size: 32, seed: 3)),
                                  store: HDF5CheckpointStore(path: path))
        try trainer.run()
        let output = dir.appendingPathComponent("trained.pth").path
        _ = try CheckpointExport.export(hdf5: path, to: output)
        let back = try TorchCheckpoint.read(contentsOf: output).stateDict.stateDict()
        let weights = trainer.model.stateDict()
        #expect(back.keys == weights.keys)
        for key in weights.keys { #expect(back[key] == weights[key], "\(key)") }
    }

    @Test func regressionAndHourglassCheckpointsAreNamedHonestly() throws {
        let legacy = try TorchCheckpoint.read(contentsOf: Fixtures.golden.appendingPathComponent("checkpoints/smallnet16-legacy.pth").path)
        let t = TorchTensor(float32: [0], shape: [1])
        var regression = legacy.stateDict.entries.map { TorchStateEntry(key: "0.wrapped_module." + $0.key, tensor: $0.tensor) }
        regression.append(TorchStateEntry(key: "1.descriptors", tensor: t))
        let dir = try makeTemporaryDirectory("mapping")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("regression.pth").path
        try TorchWriter.write(regression, to: path)
        let checkpoint = try TorchCheckpoint.read(contentsOf: path)
        let split = checkpoint.stateDict.split()
        // A lone 1.descriptors of shape (1,) cannot size a regressor: named as such, not guessed.
        guard case .unrecognised(let why) = CheckpointModels.identify(split) else {
            Issue.record("\(CheckpointModels.identify(split))")
            return
        }
        #expect(why.hasPrefix("SmallNet-16 with a keypoint regressor that cannot be sized"), "\(why)")
        // The backbone still loads on its own.
        #expect(try CheckpointModels.smallNet(from: checkpoint).outputChannels == 16)
        #expect(CheckpointModels.mappingLine(checkpoint).contains("no known model"))
        let hourglass = TorchStateDict(entries: [TorchStateEntry(key: "hg.0.layer4_1.0.bn1.weight", tensor: t)]).split()
        guard case .unrecognised(let hourglassWhy) = CheckpointModels.identify(hourglass) else {
            Issue.record("\(CheckpointModels.identify(hourglass))")
            return
        }
        #expect(hourglassWhy.hasPrefix("HourglassNet modules, but cannot size: no witness for planes_conv1"), "\(hourglassWhy)")
    }

    @Test func mappingReportsMisShapedAndUnexpectedKeysByName() throws {
        var entries = try TorchCheckpoint.read(contentsOf: Fixtures.golden.appendingPathComponent("checkpoints/smallnet16-legacy.pth").path)
            .stateDict.entries.filter { $0.key != "conv2.0.bias" }
        entries.append(TorchStateEntry(key: "extra.weight", tensor: TorchTensor(float32: [1], shape: [1])))
        if let index = entries.firstIndex(where: { $0.key == "conv3.1.weight" }) {
            entries[index].tensor = TorchTensor(float32: [1, 2], shape: [2])
        }
        let dir = try makeTemporaryDirectory("mapping")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.pth").path
        try TorchWriter.write(entries, to: path)
        do {
            _ = try CheckpointModels.smallNet(from: try TorchCheckpoint.read(contentsOf: path))
            Issue.record("a mismatched state dict loaded")
        } catch {
            let text = "\(error)"
            #expect(text.contains("missing keys: conv2.0.bias"))
            #expect(text.contains("unexpected keys: extra.weight"))
            #expect(text.contains("conv3.1.weight: model expects shape [64], file has [2]"))
            #expect(text.contains(path))
        }
    }
}
