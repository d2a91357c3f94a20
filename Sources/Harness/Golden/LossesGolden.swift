import HDF5
import Landmarks
import Tensors

/// `losses.h5`: recomputes `dense_correlation_loss` and `dense_correlation_loss_dve`, with and without
/// vector normalisation, from the stored `feats` and `grid`, and compares value and gradient with
/// the reference (golden README §6; tolerances §2). Every size (B, C, H, W, H_in, W_in, the stride)
/// and `pow` comes from the file, so a set generated with other sizes verifies the same way.
///
/// Our implementation is the folded formulation (explicit backward), so the `folded/…` groups are
/// checked against the same recomputed loss; the README says their values equal the autograd ones.
enum LossesGolden {
    static let loss = Tolerance.relative(1e-5)
    static let targetPixels = Tolerance.absolute(1e-4)

    /// Gradient tolerance per variant: float32 rounding is amplified ~100× by the ×20 normalisation
    /// followed by two softmaxes, so the normalised variants get looser bounds (README §2).
    static func gradient(exchange: Bool, normalize: Bool) -> Tolerance {
        switch (exchange, normalize) {
        case (_, false): .scaled(1e-4)
        case (false, true): .scaled(5e-4)
        case (true, true): .scaled(2e-3)
        }
    }

    static let variants: [(group: String, exchange: Bool)] = [
        ("dense_correlation_loss", false),
        ("dense_correlation_loss_dve", true),
    ]

    static func verify(_ file: HDF5File, _ fileName: String) -> [GoldenCheck] {
        let root = file.root
        var checks: [GoldenCheck] = []
        let feats: Tensor, grid: Tensor, pow: Double
        do {
            feats = try root.dataset("feats").readTensor()
            grid = try root.dataset("grid").readTensor()
            guard let p = try root.attribute("pow").doubleValue else {
                return [GoldenCheck(file: fileName, name: "pow", outcome: .fail, detail: "attribute pow is not a number")]
            }
            pow = p
        } catch {
            return [.failure(file: fileName, name: "inputs", error)]
        }
        checks.append(sizeCheck(root, feats: feats, grid: grid, fileName: fileName))

        do {
            let stored = try root.dataset("batch_grid_u")
            let h = feats.shape.count == 4 ? feats.shape[2] : 0, w = feats.shape.count == 4 ? feats.shape[3] : 0
            let got = try correlationTargetPixels(grid: grid, featureHeight: h, featureWidth: w)
            checks.append(compare("batch_grid_u", got, stored, targetPixels, fileName))
        } catch {
            checks.append(.failure(file: fileName, name: "batch_grid_u", error))
        }

        // Recomputed values, keyed by the group path below the loss name ("<loss>/normalize_<flag>"),
        // so the folded groups can reuse them.
        var values: [String: Double] = [:]
        for (name, exchange) in variants {
            for normalize in [false, true] {
                let path = "\(name)/normalize_\(normalize)"
                let options = CorrelationLossOptions(exchangeDescriptors: exchange, normalizeVectors: normalize, pow: Float(pow))
                let result: LossResult
                let group: HDF5Group
                do {
                    group = try root.group(path)
                    result = try denseCorrelationLoss(features: feats, grid: grid, options: options)
                } catch {
                    checks.append(.failure(file: fileName, name: path, error))
                    continue
                }
                values[path] = result.value
                for precision in ["f64", "f32"] {
                    record(&checks, "\(path)/loss_\(precision)", fileName) {
                        GoldenCheck(file: fileName, name: "\(path)/loss_\(precision)",
                                    comparison: loss.compare([result.value], try group.dataset("loss_\(precision)").readFloat64()))
                    }
                    record(&checks, "\(path)/grad_\(precision)", fileName) {
                        let dataset = try group.dataset("grad_\(precision)")
                        return compare("\(path)/grad_\(precision)", result.gradient, dataset,
                                       gradient(exchange: exchange, normalize: normalize), fileName)
                    }
                }
            }
        }
        checks += verifyFolded(root, values: values, fileName: fileName)
        return checks
    }

    /// `folded/<loss>/normalize_<flag>/loss_{f64,f32}` against our loss for the same variant.
    private static func verifyFolded(_ root: HDF5Group, values: [String: Double], fileName: String) -> [GoldenCheck] {
        var checks: [GoldenCheck] = []
        guard root.contains("folded") else {
            return [GoldenCheck(file: fileName, name: "folded", outcome: .fail, detail: "group folded is missing")]
        }
        do {
            let folded = try root.group("folded")
            for name in try folded.groupNames().sorted() {
                for flag in try folded.group(name).groupNames().sorted() {
                    let path = "\(name)/\(flag)"
                    guard let ours = values[path] else {
                        checks.append(GoldenCheck(file: fileName, name: "folded/\(path)", outcome: .fail,
                                                  detail: "no recomputed variant \(path) to compare with"))
                        continue
                    }
                    for precision in ["f64", "f32"] {
                        let check = "folded/\(path)/loss_\(precision)"
                        record(&checks, check, fileName) {
                            let stored = try folded.dataset("\(path)/loss_\(precision)").readFloat64()
                            return GoldenCheck(file: fileName, name: check, comparison: loss.compare([ours], stored))
                        }
                    }
                }
            }
        } catch {
            checks.append(.failure(file: fileName, name: "folded", error))
        }
        return checks
    }

    /// The root attributes agree with the stored arrays and with the reference's stride rule.
    private static func sizeCheck(_ root: HDF5Group, feats: Tensor, grid: Tensor, fileName: String) -> GoldenCheck {
        do {
            var stored: [Int64] = []
            for key in ["B", "C", "H", "W", "H_in", "W_in", "stride"] {
                stored.append(try root.attribute(key).intValue ?? -1)
            }
            let f = feats.shape, g = grid.shape
            guard f.count == 4, g.count == 4, f[2] > 0 else {
                return GoldenCheck(file: fileName, name: "sizes", outcome: .fail,
                                   detail: "feats \(f) is not (2B,C,H,W) or grid \(g) is not (B,H_in,W_in,2)")
            }
            let derived = [f[0] / 2, f[1], f[2], f[3], g[1], g[2], g[1] / f[2]].map(Int64.init)
            return .equality(file: fileName, name: "sizes (B, C, H, W, H_in, W_in, stride)", got: derived, expected: stored)
        } catch {
            return .failure(file: fileName, name: "sizes", error)
        }
    }

    private static func record(_ checks: inout [GoldenCheck], _ name: String, _ fileName: String,
                               _ body: () throws -> GoldenCheck) {
        do { checks.append(try body()) } catch { checks.append(.failure(file: fileName, name: name, error)) }
    }

    private static func compare(_ name: String, _ got: Tensor, _ reference: HDF5Dataset, _ tolerance: Tolerance,
                                _ fileName: String) -> GoldenCheck {
        guard reference.shape == got.shape else {
            return GoldenCheck(file: fileName, name: name, outcome: .fail, tolerance: tolerance.description,
                               detail: "shape \(got.shape) computed, reference has \(reference.shape)")
        }
        do {
            return GoldenCheck(file: fileName, name: name, comparison: tolerance.compare(got.storage, try reference.readFloat64()))
        } catch {
            return .failure(file: fileName, name: name, error)
        }
    }
}
