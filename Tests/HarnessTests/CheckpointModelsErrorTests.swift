import Foundation
import Testing
@testable import Harness
import Landmarks
import Tensors
import TestSupport
import TorchFormat

/// What `CheckpointModels.load(path:)` refuses, and how it says so; `mismatches` against a manifest.
@Suite(.serialized) struct CheckpointModelsErrorTests {
    /// Writes `entries` to a fresh file and returns the load error (failing the test when it loads).
    func loadError(_ entries: [TorchStateEntry], name: String = "bad.pth",
                   sourceLocation: SourceLocation = #_sourceLocation) throws -> (CheckpointLoadError, String)? {
        let dir = try makeTemporaryDirectory("ckpt-errors")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent(name).path
        try TorchWriter.write(entries, to: path)
        do {
            _ = try CheckpointModels.load(path: path)
            Issue.record("\(name) loaded", sourceLocation: sourceLocation)
            return nil
        } catch {
            #expect(error.description.contains(path), "the error names the file: \(error)", sourceLocation: sourceLocation)
            return (error, path)
        }
    }

    func tensor(_ shape: [Int]) -> TorchTensor {
        TorchTensor(float32: [Float](repeating: 0.5, count: shape.reduce(1, *)), shape: shape)
    }

    @Test func hourglassMissingUnexpectedAndMisShapedKeysAreEachNamed() throws {
        let widths = CheckpointModelsTests.reducedWidths[0]
        let net = try HourglassNet(widths: widths)
        CheckpointSamples.fill(net, seed: 3)
        // conv1.weight and layer3.0.conv1.weight are the first witnesses of two widths: the others size it.
        let dropped: Set = ["hg.0.layer2_1.1.conv2.bias", "conv1.weight", "layer3.0.conv1.weight"]
        var entries = CheckpointSamples.entries(net.stateDict()).filter { !dropped.contains($0.key) }
        let index = try #require(entries.firstIndex { $0.key == "output_layers.0.2.running_var" })
        entries[index].tensor = tensor([3])
        entries.append(TorchStateEntry(key: "hg.0.extra.weight", tensor: tensor([2])))
        guard let (error, _) = try loadError(entries) else { return }
        guard case .mismatch(let mismatch) = error.reason else { Issue.record("not a mismatch: \(error)"); return }
        #expect(Set(mismatch.missing) == dropped)
        #expect(mismatch.unexpected == ["hg.0.extra.weight"])
        #expect(mismatch.misShaped.map(\.key) == ["output_layers.0.2.running_var"])
        let text = error.description
        #expect(text.contains("missing keys: conv1.weight, layer3.0.conv1.weight, hg.0.layer2_1.1.conv2.bias"), "\(text)")
        #expect(text.contains("unexpected keys: hg.0.extra.weight"))
        #expect(text.contains("output_layers.0.2.running_var: model expects shape [16], file has [3]"))
    }

    @Test func regressionMismatchesAreNamedAsTheFileNamesThem() throws {
        let (net, regressor) = try CheckpointSamples.regressionPair()
        var entries = CheckpointSamples.regressionEntries(net, regressor, dataParallel: true)
            .filter { !["module.0.wrapped_module.conv2.0.bias", "module.1.linear.4.weight"].contains($0.key) }
        for (key, shape) in [("module.0.wrapped_module.conv3.1.running_mean", [3]), ("module.1.linear.1.weight", [2, 10])] {
            let index = try #require(entries.firstIndex { $0.key == key })
            entries[index].tensor = tensor(shape)
        }
        for key in ["module.0.wrapped_module.conv7.weight", "module.1.extra.weight", "module.5.bias"] {
            entries.append(TorchStateEntry(key: key, tensor: tensor([2])))
        }
        guard let (error, _) = try loadError(entries) else { return }
        guard case .mismatch(let mismatch) = error.reason else { Issue.record("not a mismatch: \(error)"); return }
        #expect(mismatch.missing == ["0.wrapped_module.conv2.0.bias", "1.linear.4.weight"])
        #expect(Set(mismatch.unexpected) == ["0.wrapped_module.conv7.weight", "5.bias", "1.extra.weight"])
        #expect(Set(mismatch.misShaped.map(\.key)) == ["0.wrapped_module.conv3.1.running_mean", "1.linear.1.weight"])
        let text = error.description
        #expect(text.contains("1.linear.1.weight: model expects shape [2, 100], file has [2, 10]"), "\(text)")
        #expect(text.contains("0.wrapped_module.conv3.1.running_mean: model expects shape [64], file has [3]"))
    }

    @Test func aRegressorForOtherDescriptorsIsRefused() throws {
        let net = SmallNet(outputChannels: 16)
        let regressor = try IntermediateKeypointPredictor(descriptorDimension: 32, annotatedPoints: 5)
        guard let (error, _) = try loadError(CheckpointSamples.regressionEntries(net, regressor)) else { return }
        guard case .incompatible = error.reason else { Issue.record("\(error)"); return }
        #expect(error.description.contains("reads 32-channel descriptors (1.inner_conv.weight), but the backbone SmallNet-16 produces 16"))
    }

