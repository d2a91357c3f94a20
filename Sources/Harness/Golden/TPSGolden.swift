import HDF5
import Landmarks
import Tensors

/// `tps.h5`: rebuilds the reference `Warper` from the file's root attributes (`H`, `W`, `crop`) and
/// `inputs/*` (image, keypoints and the two injected weight matrices), runs it in both `align_corners`
/// modes and compares every stored dataset. Tolerances are the golden README's (section 2); the
/// linspace, tps_grid and pixel-coordinate bit patterns are compared exactly, because they are what
/// the 1.13 linspace variant claims to reproduce.
enum TPSGolden {
    /// `grid1`, `grid2`, `outputs/grid` and the other normalised quantities (basis matrices included).
    static let grid = Tolerance.absolute(1e-5)
    /// `flow`, `grid1_unnormalized`, keypoints: pixels.
    static let pixels = Tolerance.absolute(1e-4)
    /// `im1`, `im2` on the 0–255 scale.
    static let image = Tolerance.absolute(2e-3)
    /// `data` (normalised), away from the uint8 truncation flips.
    static let data = Tolerance.absolute(1e-5)
    /// A computed float within this of an integer may truncate to the neighbouring byte.
    static let integerBoundary: Float = 1e-3
    static let boundaryCountAttribute = "num_values_within_1e-3_of_an_integer_boundary"

    /// The linspace variant that made the golden files (README quirk Q9).
    static let linspace = Linspace.Variant.torch1_13

    struct AttributeError: Error, CustomStringConvertible {
        var name: String
        var problem: String
        var description: String { "root attribute \(name): \(problem)" }
    }

