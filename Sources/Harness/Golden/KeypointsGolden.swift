import HDF5
import Landmarks
import Tensors

/// `keypoints.h5` (golden README §8): rebuilds `IntermediateKeypointPredictor` from the root attributes
/// and `weights/*`, and recomputes from `input` and `keypts` alone: the `linspace` axes, `intermediate`
/// and `pred` (against the float32 and the float64 run), `keypts_normalized`, `regression_loss` with its
/// gradients, the `params_without_grad` attribute and both `inter_ocular_error` groups. Every size comes
/// from the file. One check per stored dataset, plus the file's structural facts (keys, the
/// `descriptors` alias, the `linear.* → reg_conv` copy, the eye indices).
///
/// The axes use `Linspace.Variant.torch1_13`, the variant of the PyTorch that made the set (quirk Q9).
enum KeypointsGolden {
    static let output = Tolerance.scaled(1e-4)
    static let scalar = Tolerance.relative(1e-5)

    /// The root attributes, read and range-checked.
    private struct Sizes {
        var descriptorDimension: Int
        var annotatedPoints: Int
        var intermediatePoints: Int
        var softargmaxMultiplier: Float
        var alpha: Float
        var imageSize: Int

        static func read(_ root: HDF5Group) throws -> Sizes? {
            func integer(_ name: String) throws -> Int? {
                guard let v = try root.attribute(name).intValue, v > 0, v < 1 << 20 else { return nil }
                return Int(v)
            }
            func real(_ name: String) throws -> Float? {
                guard let v = try root.attribute(name).doubleValue, v.isFinite else { return nil }
                return Float(v)
            }
            guard let c = try integer("descriptor_dimension"), let nA = try integer("num_annotated_points"),
                  let nI = try integer("num_intermediate_points"), let mul = try real("softargmax_mul"),
                  let alpha = try real("alpha"), let size = try integer("image_size_for_normalisation") else { return nil }
            return Sizes(descriptorDimension: c, annotatedPoints: nA, intermediatePoints: nI,
                         softargmaxMultiplier: mul, alpha: alpha, imageSize: size)
        }
    }

    static func verify(_ file: HDF5File, _ fileName: String) -> [GoldenCheck] {
        let root = file.root
        var checks: [GoldenCheck] = []
        func record(_ name: String, _ body: () throws -> GoldenCheck) {
            do { checks.append(try body()) } catch { checks.append(.failure(file: fileName, name: name, error)) }
        }
        func compare(_ name: String, _ got: Tensor, _ dataset: String, _ tolerance: Tolerance) {
            record(name) {
                let reference = try root.dataset(dataset)
                guard reference.shape == got.shape else {
                    return GoldenCheck(file: fileName, name: name, outcome: .fail, tolerance: tolerance.description,
                                       detail: "shape \(got.shape) computed, reference has \(reference.shape)")
                }
                return GoldenCheck(file: fileName, name: name, comparison: tolerance.compare(got.storage, try reference.readFloat64()))
            }
        }

        let sizes: Sizes, regressor: IntermediateKeypointPredictor, input: Tensor, keys: [String]
        do {
            guard let s = try Sizes.read(root) else {
                return [GoldenCheck(file: fileName, name: "(root attributes)", outcome: .fail,
                                    detail: "descriptor_dimension, num_annotated_points, num_intermediate_points, image_size_for_normalisation must be positive integers; softargmax_mul and alpha finite numbers")]
            }
            sizes = s
            regressor = try IntermediateKeypointPredictor(
                descriptorDimension: s.descriptorDimension, annotatedPoints: s.annotatedPoints,
                intermediatePoints: s.intermediatePoints, softargmaxMultiplier: s.softargmaxMultiplier, linspace: .torch1_13)
            input = try root.dataset("input").readTensor()
            keys = try root.dataset("state_dict_keys").readStrings()
        } catch {
            return [.failure(file: fileName, name: "(inputs)", error)]
        }
        checks.append(.equality(file: fileName, name: "state_dict_keys", got: regressor.stateEntries.map(\.key), expected: keys))
        do {
            let weights = try root.group("weights").readStateDict(keys: keys)
            checks.append(.equality(file: fileName, name: "weights/descriptors (alias of inner_conv.weight)",
                                    got: IntermediateKeypointPredictor.aliasDivergence(in: weights), expected: 0))
            try regressor.load(weights, source: "\(file.path):/weights")
            try regressor.validate(input: input)
        } catch {
            checks.append(.failure(file: fileName, name: "weights", error))
            return checks
        }
        checks.append(.equality(file: fileName, name: "weights/reg_conv.weight (copy of linear.*)",
                                got: regressor.regressionWeight.value.storage,
                                expected: regressor.linearWeights.flatMap(\.value.storage)))

        let (h, w) = (input.shape[2], input.shape[3])
        let axes = regressor.coordinateAxes(height: h, width: w)
        compare("linspace_x", Tensor(shape: [w], storage: axes.xs), "linspace_x", .exact)
        compare("linspace_y", Tensor(shape: [h], storage: axes.ys), "linspace_y", .exact)

        let pred = regressor.forward(input, training: true)
        let intermediate = regressor.intermediate
        for suffix in ["", "_f64"] {
            compare("intermediate\(suffix)", intermediate, "intermediate\(suffix)", output)
            compare("pred\(suffix)", pred, "pred\(suffix)", output)
        }

        let targets: Tensor
        do {
            targets = try normalizedKeypoints(root.dataset("keypts").readTensor(), height: sizes.imageSize, width: sizes.imageSize)
        } catch {
            checks.append(.failure(file: fileName, name: "keypts_normalized", error))
            return checks
        }
        compare("keypts_normalized", targets, "keypts_normalized", .exact)
        checks += verifyLoss(root, regressor: regressor, pred: pred, targets: targets, alpha: sizes.alpha, fileName: fileName)
        for group in ["inter_ocular_error", "inter_ocular_error_68"] {
            checks += verifyInterOcular(root, group, fileName: fileName)
        }
        return checks
    }

