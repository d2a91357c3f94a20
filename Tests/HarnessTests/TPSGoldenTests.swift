import Foundation
import HDF5
import Testing
import Harness
import Landmarks
import Tensors
import TestSupport

@Suite struct TPSGoldenTests {
    /// Verifies a directory holding only `tps.h5` (a copy of `source`, or a file `write` produces).
    static func verify(source: URL? = nil, write: ((URL) throws -> Void)? = nil) throws -> [GoldenCheck] {
        let dir = try makeTemporaryDirectory("tps-golden")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("tps.h5")
        if let source { try FileManager.default.copyItem(at: source, to: target) }
        try write?(target)
        return GoldenVerifier.verify(directory: dir).checks.filter { $0.file == "tps.h5" }
    }

    @Test func referenceFilePassesEveryCheck() throws {
        let checks = try Self.verify(source: Fixtures.golden.appendingPathComponent("tps.h5"))
        for check in checks where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        #expect(checks.count >= 60)
        for name in ["grid_ctrlpts", "grid_pixels", "U_ctrlpts", "F_rows", "grid1", "grid2", "grid1_unnormalized",
                     "pixel_coords_unnormalized_x", "pixel_coords_unnormalized_y", "outputs/flow", "outputs/grid",
                     "outputs/kp1", "outputs/kp2", "outputs/kp_after_first_warp_uncropped", "outputs/kp1_normalized",
                     "align_corners_true/im1", "align_corners_false/im2", "align_corners_true/data_uint8",
                     "align_corners_false/data", "linspace/torch1_13_W136", "linspace/pixels_torch1_1_W35"] {
            #expect(checks.contains { $0.name == name }, "no check named \(name)")
        }
    }

    @Test func aSetOfAnotherSizeVerifiesAndADamagedDatasetIsNamed() throws {
        let good = try Self.verify { try Self.writeSyntheticSet(to: $0, side: 24, crop: 4) }
        #expect(good.count >= 25)
        #expect(good.allSatisfy { $0.outcome == .pass }, "\(good.filter { $0.outcome != .pass }.map { "\($0.name): \($0.detail ?? "")" })")
        #expect(good.contains { $0.name == "linspace/torch1_1_W24" })

        let damaged = try Self.verify { try Self.writeSyntheticSet(to: $0, side: 24, crop: 4, nudge: "grid2") }
        #expect(damaged.filter { $0.outcome == .fail }.map(\.name) == ["grid2"])

        let missing = try Self.verify { try Self.writeSyntheticSet(to: $0, side: 24, crop: 4, omit: "outputs/kp1") }
        let failures = missing.filter { $0.outcome == .fail }
        #expect(failures.map(\.name) == ["outputs/kp1"])
        #expect(failures.first?.detail?.contains("kp1") == true)
    }

    @Test func aFileWithoutItsSizesFailsWithoutCrashing() throws {
        let checks = try Self.verify { url in try HDF5File.write(to: url.path) { root in try root.setAttribute("H", .int64(10)) } }
        #expect(checks.count == 1)
        #expect(checks.first?.outcome == .fail)
        #expect(checks.first?.detail?.contains("'W'") == true, "\(checks.first?.detail ?? "")")
    }

