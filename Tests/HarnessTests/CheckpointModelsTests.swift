import Foundation
import Testing
@testable import Harness
import Landmarks
import Tensors
import TestSupport
import TorchFormat

/// Shared helpers: models with every state entry distinct (running statistics and counters included,
/// so a value that lands on the wrong key or stays at its initial value shows), written with
/// `TorchWriter` under the prefixes a checkpoint uses.
enum CheckpointSamples {
    /// Overwrites every float entry with uniform values and every counter with a distinct count.
    static func fill(_ model: any StateHolder, seed: UInt64) {
        var generator = SeededGenerator(seed: seed)
        for (k, item) in model.stateEntries.enumerated() {
            switch item.entry {
            case .parameter(let p): p.value = .uniform(shape: p.value.shape, low: -0.5, high: 0.5, using: &generator)
            // Positive: running variances go under a square root.
            case .buffer(let b): b.value = .uniform(shape: b.value.shape, low: 0.25, high: 1.5, using: &generator)
            case .counter(let c): c.value = Int64(1000 + k)
            }
        }
    }

    static func entries(_ dict: StateDict, prefix: String = "") -> [TorchStateEntry] {
        dict.keys.compactMap { key in
            switch dict[key] {
            case .float(let t)?: TorchStateEntry(key: prefix + key, tensor: TorchTensor(float32: t.storage, shape: t.shape))
            case .int64(let shape, let values)?: TorchStateEntry(key: prefix + key, tensor: TorchTensor(int64: values, shape: shape))
            case nil: nil
            }
        }
    }

    /// SmallNet-16 and a 5-point regressor reading its descriptors, both filled.
    static func regressionPair(seed: UInt64 = 11, softargmaxMultiplier: Float = 100) throws -> (SmallNet, IntermediateKeypointPredictor) {
        let net = SmallNet(outputChannels: 16)
        fill(net, seed: seed)
        let regressor = try IntermediateKeypointPredictor(descriptorDimension: 16, annotatedPoints: 5,
                                                          softargmaxMultiplier: softargmaxMultiplier)
        var generator = SeededGenerator(seed: seed + 1)
        regressor.initialize(using: &generator)
        return (net, regressor)
    }

    /// The keys a regression checkpoint stores: `[module.]0.wrapped_module.*`, then `[module.]1.*`.
    static func regressionEntries(_ net: any StateHolder, _ regressor: IntermediateKeypointPredictor,
                                  dataParallel: Bool = false) -> [TorchStateEntry] {
        let outer = dataParallel ? "module." : ""
        return entries(net.stateDict(), prefix: outer + "0.wrapped_module.") + entries(regressor.stateDict(), prefix: outer + "1.")
    }

    /// Float elements of a model's state (parameters and running statistics, counters aside).
    static func floatElementCount(_ model: any StateHolder) -> Int {
        model.stateEntries.reduce(0) { total, item in
            if case .counter = item.entry { return total }
            return total + item.entry.shape.reduce(1, *)
        }
    }

    /// Every key in the same order with bit-identical values.
    static func expectSameState(_ got: any StateHolder, _ want: any StateHolder, sourceLocation: SourceLocation = #_sourceLocation) {
        let a = got.stateDict(), b = want.stateDict()
        #expect(a.keys == b.keys, sourceLocation: sourceLocation)
        let differing = b.keys.filter { a[$0] != b[$0] }
        #expect(differing.isEmpty, "differ: \(differing.prefix(10))", sourceLocation: sourceLocation)
    }
}

@Suite(.serialized) struct CheckpointModelsTests {
    /// Reduced widths: one with a downsample on `layer3` (planesBlock ≠ planesHG), one without.
    static let reducedWidths = [
        HourglassWidths(outputChannels: 5, planesConv1: 4, planesBlock: 6, planesHG: 8, depth: 2, blocksPerStack: 2),
        HourglassWidths(outputChannels: 3, planesConv1: 2, planesBlock: 4, planesHG: 4, depth: 1, blocksPerStack: 1),
    ]

    @Test(arguments: reducedWidths)
    func reducedHourglassLoadsWithEveryTensorAndTheSameOutput(widths: HourglassWidths) throws {
        let original = try HourglassNet(widths: widths)
        CheckpointSamples.fill(original, seed: 5)
        let dir = try makeTemporaryDirectory("ckpt-hourglass")
        defer { try? FileManager.default.removeItem(at: dir) }
        for dataParallel in [false, true] {
            let path = dir.appendingPathComponent("hg-\(dataParallel).pth").path
            try TorchWriter.write(CheckpointSamples.entries(original.stateDict(), prefix: dataParallel ? "module." : ""), to: path)
            let loaded = try CheckpointModels.load(path: path)
            #expect(loaded.identification == .hourglass(widths))
            #expect(loaded.regressor == nil)
            #expect(loaded.sha256 == (try SHA256.hexDigest(ofFile: path)))
            let net = try #require(loaded.network as? HourglassNet)
            #expect(net.widths == widths)
            CheckpointSamples.expectSameState(net, original)
            var generator = SeededGenerator(seed: 9)
            let side = widths.inputSideMultiple * 2
            let x = Tensor.uniform(shape: [2, 3, side, side], low: -1, high: 1, using: &generator)
            let want = original.forward(x, training: false)
            #expect(net.forward(x, training: false) == want)
            let mapping = "maps onto: HourglassNet-\(widths.outputChannels) (reduced: \(widths)): all \(original.stateEntries.count) keys load"
            #expect(try CheckpointInspection.lines(path: path).contains { $0.hasPrefix(mapping) }, "\(mapping)")
        }
        // The size guard's formula is the network's own count (the int64 counters aside).
        #expect(CheckpointModels.hourglassElementCount(widths) == CheckpointSamples.floatElementCount(original))
    }

