import Foundation
import Testing
import HDF5
import Harness
import Landmarks
import Tensors
import TestSupport

/// `golden verify` on `matching.h5`, the eval-warp files in `expected/eval-warps`, and the protocol end
/// to end with a SmallNet and the recorded MAFL warps.
@Suite(.serialized) struct MatchingGoldenTests {
    /// The checkout's root, found from this file's path (Tests/HarnessTests/…).
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()
    static let evalWarps = EvalWarpsFile.directory(repositoryRoot: repositoryRoot)

    /// Verifies a directory holding only `matching.h5` (a copy of `source`, or one written by `write`).
    private func verify(copying source: URL? = nil, write: ((HDF5Group) throws -> Void)? = nil) throws -> [GoldenCheck] {
        let dir = try makeTemporaryDirectory("matching-golden")
        defer { try? FileManager.default.removeItem(at: dir) }
        let target = dir.appendingPathComponent("matching.h5")
        if let source { try FileManager.default.copyItem(at: source, to: target) }
        if let write { try HDF5File.write(to: target.path, write) }
        return GoldenVerifier.verify(directory: dir).checks.filter { $0.file == "matching.h5" }
    }

    @Test func referenceMatchingFilePassesEveryCheck() throws {
        let checks = try verify(copying: Fixtures.golden.appendingPathComponent("matching.h5"))
        for check in checks where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        var expected: [String] = []
        for group in ["hourglass_protocol", "smallnet_protocol"] {
            expected.append("\(group)/sizes (num_batches, C, H, W, num_keypoints, imwidth − 2·crop, stride)")
            for name in ["num_half_way_roundings", "query_x_over_stride", "query_y_over_stride", "query_xy_index",
                         "same_pred_xy", "diff_pred_xy", "same_err", "diff_err", "mean_same_err", "mean_diff_err",
                         "corr_top2_gap"] {
                expected.append("\(group)/\(name)")
            }
        }
        for name in ["src_up", "target_up", "maxidx", "max_corr", "corr_top2_gap", "grid",
                     "im_warped_align_corners_true", "im_warped_align_corners_false"] {
            expected.append("dense_desc_match/\(name)")
        }
        #expect(checks.map(\.name).sorted() == expected.sorted())
    }