    /// A small file whose shapes claim an enormous model is refused before anything is allocated.
    @Test func implausibleSizesAreRefusedWithoutBuildingTheModel() throws {
        let hourglass = [("conv1.weight", [4, 3, 7, 7]), ("layer2.0.conv1.weight", [6, 8, 1, 1]),
                         ("layer3.0.conv1.weight", [16_384, 12, 1, 1]), ("output_layers.0.4.weight", [5, 1, 1, 1]),
                         ("hg.0.layer4_1.0.bn1.weight", [1])].map { TorchStateEntry(key: $0.0, tensor: tensor($0.1)) }
        guard let (error, _) = try loadError(hourglass, name: "huge-hourglass.pth") else { return }
        guard case .unknownModel(let what) = error.reason else { Issue.record("\(error)"); return }
        #expect(what.contains("HourglassNet modules, but the inferred HourglassWidths(C 5, conv1 4, block 6, hg 16384, depth 4, blocks 1) needs"), "\(what)")
        #expect(what.contains("elements, the file holds only"))

        let backbone = CheckpointSamples.entries(SmallNet(outputChannels: 16).stateDict(), prefix: "0.wrapped_module.")
        let regressor = [TorchStateEntry(key: "1.inner_conv.weight", tensor: tensor([1, 60_000, 1, 1])),
                         TorchStateEntry(key: "1.linear.0.weight", tensor: tensor([2, 200_000]))]
        let identification = CheckpointModels.identify(TorchStateDict(entries: backbone + regressor).split())
        guard case .unrecognised(let why) = identification else { Issue.record("\(identification)"); return }
        #expect(why.contains("SmallNet-16 with a keypoint regressor that cannot be sized"), "\(why)")
        #expect(why.contains("needs 12000800000 elements"), "\(why)")
    }

    @Test func unknownLayoutsAndUnreadableFilesSayWhy() throws {
        let (net, regressor) = try CheckpointSamples.regressionPair()
        // `Up` at index 1 moves the regressor to 2.*: recognised, not runnable here.
        let upsampled = CheckpointSamples.entries(net.stateDict(), prefix: "0.wrapped_module.")
            + CheckpointSamples.entries(regressor.stateDict(), prefix: "2.")
        if let (error, _) = try loadError(upsampled, name: "upsampled.pth") {
            #expect(error.description.contains("SmallNet-16 with a keypoint regressor behind an upsampling layer (keys 2.*): not known yet"), "\(error)")
        }
        if let (error, _) = try loadError([TorchStateEntry(key: "fc.weight", tensor: tensor([2, 2]))], name: "other.pth") {
            #expect(error.description.contains("no known model (no conv6.weight"), "\(error)")
        }
        let missing = "/nonexistent/checkpoint-epoch100.pth"
        let error = #expect(throws: CheckpointLoadError.self) { _ = try CheckpointModels.load(path: missing) }
        if let error {
            guard case .unreadable = error.reason else { Issue.record("\(error)"); return }
            #expect(error.description.hasPrefix(missing + ": cannot read the file"), "\(error)")
        }
    }

    @Test func mismatchesCompareWeightsAndConfigWithTheManifest() throws {
        // smallnet16-legacy.pth: SmallNet-16 weights, config SmallNet / 16 / dense_correlation_loss_dve.
        let golden = Fixtures.golden.appendingPathComponent("checkpoints/smallnet16-legacy.pth").path
        let loaded = try CheckpointModels.load(path: golden)
        #expect(loaded.summary.loss == "dense_correlation_loss_dve")
        #expect(CheckpointModels.mismatches(loaded, architecture: "smallnet", embeddingDim: 16, dve: true).isEmpty)
        #expect(CheckpointModels.mismatches(loaded, architecture: "smallnet", embeddingDim: 16, dve: nil, regressor: false).isEmpty)
        #expect(CheckpointModels.mismatches(loaded, architecture: "smallnet", embeddingDim: 16, dve: false)
            == ["DVE: the manifest says trained without the DVE loss, the config records loss dense_correlation_loss_dve"])
        #expect(CheckpointModels.mismatches(loaded, architecture: "hourglass", embeddingDim: 64, dve: true) == [
            "architecture: the manifest says hourglass, the weights are SmallNet-16",
            "architecture: the manifest says hourglass, the config records arch.type SmallNet",
            "embedding dimension: the manifest says 64, the weights (SmallNet-16) produce 16 channels",
            "embedding dimension: the manifest says 64, the config records num_output_channels 16",
        ])
        #expect(CheckpointModels.mismatches(loaded, architecture: "resnet", embeddingDim: 16, dve: nil)
            == ["architecture: the manifest says resnet, which is neither smallnet nor hourglass"])
        #expect(CheckpointModels.mismatches(loaded, architecture: "smallnet", embeddingDim: 16, dve: nil, regressor: true)
            == ["contents: the manifest expects an embedding+regressor checkpoint, the file holds only the embedding (SmallNet-16)"])

        // A bare regression state dict records no loss: DVE cannot be checked, so it is not reported.
        let (net, regressor) = try CheckpointSamples.regressionPair()
        let dir = try makeTemporaryDirectory("ckpt-mismatch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("regression.pth").path
        try TorchWriter.write(CheckpointSamples.regressionEntries(net, regressor), to: path)
        let pair = try CheckpointModels.load(path: path)
        #expect(CheckpointModels.mismatches(pair, architecture: "SmallNet", embeddingDim: 16, dve: true, regressor: true).isEmpty)
        #expect(CheckpointModels.mismatches(pair, architecture: "smallnet", embeddingDim: 16, dve: false, regressor: false) == [
            "contents: the manifest expects an embedding checkpoint, the file also holds a keypoint regressor "
                + "(SmallNet-16 + IntermediateKeypointPredictor(C 16, nA 5, nI 50))",
        ])
    }
}
