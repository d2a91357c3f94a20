import Foundation
import Testing
import HDF5
import Harness
import Landmarks
import Tensors
import TestSupport

/// `golden verify` on `losses.h5`: the reference file passes every check, and the verifier takes every
/// size and `pow` from the file (a set of another shape written here verifies, a damaged one fails).
@Suite(.serialized) struct LossesGoldenTests {
    /// Verifies a directory holding only `losses.h5` (a copy of `source`, or one written by `write`).
    private func verify(copying source: URL? = nil, write: ((HDF5Group) throws -> Void)? = nil) throws -> [GoldenCheck] {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("losses.h5")
        if let source { try FileManager.default.copyItem(at: source, to: target) }
        if let write { try HDF5File.write(to: target.path, write) }
        let report = ComputeThreads.withCount(2) { GoldenVerifier.verify(directory: dir) }
        return report.checks.filter { $0.file == "losses.h5" }
    }

    @Test func referenceLossesFilePassesEveryCheck() throws {
        let checks = try verify(copying: Fixtures.golden.appendingPathComponent("losses.h5"))
        for check in checks where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        var expected = ["sizes (B, C, H, W, H_in, W_in, stride)", "batch_grid_u"]
        for loss in ["dense_correlation_loss", "dense_correlation_loss_dve"] {
            for flag in ["false", "true"] {
                for item in ["loss_f64", "grad_f64", "loss_f32", "grad_f32"] {
                    expected.append("\(loss)/normalize_\(flag)/\(item)")
                }
            }
        }
        for group in ["dense_correlation_loss/normalize_false", "dense_correlation_loss_dve/normalize_false",
                      "dense_correlation_loss_dve/normalize_true"] {
            expected += ["folded/\(group)/loss_f64", "folded/\(group)/loss_f32"]
        }
        #expect(checks.map(\.name).sorted() == expected.sorted())
    }

    /// A losses.h5 of another shape (non-square features, W_in odd, pow 1), with reference values
    /// from our own implementation: the point is that nothing about the public set is hard-coded.
    private static func writeAlternativeSet(_ root: HDF5Group, damage: Bool) throws {
        let (pairs, c, h, w, hIn, wIn, pow) = (2, 4, 3, 4, 6, 7, Float(1))
        var rng = SeededGenerator(seed: 21)
        let feats = Tensor.normal(shape: [2 * pairs, c, h, w], mean: 1, std: 0.1, using: &rng)
        let grid = Tensor.uniform(shape: [pairs, hIn, wIn, 2], low: -1, high: 1, using: &rng)
        for (key, value) in [("B", pairs), ("C", c), ("H", h), ("W", w), ("H_in", hIn), ("W_in", wIn), ("stride", 2)] {
            try root.setAttribute(key, .int64(Int64(value)))
        }
        try root.setAttribute("pow", .float64(Double(pow)))
        try root.write("feats", tensor: feats)
        try root.write("grid", tensor: grid)
        var targets = try correlationTargetPixels(grid: grid, featureHeight: h, featureWidth: w)
        if damage { targets.storage[5] += 0.01 }
        try root.write("batch_grid_u", tensor: targets)
        for (name, exchange) in [("dense_correlation_loss", false), ("dense_correlation_loss_dve", true)] {
            for normalize in [false, true] {
                let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize, pow: pow)
                let result = try denseCorrelationLoss(features: feats, grid: grid, options: options)
                var grad = result.gradient.storage.map(Double.init)
                if damage, exchange, normalize { grad[17] += 0.01 * (grad.map(abs).max() ?? 1) }
                let group = try root.createGroup("\(name)/normalize_\(normalize)")
                try group.write("loss_f64", float64: [result.value], shape: [])
                try group.write("loss_f32", float32: [Float(result.value)], shape: [])
                try group.write("grad_f64", float64: grad, shape: feats.shape)
                try group.write("grad_f32", float32: grad.map(Float.init), shape: feats.shape)
                if !(normalize && !exchange) {
                    let folded = try root.createGroup("folded/\(name)/normalize_\(normalize)")
                    let value = damage && !exchange ? result.value * 1.001 : result.value
                    try folded.write("loss_f64", float64: [value], shape: [])
                    try folded.write("loss_f32", float32: [Float(value)], shape: [])
                }
            }
        }
    }

    @Test func aSetWithOtherSizesAndPowVerifiesFromTheFileAlone() throws {
        let checks = try verify { try Self.writeAlternativeSet($0, damage: false) }
        #expect(checks.count == 24)
        #expect(checks.allSatisfy { $0.outcome == .pass }, "\(checks.filter { $0.outcome != .pass }.map { "\($0.name): \($0.detail ?? "")" })")
    }

    @Test func damagedValuesFailExactlyTheirChecks() throws {
        let checks = try verify { try Self.writeAlternativeSet($0, damage: true) }
        let failed = Set(checks.filter { $0.outcome == .fail }.map(\.name))
        #expect(failed == ["batch_grid_u", "dense_correlation_loss_dve/normalize_true/grad_f64",
                           "dense_correlation_loss_dve/normalize_true/grad_f32",
                           "folded/dense_correlation_loss/normalize_false/loss_f64",
                           "folded/dense_correlation_loss/normalize_false/loss_f32"])
        // The scaled gradient error is reported: 1% of the scale against a 2e-3 tolerance.
        let grad = checks.first { $0.name == "dense_correlation_loss_dve/normalize_true/grad_f64" }
        #expect(abs((grad?.maxErrorRelativeToScale ?? 0) - 0.01) < 1e-3)
    }

    @Test func sizesThatContradictTheArraysFail() throws {
        let checks = try verify { root in
            try Self.writeAlternativeSet(root, damage: false)
            try root.setAttribute("stride", .int64(3))
        }
        let sizes = checks.first { $0.name.hasPrefix("sizes") }
        #expect(sizes?.outcome == .fail)
        #expect(checks.filter { $0.outcome == .fail }.count == 1)
    }
}
