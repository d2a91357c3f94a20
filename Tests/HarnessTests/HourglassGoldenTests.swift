import Foundation
import Testing
import HDF5
import Harness
import Tensors
import TestSupport

/// `golden verify` on `hourglass.h5`: the reference file and the alternate set (other batch, input
/// size, channel count and formula seed) pass every check, and a file whose numbers disagree with
/// the formula or the network fails by name.
@Suite(.serialized) struct HourglassGoldenTests {
    /// Verifies a directory holding only `hourglass.h5` (a copy of `source`, or one written by `write`).
    private func verify(copying source: URL? = nil, write: ((HDF5Group) throws -> Void)? = nil) throws -> [GoldenCheck] {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("hourglass.h5")
        if let source { try FileManager.default.copyItem(at: source, to: target) }
        if let write { try HDF5File.write(to: target.path, write) }
        let report = ComputeThreads.withCount(2) { GoldenVerifier.verify(directory: dir) }
        return report.checks.filter { $0.file == "hourglass.h5" }
    }

    static let expectedNames = ["state_dict_keys", "state_dict_shape+ndim", "num_parameters", "state_dict_kinds",
                                "state_dict_first4", "state_dict_sum", "output"]
        + ["stem", "layer1", "layer2", "layer3", "hg0", "output"].flatMap {
            ["debug/\($0)/shape", "debug/\($0)/channel_mean", "debug/\($0)/patch4"]
        }

    @Test(arguments: ["golden", "golden-alt"])
    func storedFilePassesEveryCheck(set: String) throws {
        let checks = try verify(copying: Fixtures.root.appendingPathComponent(set).appendingPathComponent("hourglass.h5"))
        for check in checks where check.outcome != .pass {
            Issue.record("\(set) \(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        #expect(Set(checks.map(\.name)) == Set(Self.expectedNames))
        let output = checks.first { $0.name == "output" }
        #expect((output?.maxErrorRelativeToScale ?? 1) < 2e-5, "\(String(describing: output))")
    }

    /// Copies the alternate file, changing what `edit` changes, and returns the failing check names.
    private func failures(editing edit: @escaping (inout [String: Tensor], inout Int64) -> Void) throws -> Set<String> {
        let source = try HDF5File.open(Fixtures.goldenAlt.appendingPathComponent("hourglass.h5").path)
        defer { source.close() }
        let root = source.root
        var floats: [String: Tensor] = [:]
        for name in ["x", "output", "state_dict_first4"] { floats[name] = try root.dataset(name).readTensor() }
        var seed = try root.attribute("formula_seed").intValue ?? 0
        edit(&floats, &seed)
        let checks = try verify { out in
            for name in ["state_dict_keys", "state_dict_kinds"] {
                let values = try root.dataset(name).readStrings()
                try out.write(name, strings: values, shape: [values.count])
            }
            for name in ["state_dict_ndim", "state_dict_shape"] {
                let d = try root.dataset(name)
                try out.write(name, int64: try d.readInt64(), shape: d.shape)
            }
            let sums = try root.dataset("state_dict_sum")
            try out.write("state_dict_sum", float64: try sums.readFloat64(), shape: sums.shape)
            for (name, t) in floats { try out.write(name, tensor: t) }
            try out.setAttribute("formula_seed", .int64(seed))
            try out.setAttribute("num_parameters", try root.attribute("num_parameters"))
        }
        return Set(checks.filter { $0.outcome == .fail }.map(\.name))
    }

    @Test func anotherSeedFailsTheWeightChecksAndTheOutput() throws {
        let failed = try failures { _, seed in seed += 1 }
        #expect(failed == ["state_dict_first4", "state_dict_sum", "output"])
    }

    @Test func aSmallOutputErrorFailsOnlyTheOutput() throws {
        let failed = try failures { floats, _ in
            var out = floats["output"]!
            let scale = out.storage.map(abs).max() ?? 1
            out[flat: 17] += 3e-4 * scale
            floats["output"] = out
        }
        #expect(failed == ["output"])
    }

    @Test func aChangedFirstValueIsCaughtExactly() throws {
        let failed = try failures { floats, _ in
            var first4 = floats["state_dict_first4"]!
            first4[flat: 4 * 100] = first4[flat: 4 * 100].nextUp
            floats["state_dict_first4"] = first4
        }
        #expect(failed == ["state_dict_first4"])
    }
}
