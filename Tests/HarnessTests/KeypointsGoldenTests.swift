import Foundation
import Testing
import HDF5
import Harness
import Landmarks
import Tensors
import TestSupport

/// `golden verify` on `keypoints.h5`: the reference file passes every check, and every size comes from
/// the file (a set of other sizes written here verifies; damaged values fail exactly their checks).
@Suite(.serialized) struct KeypointsGoldenTests {
    private func verify(copying source: URL? = nil, write: ((HDF5Group) throws -> Void)? = nil) throws -> [GoldenCheck] {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("keypoints.h5")
        if let source { try FileManager.default.copyItem(at: source, to: target) }
        if let write { try HDF5File.write(to: target.path, write) }
        let report = ComputeThreads.withCount(2) { GoldenVerifier.verify(directory: dir) }
        return report.checks.filter { $0.file == "keypoints.h5" }
    }

    static let expectedNames: [String] = [
        "state_dict_keys", "weights/descriptors (alias of inner_conv.weight)", "weights/reg_conv.weight (copy of linear.*)",
        "linspace_x", "linspace_y", "intermediate", "pred", "intermediate_f64", "pred_f64", "keypts_normalized",
        "regression_loss/loss", "regression_loss/loss_f64",
        "regression_loss/grads/inner_conv.weight", "regression_loss/grads/reg_conv.weight",
        "regression_loss/grads_f64/inner_conv.weight", "regression_loss/grads_f64/reg_conv.weight",
        "regression_loss/params_without_grad",
        "inter_ocular_error/eye_kp_idxs", "inter_ocular_error/value",
        "inter_ocular_error_68/eye_kp_idxs", "inter_ocular_error_68/value",
    ]

    @Test func referenceKeypointsFilePassesEveryCheck() throws {
        let checks = try verify(copying: Fixtures.golden.appendingPathComponent("keypoints.h5"))
        for check in checks where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        #expect(checks.map(\.name).sorted() == Self.expectedNames.sorted())
    }

    /// A keypoints.h5 of other sizes (C 4, nA 3, nI 2, B 3, 5×7 maps, image side 40, alpha 5, multiplier
    /// 50), with reference values from our own implementation: nothing about the public set is
    /// hard-coded in the verifier.
    private static func writeAlternativeSet(_ root: HDF5Group, damage: Bool) throws {
        let (c, nA, nI, b, h, w, side) = (4, 3, 2, 3, 5, 7, 40)
        let (alpha, mul) = (Float(5), Float(50))
        for (key, value) in [("descriptor_dimension", c), ("num_annotated_points", nA), ("num_intermediate_points", nI),
                             ("image_size_for_normalisation", side)] {
            try root.setAttribute(key, .int64(Int64(value)))
        }
        try root.setAttribute("alpha", .float64(Double(alpha)))
        try root.setAttribute("softargmax_mul", .float64(Double(mul)))
        let regressor = try IntermediateKeypointPredictor(descriptorDimension: c, annotatedPoints: nA, intermediatePoints: nI,
                                                          softargmaxMultiplier: mul, linspace: .torch1_13)
        var rng = SeededGenerator(seed: 31)
        regressor.initialize(using: &rng)
        let keys = regressor.stateEntries.map(\.key)
        try root.write("state_dict_keys", strings: keys, shape: [keys.count])
        for (key, entry) in regressor.stateEntries {
            guard case .parameter(let p) = entry else { continue }
            try root.write("weights/\(key)", tensor: p.value)
        }
        let input = Tensor.normal(shape: [b, c, h, w], std: 0.02, using: &rng)
        try root.write("input", tensor: input)
        let axes = regressor.coordinateAxes(height: h, width: w)
        try root.write("linspace_x", float32: axes.xs, shape: [w])
        try root.write("linspace_y", float32: axes.ys, shape: [h])
        let pred = regressor.forward(input, training: true)
        var intermediate = regressor.intermediate
        if damage { intermediate.storage[4] += 0.01 }
        for (name, t) in [("pred", pred), ("intermediate", intermediate)] {
            try root.write(name, tensor: t)
            try root.write("\(name)_f64", float64: t.storage.map(Double.init), shape: t.shape)
        }
        let keypoints = Tensor.uniform(shape: [b, nA, 2], low: 0, high: Float(side - 1), using: &rng)
        let normalized = try normalizedKeypoints(keypoints, height: side, width: side)
        try root.write("keypts", tensor: keypoints)
        try root.write("keypts_normalized", tensor: normalized)
        let loss = try regressionLoss(predictions: pred, targets: normalized, alpha: alpha)
        regressor.zeroGrad()
        _ = regressor.backward(loss.gradient)
        let group = try root.createGroup("regression_loss")
        try group.write("loss", float32: [Float(loss.value)], shape: [])
        try group.write("loss_f64", float64: [damage ? loss.value * 1.001 : loss.value], shape: [])
        try group.setAttribute("params_without_grad", .string(regressor.parametersWithoutGradient.joined(separator: ",")))
        for (key, p) in [("inner_conv.weight", regressor.innerWeight), ("reg_conv.weight", regressor.regressionWeight)] {
            try group.write("grads/\(key)", tensor: p.grad)
            try group.write("grads_f64/\(key)", float64: p.grad.storage.map(Double.init), shape: p.grad.shape)
        }
        for (name, images, points, eyes) in [("inter_ocular_error", 2, 5, [Int64(0), 1]), ("inter_ocular_error_68", 1, 68, [36, 45])] {
            let g = try root.createGroup(name)
            try g.setAttribute("eye_kp_idxs", .int64(eyes))
            let gt = Tensor.uniform(shape: [images, points, 2], low: -1, high: 1, using: &rng)
            let guess = Tensor.uniform(shape: [images, points, 2], low: -1, high: 1, using: &rng)
            try g.write("gt", tensor: gt)
            try g.write("pred", tensor: guess)
            let value = try interOcularError(predictions: guess, targets: gt, eyes: EyeIndices(Int(eyes[0]), Int(eyes[1]))).value
            try g.write("value", float32: [Float(value)], shape: [])
        }
    }

    @Test func aSetWithOtherSizesVerifiesFromTheFileAlone() throws {
        let checks = try verify { try Self.writeAlternativeSet($0, damage: false) }
        #expect(checks.map(\.name).sorted() == Self.expectedNames.sorted())
        #expect(checks.allSatisfy { $0.outcome == .pass }, "\(checks.filter { $0.outcome != .pass }.map { "\($0.name): \($0.detail ?? "")" })")
    }

    @Test func damagedValuesFailExactlyTheirChecks() throws {
        let checks = try verify { try Self.writeAlternativeSet($0, damage: true) }
        let failed = Set(checks.filter { $0.outcome == .fail }.map(\.name))
        #expect(failed == ["intermediate", "intermediate_f64", "regression_loss/loss_f64"])
    }

    @Test func missingAttributesAndKeysAreReportedNotTrapped() throws {
        let checks = try verify { root in
            try Self.writeAlternativeSet(root, damage: false)
            try root.setAttribute("num_annotated_points", .int64(0))
        }
        #expect(checks.count == 1 && checks[0].outcome == .fail && checks[0].name == "(root attributes)")
        let wrongKeys = try verify { root in
            try Self.writeAlternativeSet(root, damage: false)
            try root.setAttribute("num_intermediate_points", .int64(3))
        }
        #expect(wrongKeys.contains { $0.name == "weights" && $0.outcome == .fail && ($0.detail ?? "").contains("inner_conv.weight") })
    }
}
