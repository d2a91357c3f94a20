import Foundation
import Testing
import HDF5
import Tensors
import Landmarks
import TestSupport

/// Widths small enough for finite differences, wired like the reference: layer1 and layer2 get a
/// downsample conv, layer3 and every hourglass/head block do not (planesBlock == planesHG).
let tinyHourglassWidths = HourglassWidths(outputChannels: 3, planesConv1: 2, planesBlock: 3, planesHG: 3,
                                          depth: 2, blocksPerStack: 2)

@Suite struct HourglassTests {
    @Test func referenceNetworkHasThePapersSizes() throws {
        let net = try HourglassNet(outputChannels: 64)
        #expect(net.parameterCount == 12_609_472)
        #expect(net.stateEntries.count == 1259)
        #expect(net.architecture == .hourglass)
        #expect(net.outputChannels == 64)
    }

    @Test func keysAndShapesEqualTheReferenceStateDict() throws {
        let file = try HDF5File.open(Fixtures.golden.appendingPathComponent("hourglass.h5").path)
        defer { file.close() }
        let keys = try file.root.dataset("state_dict_keys").readStrings()
        let shapes = try file.root.dataset("state_dict_shape").readInt64()
        let net = try HourglassNet(outputChannels: 64)
        let ours = net.stateEntries
        #expect(ours.map(\.key) == keys)
        for (i, entry) in ours.enumerated() {
            let stored = shapes[(4 * i)..<(4 * i + 4)].filter { $0 >= 0 }.map(Int.init)
            #expect(entry.entry.shape == stored, "\(entry.key)")
        }
    }

