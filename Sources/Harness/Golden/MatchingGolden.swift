import HDF5
import Landmarks
import Tensors

/// `matching.h5`: reruns the per-batch arithmetic of `test_matching.py::evaluation` on the stored
/// descriptor maps and keypoints of every `*_protocol` group through `MatchingProtocol.evaluatePair`
/// (the code path of real runs), and `dense_desc_match` on the stored maps (golden README §9;
/// tolerances §2). Every size — batches, keypoints, C, H, W, imwidth, crop, cropped width, upscale —
/// is read from the file, so a set generated with other sizes verifies the same way.
enum MatchingGolden {
    /// Per-keypoint errors and their means (float64 on both sides).
    static let errors = Tolerance.relative(1e-12)
    /// Upsampled maps and the best dense correlations (float32 sums in another order).
    static let upsampled = Tolerance.scaled(1e-6)
    static let grid = Tolerance.absolute(1e-6)
    static let warpedImage = Tolerance.absolute(1e-5)
    /// `corr_top2_gap`: argmax margins, differences of float32 correlations (not in the README table:
    /// a derived diagnostic, checked loosely).
    static let margin = Tolerance.scaled(1e-4)
    /// `tps_grid` in the dense match comes from PyTorch 1.13's linspace, which made the golden files.
    static let linspace = Linspace.Variant.torch1_13

    struct FileProblem: Error, CustomStringConvertible {
        var description: String
    }

    static func verify(_ file: HDF5File, _ fileName: String) -> [GoldenCheck] {
        let root = file.root
        let groups: [String]
        do { groups = try root.groupNames().filter { $0.hasSuffix("_protocol") }.sorted() } catch {
            return [.failure(file: fileName, name: "(groups)", error)]
        }
        var checks: [GoldenCheck] = []
        if groups.isEmpty {
            checks.append(GoldenCheck(file: fileName, name: "*_protocol", outcome: .fail, detail: "no protocol groups in the file"))
        }
        for group in groups { checks += verifyProtocol(root, group: group, fileName: fileName) }
        if root.contains("dense_desc_match") {
            checks += verifyDense(root, fileName: fileName)
        } else {
            checks.append(GoldenCheck(file: fileName, name: "dense_desc_match", outcome: .fail, detail: "group missing"))
        }
        return checks
    }

    /// A non-negative integer attribute of `object` (at most 2^20).
    static func int(_ object: some HDF5Object, _ name: String) throws -> Int {
        guard let v = try object.attribute(name).intValue, v >= 0, v <= 1 << 20 else {
            throw FileProblem(description: "\(object.path) attribute \(name) is not an integer in 0…2^20")
        }
        return Int(v)
    }

    static func compare(_ root: HDF5Group, _ name: String, _ got: [Double], _ tolerance: Tolerance, _ fileName: String,
                        detail: String? = nil) -> GoldenCheck {
        do {
            let dataset = try root.dataset(name)
            guard dataset.elementCount == got.count else {
                return GoldenCheck(file: fileName, name: name, outcome: .fail, tolerance: tolerance.description,
                                   detail: "\(got.count) values computed, reference shape \(dataset.shape)")
            }
            let reference = dataset.elementType.isInteger ? try dataset.readInt64().map(Double.init) : try dataset.readFloat64()
            return GoldenCheck(file: fileName, name: name, comparison: tolerance.compare(got, reference), detail: detail)
        } catch {
            return .failure(file: fileName, name: name, error)
        }
    }