    static func verify(_ file: HDF5File, _ fileName: String) -> [GoldenCheck] {
        let root = file.root
        var checks: [GoldenCheck] = []
        func record(_ name: String, _ body: () throws -> GoldenCheck) {
            do { checks.append(try body()) } catch { checks.append(.failure(file: fileName, name: name, error)) }
        }
        func compare(_ name: String, _ got: Tensor, _ tolerance: Tolerance) {
            record(name) {
                let ref = try root.dataset(name).readTensor()
                guard ref.shape == got.shape else {
                    return GoldenCheck(file: fileName, name: name, outcome: .fail, tolerance: tolerance.description,
                                       detail: "shape \(got.shape) computed, reference has \(ref.shape)")
                }
                return GoldenCheck(file: fileName, name: name, comparison: tolerance.compare(got.storage, ref.storage))
            }
        }

        let (h, w, crop): (Int, Int, Int)
        let inputImage, keypoints: Tensor
        let weights: (first: TPSWeights, second: TPSWeights)
        let warpers: [(group: String, warper: Warper)]
        do {
            h = try intAttribute(root, "H")
            w = try intAttribute(root, "W")
            crop = try intAttribute(root, "crop")
            inputImage = try root.dataset("inputs/image").readTensor()
            keypoints = try root.dataset("inputs/keypoints").readTensor()
            weights = (try TPSWeights(root.dataset("inputs/weights1").readTensor()),
                       try TPSWeights(root.dataset("inputs/weights2").readTensor()))
            warpers = try AlignCorners.allCases.map { mode throws in
                ("align_corners_\(mode == .true ? "true" : "false")",
                 try Warper(height: h, width: w, linspace: linspace, alignCorners: mode))
            }
        } catch {
            return [.failure(file: fileName, name: "inputs", error)]
        }
        let basis = warpers[0].warper.basis

        record("inputs/image") {
            // The dataset's `to_tensor(pil) * 255`: (u8 / 255) · 255 in float32, not always an integer.
            let bytes = try root.dataset("inputs/image_uint8").readUInt8()
            let expected = bytes.map { (Float($0) / 255) * 255 }
            return GoldenCheck(file: fileName, name: "inputs/image (= image_uint8/255·255)",
                               comparison: Tolerance.exact.compare(inputImage.storage, expected))
        }
        compare("grid_ctrlpts", Tensor(shape: [100, 2], storage: basis.controlPoints), .exact)
        compare("grid_pixels", Tensor(shape: [h * w, 2], storage: basis.pixels), .exact)
        compare("pixel_coords_unnormalized_x", Tensor(shape: [w], storage: (0..<w).map { basis.pixelsUnnormalized[2 * $0] }), .exact)
        compare("pixel_coords_unnormalized_y", Tensor(shape: [h], storage: (0..<h).map { basis.pixelsUnnormalized[2 * $0 * w + 1] }), .exact)
        compare("U_ctrlpts", Tensor(shape: [100, 100], storage: basis.controlPointBasis), grid)
        record("F_rows") {
            let rows = try root.dataset("F_rows_index").readInt64()
            if let bad = rows.first(where: { $0 < 0 || $0 >= Int64(h * w) }) {
                return GoldenCheck(file: fileName, name: "F_rows", outcome: .fail, detail: "F_rows_index \(bad) outside 0..<\(h * w)")
            }
            let got = rows.flatMap { basis.design[Int($0) * TPSBasis.columns ..< (Int($0) + 1) * TPSBasis.columns] }
            let ref = try root.dataset("F_rows").readTensor()
            guard ref.shape == [rows.count, TPSBasis.columns] else {
                return GoldenCheck(file: fileName, name: "F_rows", outcome: .fail,
                                   detail: "reference shape \(ref.shape), expected [\(rows.count), \(TPSBasis.columns)]")
            }
            return GoldenCheck(file: fileName, name: "F_rows", comparison: grid.compare(got, ref.storage),
                               detail: "rows \(rows.map(String.init).joined(separator: ","))")
        }

        let pairs: [(group: String, pair: WarpedPair)]
        do {
            pairs = try warpers.map { g, warper in
                (g, try warper.warp(inputImage, keypoints: keypoints, crop: crop, weights: weights))
            }
        } catch {
            checks.append(.failure(file: fileName, name: "Warper", error))
            return checks
        }
        let pair = pairs[0].pair
        compare("grid1", pair.grid1, grid)
        compare("grid2", pair.grid2, grid)
        record("grid1_unnormalized") {
            let got = try WarpCoordinates.gridUnnormalize(pair.grid1, height: h, width: w)
            let ref = try root.dataset("grid1_unnormalized").readTensor()
            return GoldenCheck(file: fileName, name: "grid1_unnormalized", comparison: pixels.compare(got.storage, ref.storage))
        }
        compare("outputs/flow", pair.flow, pixels)
        compare("outputs/grid", pair.grid, grid)
        compare("outputs/kp1", pair.kp1 ?? .empty, pixels)
        compare("outputs/kp2", pair.kp2 ?? .empty, pixels)
        compare("outputs/kp_after_first_warp_uncropped", pair.kp2Uncropped ?? .empty, pixels)
        record("outputs/kp1_normalized") {
            let got = try WarpCoordinates.kpNormalize(height: h - 2 * crop, width: w - 2 * crop, pair.kp1 ?? .empty)
            let ref = try root.dataset("outputs/kp1_normalized").readTensor()
            return GoldenCheck(file: fileName, name: "outputs/kp1_normalized", comparison: grid.compare(got.storage, ref.storage))
        }

        for (group, pair) in pairs {
            guard root.contains(group) else {
                checks.append(GoldenCheck(file: fileName, name: group, outcome: .fail, detail: "group missing"))
                continue
            }
            compare("\(group)/im1", pair.im1, image)
            compare("\(group)/im2", pair.im2, image)
            checks += verifyData(root, group: group, pair: pair, fileName: fileName)
        }
        checks += verifyLinspace(root, fileName: fileName)
        return checks
    }