    @Test func hourglassSequencesAreRegisteredInTheReferenceOrder() throws {
        var order: [String] = []
        for key in try HourglassNet(outputChannels: 64).stateEntries.map(\.key) where key.hasPrefix("hg.0.") {
            let name = String(key.dropFirst(5).prefix { $0 != "." })
            if order.last != name { order.append(name) }
        }
        #expect(order == ["layer4_1", "layer4_2", "layer3_1", "layer3_2", "layer2_1", "layer2_2", "layer1_1", "layer1_2",
                          "layer1_4", "layer1_3", "layer2_3", "layer3_3", "layer4_3"])
    }

    @Test func onlyTheFirstTwoStagesHaveDownsampleConvsAndTheHeadSkipsIndexThree() throws {
        let keys = try HourglassNet(outputChannels: 16).stateEntries.map(\.key)
        #expect(keys.filter { $0.contains("downsample") } == ["layer1.0.downsample.weight", "layer1.0.downsample.bias",
                                                              "layer2.0.downsample.weight", "layer2.0.downsample.bias"])
        #expect(keys.prefix(7) == ["conv1.weight", "conv1.bias", "bn1.weight", "bn1.bias", "bn1.running_mean",
                                   "bn1.running_var", "bn1.num_batches_tracked"])
        #expect(Array(keys.suffix(9)) == ["output_layers.0.1.weight", "output_layers.0.1.bias",
                                          "output_layers.0.2.weight", "output_layers.0.2.bias", "output_layers.0.2.running_mean",
                                          "output_layers.0.2.running_var", "output_layers.0.2.num_batches_tracked",
                                          "output_layers.0.4.weight", "output_layers.0.4.bias"])
        #expect(keys.filter { $0.hasSuffix("num_batches_tracked") }.count == 179)
    }

    @Test func outputHasStrideTwoAndBadInputsAreNamed() throws {
        let net = try HourglassNet(widths: tinyHourglassWidths)
        var rng = SeededGenerator(seed: 1)
        net.initialize(using: &rng)
        #expect(net.forward(.normal(shape: [2, 3, 16, 24], using: &rng), training: false).shape == [2, 3, 8, 12])
        let full = try HourglassNet(outputChannels: 8)
        #expect(throws: Never.self) { try full.validateInput(shape: [1, 3, 96, 96]) }
        for bad in [[1, 3, 100, 96], [1, 3, 96], [0, 3, 32, 32], [1, 1, 32, 32], [1, 3, 16, 16]] {
            #expect(throws: HourglassError.inputShape(got: bad, multiple: 32)) { try full.validateInput(shape: bad) }
        }
        let message = HourglassError.inputShape(got: [1, 3, 100, 96], multiple: 32).description
        #expect(message.contains("multiples of 32") && message.contains("[1, 3, 100, 96]"))
        #expect(throws: HourglassError.self) { try HourglassNet(widths: HourglassWidths(outputChannels: 0)) }
    }

    @Test func stateDictRoundTripsAndAMismatchIsNamed() throws {
        let a = try HourglassNet(widths: tinyHourglassWidths)
        try FormulaWeights.apply(to: a, seed: 7)
        let b = try HourglassNet(widths: tinyHourglassWidths)
        try b.load(a.stateDict(), source: "memory")
        var rng = SeededGenerator(seed: 8)
        let x = Tensor.normal(shape: [2, 3, 16, 16], using: &rng)
        #expect(a.forward(x, training: false) == b.forward(x, training: false))
        var dict = a.stateDict()
        dict["hg.0.layer1_4.0.conv2.weight"] = nil
        dict["output_layers.0.3.weight"] = .float(Tensor(shape: [6]))
        #expect(throws: StateDictMismatch.self) { try b.load(dict, source: "edited") }
        do { try b.load(dict, source: "edited") } catch {
            #expect(error.missing == ["hg.0.layer1_4.0.conv2.weight"])
            #expect(error.unexpected == ["output_layers.0.3.weight"])
        }
    }

    @Test func evalForwardInChunksEqualsTheWholeBatch() throws {
        let net = try HourglassNet(widths: tinyHourglassWidths)
        var rng = SeededGenerator(seed: 2)
        try FormulaWeights.apply(to: net, seed: 3)
        let x = Tensor.normal(shape: [5, 3, 16, 16], using: &rng)
        net.inferenceChunk = 8
        let whole = net.forward(x, training: false)
        net.inferenceChunk = 2
        let chunked = net.forward(x, training: false)
        #expect(chunked == whole)
        net.inferenceChunk = 1
        let single = net.forward(Tensor(shape: [1, 3, 16, 16], storage: Array(x.storage.suffix(3 * 256))), training: false)
        #expect(single.storage == Array(whole.storage.suffix(single.count)))
    }

    /// Finite differences need a function that is smooth at the probe: ReLU kinks and BatchNorm over
    /// a handful of values make a randomly initialised tiny net so kinked that a step of 1e-3 crosses
    /// several of them (differences then disagree with any correct gradient by tens of percent, and
    /// converge only as ε → 0 into Float32 noise). So every BatchNorm gets γ ∈ [0.1, 0.3] and
    /// β = ±4: in training mode |x̂| ≤ √(m − 1) = √127 for the m = 2·8·8 values a channel normalises
    /// here, so each ReLU input keeps its sign under any perturbation; channels with β = −4 are dead
    /// and exercise the ReLU mask. Convolutions sum in Float64 to lower the noise. What is left are
    /// max-pool switches, so each coordinate is judged at the better of two steps (1e-2, 4e-3), and
    /// Float32 noise, about 5e-4 in a difference quotient here (2e-5 of the largest gradient), so
    /// the bound is 2 % of the tensor's largest gradient plus 1e-4 of the network's.
    /// `GradientCheck` (TestSupport) probes the input and the parameters the same way; its per-tensor
    /// relative measure has no noise floor, which the smallest gradients here (~4e-3) need.
    ///
    /// With every ReLU fixed, a constant per-channel shift is removed by the next BatchNorm unless a
    /// zero-padded 3×3 conv comes first: every conv bias except `output_layers.0.4.bias`, and every BN
    /// bias except the `bn2` ones (which feed `conv2`) and the head's, has an exactly zero gradient.
    /// Those are checked to be zero up to rounding, the rest (and the input) against differences.
    @Test func backwardMatchesFiniteDifferencesOnAReducedWidthInstance() throws {
        let net = try HourglassNet(widths: tinyHourglassWidths)
        var rng = SeededGenerator(seed: 4)
        net.initialize(using: &rng)
        for item in classifiedStateEntries(of: net) ?? [] {
            guard case .parameter(let p) = item.entry else { continue }
            if item.kind == .bnWeight { p.value = .uniform(shape: p.value.shape, low: 0.1, high: 0.3, using: &rng) }
            if item.kind == .bnBias { p.value = Tensor(shape: p.value.shape, storage: (0..<p.value.count).map { $0 % 3 == 2 ? -4 : 4 }) }
        }
        setAccumulation(.float64, in: net)
        var x = Tensor.normal(shape: [2, 3, 16, 16], using: &rng)
        let r = Tensor.normal(shape: net.forward(x, training: true).shape, using: &rng)
        net.zeroGrad()
        let gradInput = net.backward(r)
        func loss() -> Double {
            let y = net.forward(x, training: true)
            return (0..<y.count).reduce(0.0) { $0 + Double(y[flat: $1]) * Double(r[flat: $1]) }
        }
        func difference(_ perturb: (Float) -> Void) -> [Double] {
            [1e-2, 4e-3].map { eps in
                perturb(Float(eps)); let plus = loss()
                perturb(Float(-2 * eps)); let minus = loss()
                perturb(Float(eps))
                return (plus - minus) / (2 * eps)
            }
        }
        let parameters = net.namedParameters
        let largest = Double(parameters.map { $0.parameter.grad.storage.map(abs).max() ?? 0 }.max() ?? 0)
        /// Worst |analytic − numeric| / (2 % of the tensor's largest gradient + 1e-4 · largest) over `samples` coordinates.
        func worstRatio(count: Int, analytic: (Int) -> Double, perturb: (Int, Float) -> Void) -> Double {
            let scale = (0..<count).map { abs(analytic($0)) }.max() ?? 0
            let bound = 2e-2 * scale + 1e-4 * largest
            return (0..<min(3, count)).map { k -> Double in
                let i = (k * 7_919 + 13) % count
                let numeric = difference { perturb(i, $0) }
                return numeric.map { abs($0 - analytic(i)) }.min()! / bound
            }.max() ?? 0
        }

        let exactlyZero: (String) -> Bool = { key in
            key.hasSuffix(".bias") && !key.hasSuffix("bn2.bias")
                && key != "output_layers.0.4.bias" && key != "output_layers.0.2.bias"
        }
        var worst = (key: "", ratio: 0.0), zeroChecked = 0, compared = 0
        for (key, parameter) in parameters {
            let grad = parameter.grad
            if exactlyZero(key) {
                let residue = Double(grad.storage.map(abs).max() ?? 0)
                #expect(residue <= 1e-4 * largest, "\(key) should have a zero gradient, has \(residue) (largest \(largest))")
                zeroChecked += 1
                continue
            }
            compared += 1
            let ratio = worstRatio(count: grad.count, analytic: { Double(grad[flat: $0]) },
                                   perturb: { i, d in parameter.value[flat: i] += d })
            if ratio > worst.ratio { worst = (key, ratio) }
        }
        // 62 conv biases but the last; 59 BN biases but 19 `bn2` and the head's.
        #expect(zeroChecked == 61 + 39)
        #expect(compared == parameters.count - zeroChecked)
        #expect(worst.ratio < 1, "worst: d/d\(worst.key) at \(worst.ratio) of the bound")
        let inputRatio = worstRatio(count: x.count, analytic: { Double(gradInput[flat: $0]) },
                                    perturb: { i, d in x[flat: i] += d })
        #expect(inputRatio < 1, "input gradient at \(inputRatio) of the bound")
    }

    @Test func pytorch11DefaultInitialisation() throws {
        let net = try HourglassNet(widths: tinyHourglassWidths)
        var rng = SeededGenerator(seed: 5)
        net.initialize(using: &rng)
        let state = net.stateDict()
        let w = state["layer2.0.conv2.weight"]!, b = state["layer2.0.conv2.bias"]!
        guard case .float(let wt) = w, case .float(let bt) = b else { Issue.record("not float"); return }
        let bound = Float(1 / (3.0 * 9).squareRoot())  // fan_in = 3 channels · 3 · 3
        #expect(wt.storage.allSatisfy { abs($0) <= bound } && bt.storage.allSatisfy { abs($0) <= bound })
        #expect(wt.storage.contains { abs($0) > bound / 2 })
        guard case .float(let gamma) = state["hg.0.layer1_4.1.bn2.weight"]!,
              case .float(let beta) = state["hg.0.layer1_4.1.bn2.bias"]!,
              case .float(let variance) = state["output_layers.0.2.running_var"]! else { Issue.record("not float"); return }
        #expect(gamma.storage.allSatisfy { $0 >= 0 && $0 <= 1 })
        #expect(beta.storage.allSatisfy { $0 == 0 } && variance.storage.allSatisfy { $0 == 1 })
    }

    /// The formula of golden README §4, checked against values the reference file stores.
    @Test func formulaWeightsReproduceStoredValuesBitForBit() throws {
        // conv1.weight (k = 0, fan_in 3·7·7) and bn1.weight (k = 2), formula_seed 0.
        let conv = (0..<4).map { Float(FormulaWeights.value(kind: .convWeight, element: $0, entry: 0, seed: 0, fanIn: 147)) }
        #expect(conv == [0.013407147489488125, -0.04433026909828186, 0.07566847652196884, -0.10184189677238464])
        let bn = (0..<4).map { Float(FormulaWeights.value(kind: .bnWeight, element: $0, entry: 2, seed: 0, fanIn: 0)) }
        #expect(bn == [1.0456914901733398, 1.1421054601669312, 1.1312755346298218, 1.0677067041397095])
        #expect(FormulaWeights.hash(element: 0, entry: 0, seed: 0) == FormulaWeights.hash(element: 0, entry: 0, seed: 1 << 32))
    }

    @Test func descriptorNetworksBuildsAnInitialisedHourglass() throws {
        var rng = SeededGenerator(seed: 6)
        let net = try DescriptorNetworks.make(.hourglass, outputChannels: 16, using: &rng)
        #expect(net.architecture == .hourglass)
        #expect(net.outputChannels == 16)
        #expect(net is HourglassNet)
        // The stem conv is the first convolution a walk finds (the trainer turns its input gradient off).
        #expect(convolutions(in: net).first?.kernel == 7)
        #expect(convolutions(in: net).count == 1 + (3 * 3 + 2) + 3 * 13 * 4 + 3 * 4 + 2)
    }
}

