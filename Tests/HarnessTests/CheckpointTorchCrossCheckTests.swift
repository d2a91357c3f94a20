import Foundation
import Testing
@testable import Harness
import Landmarks
import Tensors
import TestSupport
import TorchFormat

/// Checkpoints as PyTorch itself writes them — both containers, a `module.`-prefixed training dict with
/// a JSON config, and the regressor's `descriptors`/`inner_conv.weight` as one non-contiguous storage
/// shared by both keys, as `IntermediateKeypointPredictor.__init__` leaves them — load into the same
/// weights. Needs Debian's python3-torch at /usr/bin/python3 and is skipped without it (the `python3`
/// first on PATH may lack torch; CI machines may lack both).
@Suite(.serialized) struct CheckpointTorchCrossCheckTests {
    static let python = "/usr/bin/python3"
    static let torchAvailable: Bool = {
        guard FileManager.default.isExecutableFile(atPath: python) else { return false }
        return (try? runPython("import torch", arguments: [])).map { $0.status == 0 } ?? false
    }()

    static func runPython(_ script: String, arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = ["-c", script] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: output, as: UTF8.self))
    }

    /// Re-saves each of our files as a DataParallel training checkpoint, zip and legacy.
    /// Arguments: groups of (our .pth, zip output, legacy output, config JSON).
    static let resave = """
    import sys, json, torch
    from collections import OrderedDict
    args = sys.argv[1:]
    for i in range(0, len(args), 4):
        src, zip_out, legacy_out, config = args[i:i + 4]
        sd = torch.load(src)
        shared = None
        if '1.inner_conv.weight' in sd:
            inner = sd['1.inner_conv.weight']
            L, C = inner.shape[0], inner.shape[1]
            w = inner.reshape(L, C).t().contiguous()   # the reference's randn(C, nA, nI).view(C, -1)
            shared = w.t()[:, :, None, None]           # its transposed view, strides (1, L, ., .)
            assert not shared.is_contiguous()
        out = OrderedDict()
        for k, v in sd.items():
            out['module.' + k] = shared if shared is not None and k in ('1.inner_conv.weight', '1.descriptors') else v
        ckpt = {'arch': 'DataParallel', 'epoch': 3, 'state_dict': out,
                'optimizer': {'state': {}, 'param_groups': []}, 'monitor_best': 0, 'config': json.loads(config)}
        torch.save(ckpt, zip_out)
        torch.save(ckpt, legacy_out, _use_new_zipfile_serialization=False)
    print('ok')
    """

    @Test(.enabled(if: torchAvailable, "needs Debian's python3-torch at /usr/bin/python3 (import torch failed); skipped"))
    func torchWrittenCheckpointsLoadIntoTheSameModels() throws {
        let dir = try makeTemporaryDirectory("ckpt-torch")
        defer { try? FileManager.default.removeItem(at: dir) }
        let widths = CheckpointModelsTests.reducedWidths[0]
        let hourglass = try HourglassNet(widths: widths)
        CheckpointSamples.fill(hourglass, seed: 21)
        let (net, regressor) = try CheckpointSamples.regressionPair(seed: 22, softargmaxMultiplier: 37.5)
        let hourglassConfig = #"{"arch": {"type": "HourglassNet", "args": {"num_output_channels": 5}}, "loss": "dense_correlation_loss_dve"}"#
        let regressionConfig = #"{"arch": {"type": "SmallNet", "args": {"num_output_channels": 16}}, "loss": "regression_loss", "#
            + #""keypoint_regressor": {"type": "IntermediateKeypointPredictor", "args": {"num_annotated_points": 5, "#
            + #""num_intermediate_points": 50, "softargmax_mul": 37.5}, "softmaxarg_mul": 50}}"#
        func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
        try TorchWriter.write(hourglass.stateDict(), to: path("hg.pth"))
        try TorchWriter.write(CheckpointSamples.regressionEntries(net, regressor), to: path("pair.pth"))
        let (status, output) = try Self.runPython(Self.resave, arguments: [
            path("hg.pth"), path("hg-zip.pth"), path("hg-legacy.pth"), hourglassConfig,
            path("pair.pth"), path("pair-zip.pth"), path("pair-legacy.pth"), regressionConfig,
        ])
        try #require(status == 0, "\(output)")

        var generator = SeededGenerator(seed: 23)
        let x = Tensor.uniform(shape: [1, 3, 16, 16], low: -1, high: 1, using: &generator)
        let hourglassOutput = hourglass.forward(x, training: false)
        let descriptors = net.forward(x, training: false)
        let prediction = regressor.forward(descriptors, training: false)
        for container in ["zip", "legacy"] {
            let hg = try CheckpointModels.load(path: path("hg-\(container).pth"))
            #expect(hg.identification == .hourglass(widths))
            CheckpointSamples.expectSameState(try #require(hg.network as? HourglassNet), hourglass)
            #expect(hg.network.forward(x, training: false) == hourglassOutput)
            #expect(CheckpointModels.mismatches(hg, architecture: "hourglass", embeddingDim: 5, dve: true, regressor: false).isEmpty)

            let pair = try CheckpointModels.load(path: path("pair-\(container).pth"))
            let loadedRegressor = try #require(pair.regressor)
            #expect(loadedRegressor.softargmaxMultiplier == 37.5, "read from the config")
            CheckpointSamples.expectSameState(try #require(pair.network as? SmallNet), net)
            CheckpointSamples.expectSameState(loadedRegressor, regressor)
            #expect(loadedRegressor.forward(pair.network.forward(x, training: false), training: false) == prediction)
            #expect(CheckpointModels.mismatches(pair, architecture: "smallnet", embeddingDim: 16, dve: true, regressor: true).isEmpty)
            #expect(pair.summary.loss == "regression_loss")
        }
    }
}