    /// `data_uint8`: exact, except ±1 where our float lies within 1e-3 of an integer (the stored count
    /// attribute bounds how many); `data`: abs(1e-5) on every other element.
    static func verifyData(_ root: HDF5Group, group: String, pair: WarpedPair, fileName: String) -> [GoldenCheck] {
        let floats = pair.im1.storage + pair.im2.storage
        let ours: (bytes: [UInt8], data: Tensor)
        let refBytes: [UInt8], refData: [Float], limit: Int64
        do {
            ours = try pair.datasetData()
            let bytesSet = try root.dataset("\(group)/data_uint8")
            guard bytesSet.shape == [2] + pair.im1.shape else {
                return [GoldenCheck(file: fileName, name: "\(group)/data_uint8", outcome: .fail,
                                    detail: "reference shape \(bytesSet.shape), computed [2] + \(pair.im1.shape)")]
            }
            refBytes = try bytesSet.readUInt8()
            refData = try root.dataset("\(group)/data").readFloat32()
            limit = try bytesSet.hasAttribute(boundaryCountAttribute) ? bytesSet.attribute(boundaryCountAttribute).intValue ?? 0 : 0
        } catch {
            return [.failure(file: fileName, name: "\(group)/data_uint8", error)]
        }
        var flips = Set<Int>(), unexplained = 0, maxDiff = 0
        for i in refBytes.indices where refBytes[i] != ours.bytes[i] {
            let diff = abs(Int(refBytes[i]) - Int(ours.bytes[i]))
            maxDiff = max(maxDiff, diff)
            if diff == 1, abs(floats[i] - floats[i].rounded()) <= integerBoundary { flips.insert(i) } else { unexplained += 1 }
        }
        let bytesOK = unexplained == 0 && flips.count <= limit
        let bytesCheck = GoldenCheck(file: fileName, name: "\(group)/data_uint8", outcome: bytesOK ? .pass : .fail,
                                     tolerance: "exact except ±1 within \(integerBoundary) of an integer", maxAbsError: Double(maxDiff),
                                     detail: "\(flips.count) boundary flips (file allows \(limit)), \(unexplained) other differences")
        guard refData.count == ours.data.count else {
            return [bytesCheck, GoldenCheck(file: fileName, name: "\(group)/data", outcome: .fail,
                                            detail: "reference has \(refData.count) values, computed \(ours.data.count)")]
        }
        let keep = refData.indices.filter { !flips.contains($0) }
        let comparison = data.compare(keep.map { ours.data.storage[$0] }, keep.map { refData[$0] })
        return [bytesCheck, GoldenCheck(file: fileName, name: "\(group)/data", comparison: comparison,
                                        detail: "excluding the \(flips.count) boundary flips")]
    }

    /// `linspace/{torch1_13,torch1_1,pixels_torch1_13,pixels_torch1_1}_W<n>`, bit for bit.
    static func verifyLinspace(_ root: HDF5Group, fileName: String) -> [GoldenCheck] {
        let names: [String]
        do { names = try root.group("linspace").datasetNames() } catch { return [.failure(file: fileName, name: "linspace", error)] }
        if names.isEmpty { return [GoldenCheck(file: fileName, name: "linspace", outcome: .fail, detail: "no datasets")] }
        return names.map { name in
            let check = "linspace/\(name)"
            var rest = Substring(name)
            let isPixels = rest.hasPrefix("pixels_")
            if isPixels { rest = rest.dropFirst("pixels_".count) }
            let variant: Linspace.Variant
            if rest.hasPrefix("torch1_13_W") { variant = .torch1_13; rest = rest.dropFirst("torch1_13_W".count) }
            else if rest.hasPrefix("torch1_1_W") { variant = .torch1_1; rest = rest.dropFirst("torch1_1_W".count) }
            else { return GoldenCheck(file: fileName, name: check, outcome: .fail, detail: "unrecognised linspace dataset name") }
            guard let n = Int(rest), n >= 2, n <= 1 << 16 else {
                return GoldenCheck(file: fileName, name: check, outcome: .fail, detail: "size \(rest) is not an integer in 2…65536")
            }
            do {
                var got = Tensor(shape: [n], storage: Linspace.values(from: -1, to: 1, count: n, variant: variant))
                if isPixels {
                    // grid_unnormalize of a 1-D row: the x formula with width n.
                    got = try WarpCoordinates.gridUnnormalize(Tensor(shape: [n, 2], storage: got.storage.flatMap { [$0, $0] }),
                                                              height: n, width: n)
                    got = Tensor(shape: [n], storage: stride(from: 0, to: 2 * n, by: 2).map { got.storage[$0] })
                }
                let ref = try root.dataset(check).readTensor()
                guard ref.shape == [n] else {
                    return GoldenCheck(file: fileName, name: check, outcome: .fail, detail: "reference shape \(ref.shape), expected [\(n)]")
                }
                return GoldenCheck(file: fileName, name: check, comparison: Tolerance.exact.compare(got.storage, ref.storage))
            } catch {
                return .failure(file: fileName, name: check, error)
            }
        }
    }

    static func intAttribute(_ root: HDF5Group, _ name: String) throws -> Int {
        guard let v = try root.attribute(name).intValue else { throw AttributeError(name: name, problem: "not an integer") }
        guard v >= 0, v <= 1 << 14 else { throw AttributeError(name: name, problem: "\(v) outside 0…16384") }
        return Int(v)
    }
}