@Suite struct HourglassTrainingTests {
    /// The trainer's step (`Trainer.step`: train-mode forward, DVE loss, zeroGrad, backward, Adam
    /// amsgrad at lr 3e-3) on a reduced-width hourglass — the full network needs ~6 s per step in a
    /// debug build — over tiny warped pairs (imwidth 40, crop 4 → 32×32 inputs, a multiple of 32;
    /// 16×16 descriptors). The loss of fixed probe pairs, scored in training mode, must fall.
    ///
    /// `normalize_vectors` is off here although the hourglass recipe turns it on: with descriptors
    /// scaled to length 20 the softmax logits are 400·cos, and at initialisation the loss is so curved
    /// that it stays linear only within ~1e-4 (parameter-space norm) of a point, while one Adam step
    /// moves the network by ~lr·√(parameter count). Measured here: 24 steps lower the normalised probe
    /// loss by 6–7 % (lr 3e-3 or 1e-2), against 15 % without normalisation; the recipe relies on
    /// thousands of steps. The normalised loss and its
    /// gradient are covered by the losses golden and by `trainerRunsTheFullHourglass`.
    @Test func reducedWidthLossOnFixedPairsDecreases() throws {
        let widths = HourglassWidths(outputChannels: 16, planesConv1: 8, planesBlock: 16, planesHG: 16, depth: 4, blocksPerStack: 1)
        let net = try HourglassNet(widths: widths)
        var rng = SeededGenerator(seed: 21)
        net.initialize(using: &rng)
        convolutions(in: net).first?.computesInputGradient = false
        let options = CorrelationLossOptions(exchangeDescriptors: true, normalizeVectors: false, pow: 0.5)
        let optimizer = try Adam(groups: ParameterGrouping.groups(for: net, learningRate: 3e-3, biasLearningRate: nil))
        let builder = PairBatchBuilder(source: InMemoryImageSource(SyntheticImages.blobs(count: 4, size: 40, seed: 5)),
                                       warper: try Warper(height: 40, width: 40), crop: 4)
        func batch(_ k: Int) throws -> PairBatch {
            try builder.batch(indices: [(2 * k) % 4, (2 * k + 1) % 4], seeds: [UInt64(2 * k), UInt64(2 * k + 1)])
        }
        let probes = try (0..<2).map(batch)
        func probeLoss() throws -> Double {
            let saved = net.stateDict()
            defer { try? net.load(saved, source: "probe") }
            return try probes.reduce(0.0) { $0 + (try denseCorrelationLossValue(features: net.forward($1.images, training: true),
                                                                                 grid: $1.grid, options: options)) }
        }
        try ComputeThreads.withCount(2) {
            let before = try probeLoss()
            var losses: [Double] = []
            for step in 0..<24 {
                let b = try batch(step)
                #expect(b.images.shape == [4, 3, 32, 32])
                let result = try denseCorrelationLoss(features: net.forward(b.images, training: true), grid: b.grid, options: options)
                net.zeroGrad()
                _ = net.backward(result.gradient)
                try optimizer.step()
                losses.append(result.value)
            }
            let after = try probeLoss()
            #expect(losses.allSatisfy { $0.isFinite })
            #expect(after < 0.9 * before, "probe loss \(before) → \(after); per step \(losses)")
        }
    }