    /// A matching.h5 of other sizes (C 3, 6×6 maps, 3 keypoints, imwidth 16, crop 2, 1 batch) whose
    /// reference values come from our own rules: nothing about the public set's sizes is hard-coded,
    /// and one moved prediction is caught.
    private static func writeAlternativeSet(_ root: HDF5Group, damage: Bool) throws {
        let (batches, c, h, k, imwidth, crop) = (1, 3, 6, 3, 16, 2)
        var rng = SeededGenerator(seed: 5)
        let descs = Tensor.normal(shape: [batches, 4, c, h, h], using: &rng)
        let kp1 = Tensor(shape: [batches, 2, k, 2], storage: [1, 2, 5, 7, 11, 3, 0, 0, 0, 0, 0, 0])
        let kp2 = Tensor(shape: [batches, 2, k, 2], storage: [2, 2, 6, 6, 10, 4, 9, 1, 3, 3, 7, 11])
        let g = try root.createGroup("smallnet_protocol")
        for (key, value) in [("imwidth", imwidth), ("crop", crop), ("image_width_after_crop", imwidth - 2 * crop), ("C", c),
                             ("H", h), ("W", h), ("num_batches", batches), ("num_keypoints", k)] {
            try g.setAttribute(key, .int64(Int64(value)))
        }
        try g.setAttribute("stride", .float64(2))
        try g.write("descs", tensor: descs)
        try g.write("kp1", tensor: kp1)
        try g.write("kp2", tensor: kp2)
        let all = descs.reshaped([4, c, h, h])
        let pair = try MatchingProtocol.evaluatePair(
            source: DescriptorMap(batch: all, index: 0), same: DescriptorMap(batch: all, index: 1),
            different: DescriptorMap(batch: all, index: 3), sourceKeypoints: Array(kp1.storage[0..<6]),
            sameKeypoints: Array(kp2.storage[0..<6]), differentKeypoints: Array(kp2.storage[6..<12]), stride: 2,
            errorScale: 70.0 / 12, sourceItem: 0)
        let m = pair.keypoints
        let halfway = m.reduce(0) { n, q in
            n + [q.query.xOverStride, q.query.yOverStride].filter { $0 - $0.rounded(.down) == 0.5 }.count
        }
        #expect(halfway == 5)
        try g.setAttribute("num_half_way_roundings", .int64(Int64(halfway)))
        try g.write("query_x_over_stride", float64: m.map(\.query.xOverStride), shape: [1, k])
        try g.write("query_y_over_stride", float64: m.map(\.query.yOverStride), shape: [1, k])
        try g.write("query_xy_index", int64: m.flatMap { [Int64($0.query.column), Int64($0.query.row)] }, shape: [1, k, 2])
        var same = m.flatMap { [$0.same.x, $0.same.y] }
        if damage { same[2] += 2 }
        try g.write("same_pred_xy", float64: same, shape: [1, k, 2])
        try g.write("diff_pred_xy", float64: m.flatMap { [$0.different.x, $0.different.y] }, shape: [1, k, 2])
        try g.write("same_err", float64: m.map(\.sameError), shape: [1, k])
        try g.write("diff_err", float64: m.map(\.differentError), shape: [1, k])
        try g.write("mean_same_err", float64: [MatchingRules.mean(m.map(\.sameError))], shape: [])
        try g.write("mean_diff_err", float64: [MatchingRules.mean(m.map(\.differentError))], shape: [])
        try g.write("corr_top2_gap", float64: m.flatMap { [$0.same.top2Gap, $0.different.top2Gap] }, shape: [1, k, 2])

        let dense = try root.createGroup("dense_desc_match")
        try dense.setAttribute("upscale", .int64(3))
        let src = Tensor.normal(shape: [c, 4, 4], using: &rng), target = Tensor.normal(shape: [c, 4, 4], using: &rng)
        let image = Tensor.uniform(shape: [3, 12, 12], low: 0, high: 1, using: &rng)
        let match = try MatchingRules.denseDescriptorMatch(source: src, target: target, upscale: 3, linspace: .torch1_13)
        try dense.write("src", tensor: src)
        try dense.write("target", tensor: target)
        try dense.write("im_source", tensor: image)
        try dense.write("src_up", tensor: match.upsampledSource)
        try dense.write("target_up", tensor: match.upsampledTarget)
        try dense.write("maxidx", int64: match.bestSource.map(Int64.init), shape: [144])
        try dense.write("max_corr", float32: match.bestCorrelation, shape: [144])
        try dense.write("corr_top2_gap", float64: match.top2Gap, shape: [144])
        try dense.write("grid", tensor: match.grid)
        for mode in AlignCorners.allCases {
            try dense.write("im_warped_align_corners_\(mode == .true ? "true" : "false")",
                            tensor: GridSample.bilinear(image, grid: match.grid, alignCorners: mode))
        }
    }

    @Test func sizesComeFromTheFileAndDamageIsCaught() throws {
        let good = try verify { try Self.writeAlternativeSet($0, damage: false) }
        for check in good where check.outcome != .pass {
            Issue.record("\(check.name): \(check.outcome) \(check.detail ?? "")")
        }
        #expect(good.count == 12 + 8)
        let damaged = try verify { try Self.writeAlternativeSet($0, damage: true) }
        #expect(damaged.filter { $0.outcome == .fail }.map(\.name) == ["smallnet_protocol/same_pred_xy"])
    }