    static func verifyProtocol(_ root: HDF5Group, group path: String, fileName: String) -> [GoldenCheck] {
        let group: HDF5Group
        let (imwidth, crop, cropped, channels, height, width, batches, keypoints, halfway): (Int, Int, Int, Int, Int, Int, Int, Int, Int)
        let storedStride: Double
        let descs, kp1, kp2: Tensor
        do {
            group = try root.group(path)
            (imwidth, crop, cropped) = (try int(group, "imwidth"), try int(group, "crop"), try int(group, "image_width_after_crop"))
            (channels, height, width) = (try int(group, "C"), try int(group, "H"), try int(group, "W"))
            (batches, keypoints) = (try int(group, "num_batches"), try int(group, "num_keypoints"))
            halfway = try int(group, "num_half_way_roundings")
            guard let s = try group.attribute("stride").doubleValue else {
                throw FileProblem(description: "\(path) attribute stride is not a number")
            }
            storedStride = s
            descs = try group.dataset("descs").readTensor()
            kp1 = try group.dataset("kp1").readTensor()
            kp2 = try group.dataset("kp2").readTensor()
        } catch {
            return [.failure(file: fileName, name: "\(path)/inputs", error)]
        }
        var checks: [GoldenCheck] = []
        let stride = Double(cropped) / Double(max(width, 1))
        let sizesName = "\(path)/sizes (num_batches, C, H, W, num_keypoints, imwidth − 2·crop, stride)"
        let fromArrays: [Double] = [descs.shape.first, descs.shape.dropFirst(2).first, descs.shape.dropFirst(3).first,
                                    descs.shape.last, kp1.shape.dropFirst(2).first].map { Double($0 ?? -1) }
            + [Double(imwidth - 2 * crop), stride]
        checks.append(.equality(file: fileName, name: sizesName, got: fromArrays,
                                expected: [batches, channels, height, width, keypoints, cropped].map(Double.init) + [storedStride]))
        let kpShape = [batches, 2, keypoints, 2]
        guard descs.shape == [batches, 4, channels, height, width], kp1.shape == kpShape, kp2.shape == kpShape, width > 0 else {
            checks.append(GoldenCheck(file: fileName, name: "\(path)/shapes", outcome: .fail,
                                      detail: "descs \(descs.shape), kp1 \(kp1.shape), kp2 \(kp2.shape) do not match the attributes"))
            return checks
        }

        var pairs: [MatchedPair] = []
        do {
            let all = descs.reshaped([batches * 4, channels, height, width])
            let k2 = keypoints * 2
            func points(_ t: Tensor, _ b: Int, _ item: Int) -> [Float] {
                Array(t.storage[(2 * b + item) * k2 ..< (2 * b + item + 1) * k2])
            }
            for b in 0..<batches {
                let maps = try [0, 1, 3].map { i throws in try DescriptorMap(batch: all, index: 4 * b + i) }
                pairs.append(try MatchingProtocol.evaluatePair(
                    source: maps[0], same: maps[1], different: maps[2], sourceKeypoints: points(kp1, b, 0),
                    sameKeypoints: points(kp2, b, 0), differentKeypoints: points(kp2, b, 1), stride: stride,
                    errorScale: MatchingRules.errorScale(imageWidth: imwidth, crop: crop), sourceItem: 2 * b))
            }
        } catch {
            checks.append(.failure(file: fileName, name: "\(path)/evaluatePair", error))
            return checks
        }
        let matched = pairs.flatMap(\.keypoints)
        let queries = matched.map(\.query)
        let halfwayCount = queries.reduce(0) { n, q in
            n + [q.xOverStride, q.yOverStride].filter { $0 - $0.rounded(.down) == 0.5 }.count
        }
        checks.append(.equality(file: fileName, name: "\(path)/num_half_way_roundings", got: halfwayCount, expected: halfway))
        checks.append(compare(group, "query_x_over_stride", queries.map(\.xOverStride), .exact, fileName).named(path))
        checks.append(compare(group, "query_y_over_stride", queries.map(\.yOverStride), .exact, fileName).named(path))
        checks.append(compare(group, "query_xy_index", queries.flatMap { [Double($0.column), Double($0.row)] }, .exact, fileName).named(path))
        checks.append(compare(group, "same_pred_xy", matched.flatMap { [$0.same.x, $0.same.y] }, .exact, fileName).named(path))
        checks.append(compare(group, "diff_pred_xy", matched.flatMap { [$0.different.x, $0.different.y] }, .exact, fileName).named(path))
        let same = matched.map(\.sameError), different = matched.map(\.differentError)
        checks.append(compare(group, "same_err", same, errors, fileName).named(path))
        checks.append(compare(group, "diff_err", different, errors, fileName).named(path))
        checks.append(compare(group, "mean_same_err", [MatchingRules.mean(same)], errors, fileName).named(path))
        checks.append(compare(group, "mean_diff_err", [MatchingRules.mean(different)], errors, fileName).named(path))
        checks.append(compare(group, "corr_top2_gap", matched.flatMap { [$0.same.top2Gap, $0.different.top2Gap] }, margin,
                              fileName).named(path))
        return checks
    }

    static func verifyDense(_ root: HDF5Group, fileName: String) -> [GoldenCheck] {
        let path = "dense_desc_match"
        let group: HDF5Group
        let match: DenseDescriptorMatch
        let image: Tensor
        do {
            group = try root.group(path)
            let upscale = try int(group, "upscale")
            image = try group.dataset("im_source").readTensor()
            match = try MatchingRules.denseDescriptorMatch(source: group.dataset("src").readTensor(),
                                                           target: group.dataset("target").readTensor(),
                                                           upscale: upscale, linspace: linspace)
        } catch {
            return [.failure(file: fileName, name: "\(path)/inputs", error)]
        }
        func doubles(_ t: Tensor) -> [Double] { t.storage.map(Double.init) }
        var checks = [
            compare(group, "src_up", doubles(match.upsampledSource), upsampled, fileName),
            compare(group, "target_up", doubles(match.upsampledTarget), upsampled, fileName),
            compare(group, "maxidx", match.bestSource.map(Double.init), .exact, fileName),
            compare(group, "max_corr", match.bestCorrelation.map(Double.init), upsampled, fileName),
            compare(group, "corr_top2_gap", match.top2Gap, margin, fileName),
            compare(group, "grid", doubles(match.grid), grid, fileName),
        ].map { $0.named(path) }
        for mode in AlignCorners.allCases {
            let name = "im_warped_align_corners_\(mode == .true ? "true" : "false")"
            do {
                let warped = try match.warpedSource(image, alignCorners: mode)
                checks.append(compare(group, name, doubles(warped), warpedImage, fileName).named(path))
            } catch {
                checks.append(.failure(file: fileName, name: "\(path)/\(name)", error))
            }
        }
        return checks
    }
}

private extension GoldenCheck {
    /// The check under `<group>/<dataset>` (the comparison helpers name it by dataset only).
    func named(_ group: String) -> GoldenCheck {
        var copy = self
        copy.name = "\(group)/\(name)"
        return copy
    }
}
