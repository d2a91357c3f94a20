import Foundation
import Testing
import HDF5
import Harness
import Landmarks
import Tensors
import TestSupport

/// Verifies a directory holding only `file` (so the other verifiers do not run).
private func verifyAlone(_ file: URL) throws -> [GoldenCheck] {
    let dir = try makeTemporaryDirectory("optim-golden")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.copyItem(at: file, to: dir.appendingPathComponent("optim.h5"))
    return GoldenVerifier.verify(directory: dir).checks
}

@Suite struct OptimGoldenTests {
    static let reference = Fixtures.golden.appendingPathComponent("optim.h5")

    @Test func referenceFilePassesEveryCheck() throws {
        let checks = try verifyAlone(Self.reference)
        for check in checks where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        var expected: [String] = ["lr_schedule/per_iteration", "lr_schedule/trainer_per_epoch"]
        for version in ["1_1", "1_13"] {
            for wd in ["0", "5e-4"] {
                expected += ["params", "params_f64", "moments", "moments_f64"].map { "adam_torch\(version)/wd_\(wd)/\($0)" }
            }
            expected += ["weights", "biases", "lrs"].map { "adam_bias_lr_groups/torch\(version)/\($0)" }
        }
        #expect(Set(checks.map(\.name)) == Set(expected))
        #expect(checks.count == expected.count, "one check per dataset")
    }