    @Test func evalWarpFilesLoadWithTheirItemCounts() throws {
        let table: [(String, String, Int, Int)] = [("mafl.h5", "mafl", 1000, 1000), ("aflw.h5", "aflw", 2991, 2990),
                                                   ("aflw_mtfl.h5", "aflw_mtfl", 2995, 2994), ("300w.h5", "300w", 689, 688)]
        var loaded: [String: EvaluationWarps] = [:]
        for (file, set, items, drawn) in table {
            let warps = try EvalWarpsFile.load(path: Self.evalWarps.appendingPathComponent(file).path)
            #expect(warps.name == file && warps.set == set)
            #expect(warps.itemsInSet == items && warps.count == drawn && warps.pairCount == drawn / 2)
            #expect(EvalWarpsFile.setFileNames[set] == file)
            loaded[set] = warps
        }
        let mafl = try #require(loaded["mafl"]), all = try #require(loaded["aflw_mtfl"])
        #expect(mafl.itemNames?.prefix(4) == ["000197.jpg", "000756.jpg", "000885.jpg", "000959.jpg"])
        #expect(loaded["300w"]?.itemNames == nil)
        // Every set is a prefix of one stream (README): item i gets the same warps in every set.
        for set in ["mafl", "aflw", "300w"] {
            let warps = try #require(loaded[set])
            #expect(warps.weights.indices.allSatisfy { warps.weights[$0] == all.weights[$0] }, "\(set)")
        }
        // Evaluation amplitudes: similarity parts close to the identity.
        let first = mafl.weights[0].first
        #expect(abs(first.scale - 1) < 0.3 && abs(first.rotation) < 0.3)
    }

    @Test func evalWarpErrorsNameTheFile() throws {
        let missing = Self.evalWarps.appendingPathComponent("nope.h5").path
        #expect { try EvalWarpsFile.load(path: missing) } throws: { error in
            guard case .unreadable(let file, _)? = error as? EvalWarpsFileError else { return false }
            return file == missing && "\(error)".contains("nope.h5")
        }
        let dir = try makeTemporaryDirectory("eval-warps")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bad.h5").path
        try HDF5File.write(to: path) { root in
            try root.setAttribute("set", .string("mafl"))
            try root.setAttribute("num_items_in_set", .int64(3))
            try root.setAttribute("num_items_drawn", .int64(2))
            try root.write("weights", float32: [Float](repeating: 0, count: 2 * 2 * 100 * 2), shape: [2, 2, 100, 2])
        }
        #expect(throws: EvalWarpsFileError.shape(file: path, dataset: "weights", expected: "[2, 2, 103, 2]", got: [2, 2, 100, 2])) {
            try EvalWarpsFile.load(path: path)
        }
    }

    /// SmallNet-16 (seeded random weights) on 4 synthetic items with the first four MAFL warps.
    @Test func smallNetEndToEndWithRecordedWarps() throws {
        let warps = try EvalWarpsFile.load(path: Self.evalWarps.appendingPathComponent("mafl.h5").path)
        let images = SyntheticImages.blobs(count: 4, size: 100, seed: 9)
        var rng = SeededGenerator(seed: 4)
        let source = InMemoryEvaluationSource(images.map { image in
            let kp = (0..<5).flatMap { _ in [Float(25 + 50 * rng.nextUniform()), Float(25 + 50 * rng.nextUniform())] }
            return EvaluationItem(image: image, keypoints: Tensor(shape: [5, 2], storage: kp))
        })
        let net = SmallNet(outputChannels: 16)
        var weights = SeededGenerator(seed: 1)
        net.initialize(using: &weights)
        let result = try ComputeThreads.withCount(2) {
            try MatchingProtocol.run(network: net, source: source, options: .smallNet(warps: warps))
        }
        #expect(result.warpSource == MatchingWarpSource.file("mafl.h5") && result.warpSource.isReferenceWarps)
        #expect(result.pairCount == 2 && result.keypointsPerPair == 5 && result.keypointCount == 10)
        #expect(result.descriptorShape == [16, 35, 35] && result.stride == 2 && result.errorScale == 1)
        #expect(result.sameIdentityError.isFinite && result.differentIdentityError.isFinite)
        #expect(result.sameErrors.count == 10 && result.sameErrors.allSatisfy { $0 >= 0 && $0 < 100 })
        #expect(result.timings.pairsPerSecond > 0)
    }
}