    /// A `tps.h5` of the reference schema whose outputs come from this implementation: it shows the
    /// verifier takes every size from the file, not that the implementation matches PyTorch (the
    /// reference file does that).
    static func writeSyntheticSet(to url: URL, side: Int, crop: Int, nudge: String? = nil, omit: String? = nil) throws {
        var rng = SeededGenerator(seed: 9)
        let bytes = (0..<(3 * side * side)).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
        let image = Tensor(shape: [3, side, side], storage: bytes.map { (Float($0) / 255) * 255 })
        let keypoints = Tensor(shape: [3, 2], storage: [5, 6, 12.3, 10.1, 17, 15.5])
        let trueWarper = try Warper(height: side, width: side)
        let weights = trueWarper.randomWeights(using: &rng)
        let basis = trueWarper.basis
        let pair = try trueWarper.warp(image, keypoints: keypoints, crop: crop, weights: weights)
        let inner = side - 2 * crop
        let kp1 = try #require(pair.kp1), kp2 = try #require(pair.kp2), kp2Uncropped = try #require(pair.kp2Uncropped)
        var datasets: [(String, Tensor)] = [
            ("inputs/image", image), ("inputs/keypoints", keypoints),
            ("inputs/weights1", weights.first.tensor), ("inputs/weights2", weights.second.tensor),
            ("grid_ctrlpts", Tensor(shape: [100, 2], storage: basis.controlPoints)),
            ("grid_pixels", Tensor(shape: [side * side, 2], storage: basis.pixels)),
            ("U_ctrlpts", Tensor(shape: [100, 100], storage: basis.controlPointBasis)),
            ("F_rows", Tensor(shape: [2, 103], storage: Array(basis.design.prefix(103) + basis.design.suffix(103)))),
            ("grid1", pair.grid1), ("grid2", pair.grid2),
            ("grid1_unnormalized", try WarpCoordinates.gridUnnormalize(pair.grid1, height: side, width: side)),
            ("pixel_coords_unnormalized_x", Tensor(shape: [side], storage: (0..<side).map { basis.pixelsUnnormalized[2 * $0] })),
            ("pixel_coords_unnormalized_y", Tensor(shape: [side], storage: (0..<side).map { basis.pixelsUnnormalized[2 * $0 * side + 1] })),
            ("outputs/flow", pair.flow), ("outputs/grid", pair.grid),
            ("outputs/kp1", kp1), ("outputs/kp2", kp2), ("outputs/kp_after_first_warp_uncropped", kp2Uncropped),
            ("outputs/kp1_normalized", try WarpCoordinates.kpNormalize(height: inner, width: inner, kp1)),
        ]
        for (variant, name) in [(Linspace.Variant.torch1_13, "torch1_13"), (.torch1_1, "torch1_1")] {
            let values = Linspace.values(from: -1, to: 1, count: side, variant: variant)
            datasets.append(("linspace/\(name)_W\(side)", Tensor(shape: [side], storage: values)))
            datasets.append(("linspace/pixels_\(name)_W\(side)", Tensor(shape: [side], storage: values.map { (($0 + 1) / 2) * Float(side - 1) })))
        }
        var modes: [(String, WarpedPair)] = []
        for mode in AlignCorners.allCases {
            let warper = try Warper(height: side, width: side, alignCorners: mode)
            modes.append(("align_corners_\(mode == .true ? "true" : "false")",
                          try warper.warp(image, keypoints: keypoints, crop: crop, weights: weights)))
        }
        try HDF5File.write(to: url.path) { root in
            for (name, value) in [("H", side), ("W", side), ("crop", crop)] { try root.setAttribute(name, .int64(Int64(value))) }
            try root.write("inputs/image_uint8", uint8: bytes, shape: [3, side, side])
            try root.write("F_rows_index", int64: [0, Int64(side * side - 1)], shape: [2])
            for (name, tensor) in datasets where name != omit {
                var values = tensor.storage
                if name == nudge { values = values.map { $0 + 1e-3 } }
                try root.write(name, float32: values, shape: tensor.shape)
            }
            for (group, modePair) in modes {
                let data = try modePair.datasetData()
                try root.write("\(group)/im1", tensor: modePair.im1)
                try root.write("\(group)/im2", tensor: modePair.im2)
                try root.write("\(group)/data_uint8", uint8: data.bytes, shape: [2, 3, inner, inner])
                    .setAttribute("num_values_within_1e-3_of_an_integer_boundary", .int64(0))
                try root.write("\(group)/data", tensor: data.data)
            }
        }
    }
}