    /// `regression_loss/`: the loss of our `pred` against the normalised keypoints, one backward, the
    /// two gradients against both runs, and the list of parameters left without a gradient.
    private static func verifyLoss(_ root: HDF5Group, regressor: IntermediateKeypointPredictor, pred: Tensor,
                                   targets: Tensor, alpha: Float, fileName: String) -> [GoldenCheck] {
        var checks: [GoldenCheck] = []
        let group: HDF5Group
        let loss: RegressionLossResult
        do {
            group = try root.group("regression_loss")
            loss = try regressionLoss(predictions: pred, targets: targets, alpha: alpha)
        } catch {
            return [.failure(file: fileName, name: "regression_loss", error)]
        }
        regressor.zeroGrad()
        _ = regressor.backward(loss.gradient)
        for name in ["loss", "loss_f64"] {
            do {
                checks.append(GoldenCheck(file: fileName, name: "regression_loss/\(name)",
                                          comparison: scalar.compare([loss.value], try group.dataset(name).readFloat64())))
            } catch {
                checks.append(.failure(file: fileName, name: "regression_loss/\(name)", error))
            }
        }
        let computed = ["inner_conv.weight": regressor.innerWeight.grad, "reg_conv.weight": regressor.regressionWeight.grad]
        for folder in ["grads", "grads_f64"] {
            for key in computed.keys.sorted() {
                let name = "regression_loss/\(folder)/\(key)"
                do {
                    let reference = try group.dataset("\(folder)/\(key)")
                    let got = computed[key]!
                    guard reference.shape == got.shape else {
                        checks.append(GoldenCheck(file: fileName, name: name, outcome: .fail,
                                                  detail: "shape \(got.shape) computed, reference has \(reference.shape)"))
                        continue
                    }
                    checks.append(GoldenCheck(file: fileName, name: name, comparison: output.compare(got.storage, try reference.readFloat64())))
                } catch {
                    checks.append(.failure(file: fileName, name: name, error))
                }
            }
        }
        do {
            let stored = try group.attribute("params_without_grad").stringValue ?? ""
            checks.append(.equality(file: fileName, name: "regression_loss/params_without_grad",
                                    got: regressor.parametersWithoutGradient,
                                    expected: stored.split(separator: ",").map(String.init)))
        } catch {
            checks.append(.failure(file: fileName, name: "regression_loss/params_without_grad", error))
        }
        return checks
    }

    /// `<group>/value` recomputed from `<group>/pred`, `<group>/gt` and the `eye_kp_idxs` attribute; the
    /// attribute must also be the reference's standard pair for that keypoint count.
    private static func verifyInterOcular(_ root: HDF5Group, _ name: String, fileName: String) -> [GoldenCheck] {
        do {
            let group = try root.group(name)
            guard let indices = try group.attribute("eye_kp_idxs").int64Array, indices.count == 2 else {
                return [GoldenCheck(file: fileName, name: "\(name)/eye_kp_idxs", outcome: .fail, detail: "not two integers")]
            }
            let eyes = EyeIndices(Int(indices[0]), Int(indices[1]))
            let gt = try group.dataset("gt").readTensor()
            let result = try interOcularError(predictions: group.dataset("pred").readTensor(), targets: gt, eyes: eyes)
            let standard = gt.rank == 3 ? EyeIndices.standard(forKeypointCount: gt.shape[1]) : nil
            return [
                .equality(file: fileName, name: "\(name)/eye_kp_idxs", got: standard, expected: eyes),
                GoldenCheck(file: fileName, name: "\(name)/value",
                            comparison: scalar.compare([result.value], try group.dataset("value").readFloat64())),
            ]
        } catch {
            return [.failure(file: fileName, name: name, error)]
        }
    }
}