    @Test func referenceHourglassLoadsAllTwelvePointSixMillionParameters() throws {
        let original = try HourglassNet(outputChannels: 64)
        #expect(original.parameterCount == 12_609_472)
        CheckpointSamples.fill(original, seed: 7)
        let dir = try makeTemporaryDirectory("ckpt-hourglass-ref")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("checkpoint-epoch100.pth").path
        try TorchWriter.write(original.stateDict(), to: path)
        let loaded = try CheckpointModels.load(path: path)
        #expect(loaded.identification == .hourglass(.reference(outputChannels: 64)))
        #expect(loaded.identification.description == "HourglassNet-64")
        let net = try #require(loaded.network as? HourglassNet)
        #expect(net.stateEntries.count == 1259)
        CheckpointSamples.expectSameState(net, original)
        var generator = SeededGenerator(seed: 2)
        let x = Tensor.uniform(shape: [1, 3, 32, 32], low: -1, high: 1, using: &generator)
        let want = original.forward(x, training: false)
        #expect(net.forward(x, training: false) == want)
        #expect(CheckpointModels.hourglassElementCount(.reference(outputChannels: 64)) == CheckpointSamples.floatElementCount(original))
        let lines = try CheckpointInspection.lines(path: path)
        #expect(lines.contains("maps onto: HourglassNet-64: all 1259 keys load"), "\(lines.suffix(2))")
    }

    @Test func regressionPairLoadsBothPartsWithAndWithoutDataParallel() throws {
        let (net, regressor) = try CheckpointSamples.regressionPair()
        let dir = try makeTemporaryDirectory("ckpt-regression")
        defer { try? FileManager.default.removeItem(at: dir) }
        var generator = SeededGenerator(seed: 4)
        let x = Tensor.uniform(shape: [2, 3, 24, 24], low: -1, high: 1, using: &generator)
        let descriptors = net.forward(x, training: false)
        let wantPred = regressor.forward(descriptors, training: false)
        let wantIntermediate = regressor.intermediate
        for dataParallel in [false, true] {
            let path = dir.appendingPathComponent("regression-\(dataParallel).pth").path
            try TorchWriter.write(CheckpointSamples.regressionEntries(net, regressor, dataParallel: dataParallel), to: path)
            let loaded = try CheckpointModels.load(path: path)
            let sizes = CheckpointModels.RegressorSizes(descriptorDimension: 16, annotatedPoints: 5, intermediatePoints: 50)
            #expect(loaded.identification == .regression(backbone: .smallNet(outputChannels: 16), regressor: sizes))
            let loadedNet = try #require(loaded.network as? SmallNet)
            let loadedRegressor = try #require(loaded.regressor)
            #expect(loadedRegressor.softargmaxMultiplier == 100, "no config: every released config's value")
            CheckpointSamples.expectSameState(loadedNet, net)
            CheckpointSamples.expectSameState(loadedRegressor, regressor)
            let gotDescriptors = loadedNet.forward(x, training: false)
            #expect(gotDescriptors == descriptors)
            #expect(loadedRegressor.forward(gotDescriptors, training: false) == wantPred)
            #expect(loadedRegressor.intermediate == wantIntermediate)
            let lines = try CheckpointInspection.lines(path: path)
            let mapping = "maps onto: SmallNet-16 + IntermediateKeypointPredictor(C 16, nA 5, nI 50): all 37 backbone + 8 regressor keys load"
            #expect(lines.contains { $0.hasPrefix(mapping) }, "\(lines.suffix(2))")
            #expect(lines.contains { $0.contains("module. prefix stripped") } == dataParallel)
        }
    }

    @Test func hourglassRegressionPairLoads() throws {
        let widths = Self.reducedWidths[0]
        let net = try HourglassNet(widths: widths)
        CheckpointSamples.fill(net, seed: 1)
        let regressor = try IntermediateKeypointPredictor(descriptorDimension: widths.outputChannels, annotatedPoints: 68, intermediatePoints: 3)
        var generator = SeededGenerator(seed: 2)
        regressor.initialize(using: &generator)
        let dir = try makeTemporaryDirectory("ckpt-hg-regression")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("hg-regression.pth").path
        try TorchWriter.write(CheckpointSamples.regressionEntries(net, regressor), to: path)
        let loaded = try CheckpointModels.load(path: path)
        #expect(loaded.identification == .regression(backbone: .hourglass(widths),
                                                     regressor: .init(descriptorDimension: 5, annotatedPoints: 68, intermediatePoints: 3)))
        CheckpointSamples.expectSameState(try #require(loaded.network as? HourglassNet), net)
        CheckpointSamples.expectSameState(try #require(loaded.regressor), regressor)
    }

    /// After a GPU run the reference's `descriptors` keeps its initial values while `inner_conv.weight`
    /// trains; the forward reads `inner_conv.weight`, so that copy must win.
    @Test func divergedDescriptorsCopyDoesNotReplaceTheTrainedWeights() throws {
        let (net, regressor) = try CheckpointSamples.regressionPair()
        var entries = CheckpointSamples.regressionEntries(net, regressor)
        let index = try #require(entries.firstIndex { $0.key == "1.descriptors" })
        let stale = entries[index].tensor.floats().map { $0 + 1 }
        entries[index].tensor = TorchTensor(float32: stale, shape: entries[index].tensor.shape)
        let dir = try makeTemporaryDirectory("ckpt-diverged")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("diverged.pth").path
        try TorchWriter.write(entries, to: path)
        let loaded = try CheckpointModels.load(path: path)
        #expect(try #require(loaded.regressor).innerWeight.value == regressor.innerWeight.value)
    }
}