    /// `Trainer` with the hourglass recipe's loss (`architecture: .hourglass`, DVE, `normalize_vectors`
    /// true, one parameter group) builds the full 64-d network and trains it end to end: two steps of
    /// one pair on 32×32 crops of imwidth 40. Losses are finite, every parameter tensor moves, the
    /// BatchNorm counters advance, and the batch it trained on scores lower afterwards.
    @Test func trainerRunsTheFullHourglass() throws {
        var c = try TrainingConfiguration.hourglassCelebA(seed: 11)
        #expect(c.normalizeVectors && c.biasLearningRate == nil && c.imageWidth - 2 * c.crop == 96)
        c.batchPairs = 1
        c.epochs = 2
        c.stepsPerEpoch = 1
        c.imageWidth = 40
        c.crop = 4
        c.schedule = .constant
        c.checkpointEvery = 1000
        let images = InMemoryImageSource(SyntheticImages.blobs(count: 1, size: 40, seed: 4))
        try ComputeThreads.withCount(2) {
            let trainer = try Trainer(configuration: c, source: images)
            #expect(trainer.model is HourglassNet)
            #expect(trainer.model.parameterCount == 12_609_472)
            let first = try trainer.batch(at: TrainingPosition(epoch: 1, iteration: 0))
            #expect(first.images.shape == [2, 3, 32, 32])
            let start = trainer.model.stateDict()
            let before = try trainer.loss(on: first)
            #expect(try trainer.run() == .finished)
            #expect(trainer.losses.count == 2 && trainer.losses.allSatisfy { $0.isFinite })
            for (key, parameter) in trainer.model.namedParameters {
                #expect(start[key] != .float(parameter.value), "\(key) did not move")
            }
            #expect(trainer.model.stateDict()["output_layers.0.2.num_batches_tracked"] == .int64(shape: [], values: [2]))
            let after = try trainer.loss(on: first)
            #expect(after < before, "loss of the first batch \(before) → \(after)")
        }
    }

    @Test func aRecipeWhoseCropTheHourglassCannotPoolIsRefusedByName() throws {
        var c = try TrainingConfiguration.hourglassCelebA()
        try c.validate()
        c.crop = 18
        let error = #expect(throws: TrainingError.self) { try c.validate() }
        #expect("\(error.map { "\($0)" } ?? "")".contains("divisible by 32"))
    }
}