    /// Not required by the tolerances (abs 1e-6), but a guard on the operation order: our float32
    /// trajectories reproduce PyTorch's stored float32 ones bit for bit.
    @Test func float32TrajectoriesAreBitIdenticalToPyTorch() throws {
        let checks = try verifyAlone(Self.reference)
        let float32 = checks.filter { ["params", "moments", "weights", "biases", "lrs", "per_iteration", "trainer_per_epoch"]
            .contains($0.name.split(separator: "/").last.map(String.init) ?? "") }
        #expect(float32.count == 16)
        for check in float32 { #expect(check.maxAbsError == 0, "\(check.name): \(check.maxAbsError)") }
    }

    /// A smaller set cut from the reference (Adam is element-wise, so any columns of the stored
    /// trajectories are the trajectories of those columns): n = 10, nw = 6, 3 steps, a 4-long
    /// schedule, other group spellings. Sizes and decays must come from the file.
    @Test func aSetWithOtherSizesAndNamesIsReadFromTheFile() throws {
        let dir = try makeTemporaryDirectory("optim-cut")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("optim.h5")
        try cut(to: path.path, perturb: false)
        let checks = try verifyAlone(path)
        #expect(checks.count == 11)
        for check in checks where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        #expect(checks.contains { $0.name == "adam_torch1_2/wd_0.0005/params" })

        try FileManager.default.removeItem(at: path)
        try cut(to: path.path, perturb: true)
        let damaged = try verifyAlone(path)
        let failed = Set(damaged.filter { $0.outcome == .fail }.map(\.name))
        #expect(failed == ["adam_torch1_2/wd_0.0005/params", "adam_bias_lr_groups/torch1_13/biases"])
    }

    /// Columns 0–5 (weights) and 48–51 (biases) of the reference, first 3 steps.
    private func cut(to path: String, perturb: Bool) throws {
        let source = try HDF5File.open(Self.reference.path)
        defer { source.close() }
        let s = source.root
        let n = try s.dataset("param0").shape[0]
        let nw = try s.dataset("adam_bias_lr_groups/torch1_13/weights").shape[1]
        let columns = Array(0..<6) + Array(nw..<(nw + 4))
        func pick(_ name: String, rows: Int, inner: Int = 1) throws -> [Double] {
            let all = try s.dataset(name).readFloat64()
            return (0..<(rows * inner)).flatMap { r in columns.map { all[r * n + $0] } }
        }
        func pickFloat(_ name: String, rows: Int, inner: Int = 1) throws -> [Float] {
            try pick(name, rows: rows, inner: inner).map { Float($0) }
        }
        try HDF5File.write(to: path) { root in
            for attribute in ["lr", "betas", "eps"] { try root.setAttribute(attribute, s.attribute(attribute)) }
            try root.write("param0", float32: Array(try s.dataset("param0").readFloat32().prefix(nw + 4))
                .enumerated().filter { columns.contains($0.offset) }.map(\.element), shape: [10])
            try root.write("grads", float32: try pickFloat("grads", rows: 3), shape: [3, 10])
            for (from, to) in [("adam_torch1_1/wd_5e-4", "adam_torch1_2/wd_0.0005"), ("adam_torch1_13/wd_0", "adam_torch1_13/wd_0e0")] {
                let group = try root.createGroup(to)
                try group.setAttribute("weight_decay", s.group(from).attribute("weight_decay"))
                var params = try pickFloat("\(from)/params", rows: 3)
                if perturb && to.hasPrefix("adam_torch1_2") { params[7] += 2e-6 }
                try group.write("params", float32: params, shape: [3, 10])
                try group.write("params_f64", float64: try pick("\(from)/params_f64", rows: 3), shape: [3, 10])
                try group.write("moments", float32: try pickFloat("\(from)/moments", rows: 3, inner: 3), shape: [3, 3, 10])
            }
            let schedule = try root.createGroup("lr_schedule")
            for attribute in ["base_lr", "gamma", "milestones"] {
                try schedule.setAttribute(attribute, s.group("lr_schedule").attribute(attribute))
            }
            for name in ["per_iteration", "trainer_per_epoch"] {
                try schedule.write(name, float64: Array(try s.dataset("lr_schedule/\(name)").readFloat64().prefix(4)), shape: [4])
            }
            let family = try root.createGroup("adam_bias_lr_groups")
            for attribute in try s.group("adam_bias_lr_groups").attributeNames() {
                try family.setAttribute(attribute, s.group("adam_bias_lr_groups").attribute(attribute))
            }
            let group = try family.createGroup("torch1_13")
            let weights = try s.dataset("adam_bias_lr_groups/torch1_13/weights").readFloat32()
            let biases = try s.dataset("adam_bias_lr_groups/torch1_13/biases").readFloat32()
            try group.write("weights", float32: (0..<3).flatMap { r in (0..<6).map { weights[r * nw + $0] } }, shape: [3, 6])
            var cutBiases = (0..<3).flatMap { r in (0..<4).map { biases[r * (n - nw) + $0] } }
            if perturb { cutBiases[5] *= 1.01 }
            try group.write("biases", float32: cutBiases, shape: [3, 4])
            let lrs = try s.dataset("adam_bias_lr_groups/torch1_13/lrs").readFloat64()
            try group.write("lrs", float64: Array(lrs.prefix(6)), shape: [3, 2])
        }
    }
}

@Suite struct OptimParameterGroupingTests {
    @Test func smallNetBiasLRGroupsAreConvBiasesOnly() throws {
        let net = SmallNet(outputChannels: 16)
        let groups = ParameterGrouping.biasLR(net, learningRate: 1e-3, biasLearningRate: 1e-5, weightDecay: 5e-4)
        #expect(groups.count == 2)
        #expect(groups.map(\.parameters.count) == [16, 6])
        let convBiases = ["conv1.0.bias", "conv2.0.bias", "conv3.0.bias", "conv4.0.bias", "conv5.0.bias", "conv6.bias"]
        #expect(groups[1].keys == convBiases)
        var rest: [String] = []
        for n in 1...5 { rest += ["conv\(n).0.weight", "conv\(n).1.weight", "conv\(n).1.bias"] }
        #expect(groups[0].keys == rest + ["conv6.weight"])
        #expect(groups.map(\.learningRate) == [1e-3, 1e-5])
        #expect(groups.map(\.weightDecay) == [5e-4, 5e-4])
        // Both keep model.parameters() order.
        let order = net.namedParameters.map(\.key)
        for group in groups { #expect(group.keys == order.filter(group.keys.contains)) }

        let single = ParameterGrouping.groups(for: net, learningRate: 1e-3, biasLearningRate: nil)
        #expect(single.count == 1)
        #expect(single[0].keys == order)
        #expect(ParameterGrouping.groups(for: net, learningRate: 1e-3, biasLearningRate: 1e-5).map(\.keys) == groups.map(\.keys))
    }

    /// One real SmallNet step with the bias_lr groups: a first Adam step (1.1 formula) moves each element
    /// by at most its group's lr, so conv biases move at most 1e-5.
    @Test func aTrainingStepRespectsEachGroupsRate() throws {
        let net = SmallNet(outputChannels: 3)
        var rng = SeededGenerator(seed: 3)
        for (_, parameter) in net.namedParameters {
            parameter.value.storage = parameter.value.storage.map { _ in Float(rng.nextNormal() * 0.1) }
        }
        let before = net.namedParameters.map { ($0.key, $0.parameter.value.storage) }
        let adam = try Adam(groups: ParameterGrouping.biasLR(net, learningRate: 1e-3, biasLearningRate: 1e-5))
        let x = Tensor(shape: [2, 3, 12, 12], storage: (0..<(2 * 3 * 144)).map { _ in Float(rng.nextNormal()) })
        let y = net.forward(x, training: true)
        adam.zeroGrad()
        _ = net.backward(Tensor(shape: y.shape, storage: (0..<y.count).map { _ in Float(rng.nextNormal()) }))
        try adam.step()
        let biasKeys = Set(adam.groups[1].keys)
        for (key, old) in before {
            let now = try #require(net.namedParameters.first(where: { $0.key == key })).parameter.value.storage
            let rate = biasKeys.contains(key) ? 1e-5 : 1e-3
            // |Δ| ≤ lr, plus the rounding of the stored result.
            let excess = zip(now, old).map { Double(abs($0 - $1)) - rate * (1 + 1e-6) - Double($1.ulp) }.max() ?? 0
            #expect(excess <= 0, "\(key) moved more than its lr \(rate)")
            // Conv biases in front of train-mode BatchNorm have an exactly zero gradient in theory.
            if !key.hasSuffix(".0.bias") { #expect(now != old, "\(key) did not move") }
        }
    }
}
