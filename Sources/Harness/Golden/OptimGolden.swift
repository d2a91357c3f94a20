import HDF5
import Tensors

/// `optim.h5`: recomputes every stored optimiser trajectory and learning rate from the inputs `param0`
/// `(n,)` and `grads` `(steps, n)` and the root attributes `lr`, `betas`, `eps` (golden README §10):
///
/// - `adam_torch<major>_<minor>/wd_<decay>`: Adam (amsgrad) with the formula of that PyTorch release
///   and the weight decay parsed from the group name (cross-checked with its `weight_decay`
///   attribute); `params`/`params_f64` at abs(1e-6), `moments`/`moments_f64` at scaled(1e-5) — each of
///   `exp_avg`, `exp_avg_sq`, `max_exp_avg_sq` against its own scale, the worst one reported.
/// - `lr_schedule`: the schedule of its attributes (`base_lr`, `milestones`, `gamma`) in the modern
///   per-iteration convention (`per_iteration`) and the reference trainer's (`trainer_per_epoch`, Q11),
///   at rel(1e-12).
/// - `adam_bias_lr_groups/torch<major>_<minor>`: the `bias_lr` arrangement (Q12): `param0[:nw]` at `lr`,
///   `param0[nw:]` at `bias_lr`, one Adam step per epoch with the trainer-convention schedule of the
///   group's attributes; `nw` is the width of the stored `weights`.
///
/// Sizes (n, steps, nw, schedule lengths) come from the file. One check per stored dataset; groups or
/// datasets this verifier does not know are reported as not covered.
enum OptimGolden {
    static let parameters = Tolerance.absolute(1e-6)
    static let moments = Tolerance.scaled(1e-5)
    static let rates = Tolerance.relative(1e-12)

    /// The shared inputs of the file.
    struct Inputs {
        var param0: [Float]
        /// One row of n gradients per step.
        var grads: [[Float]]
        var learningRate: Double
        var configuration: AdamConfiguration
        var n: Int { param0.count }
    }

    static func verify(_ file: HDF5File, _ fileName: String) -> [GoldenCheck] {
        let root = file.root
        let inputs: Inputs
        var checks: [GoldenCheck] = []
        do {
            inputs = try readInputs(root)
        } catch {
            return [.failure(file: fileName, name: "(inputs)", error)]
        }
        do {
            for name in try root.datasetNames() where name != "param0" && name != "grads" {
                checks.append(GoldenCheck(file: fileName, name: name, outcome: .notCovered, tolerance: "-",
                                          detail: "no recomputation known for a root dataset \(name)"))
            }
            for name in try root.groupNames() {
                let group = try root.group(name)
                if name == "lr_schedule" {
                    checks += verifySchedule(group, fileName: fileName)
                } else if name == "adam_bias_lr_groups" {
                    checks += verifyBiasGroups(group, inputs: inputs, fileName: fileName)
                } else if name.hasPrefix("adam_torch") {
                    checks += verifyAdam(group, version: String(name.dropFirst("adam_torch".count)), inputs: inputs, fileName: fileName)
                } else {
                    checks.append(GoldenCheck(file: fileName, name: name, outcome: .notCovered, tolerance: "-",
                                              detail: "no recomputation known for group \(name)"))
                }
            }
        } catch {
            checks.append(.failure(file: fileName, name: "(groups)", error))
        }
        return checks
    }

    static func readInputs(_ root: HDF5Group) throws -> Inputs {
        let param0 = try root.dataset("param0")
        let grads = try root.dataset("grads")
        guard param0.shape.count == 1, grads.shape.count == 2, grads.shape[1] == param0.shape[0], grads.shape[0] >= 1 else {
            throw OptimGoldenInputError("param0 has shape \(param0.shape) and grads \(grads.shape); expected (n,) and (steps, n)")
        }
        let n = param0.shape[0]
        let flat = try grads.readFloat32()
        let rows = (0..<grads.shape[0]).map { Array(flat[($0 * n)..<(($0 + 1) * n)]) }
        let betas = try root.attribute("betas").doubleArray ?? []
        guard betas.count == 2 else { throw OptimGoldenInputError("attribute betas holds \(betas), expected two numbers") }
        let configuration = AdamConfiguration(beta1: betas[0], beta2: betas[1], eps: try number(root, "eps"))
        try configuration.validate()
        return Inputs(param0: try param0.readFloat32(), grads: rows, learningRate: try number(root, "lr"),
                      configuration: configuration)
    }

    // MARK: Adam trajectories

    /// Parameters (steps·n) and moments (steps·3·n: exp_avg, exp_avg_sq, max_exp_avg_sq per step) of
    /// plain single-group Adam over every gradient row.
    static func trajectory(_ inputs: Inputs, formula: AdamFormula, weightDecay: Double) throws -> (params: [Float], moments: [Float]) {
        var configuration = inputs.configuration
        configuration.formula = formula
        let parameter = Parameter(Tensor(shape: [inputs.n], storage: inputs.param0))
        let adam = try Adam(parameters: [("p", parameter)], learningRate: inputs.learningRate,
                            weightDecay: weightDecay, configuration: configuration)
        var params: [Float] = [], moments: [Float] = []
        for row in inputs.grads {
            parameter.grad = Tensor(shape: [inputs.n], storage: row)
            try adam.step()
            params += parameter.value.storage
            guard let state = adam.state(forKey: "p") else { throw OptimGoldenInputError("Adam kept no state") }
            moments += state.expAvg + state.expAvgSq + (state.maxExpAvgSq ?? [])
        }
        return (params, moments)
    }

    static func verifyAdam(_ family: HDF5Group, version: String, inputs: Inputs, fileName: String) -> [GoldenCheck] {
        guard let formula = AdamFormula(pytorchVersion: version) else {
            return [GoldenCheck(file: fileName, name: family.path, outcome: .fail,
                                detail: "cannot read a PyTorch version from the group name (\(version))")]
        }
        let base = String(family.path.drop(while: { $0 == "/" }))
        var checks: [GoldenCheck] = []
        let names: [String]
        do { names = try family.groupNames() } catch { return [.failure(file: fileName, name: base, error)] }
        for name in names {
            let path = "\(base)/\(name)"
            do {
                let group = try family.group(name)
                guard name.hasPrefix("wd_"), let decay = Double(name.dropFirst(3)), decay >= 0 else {
                    checks.append(GoldenCheck(file: fileName, name: path, outcome: .notCovered, tolerance: "-",
                                              detail: "group name is not wd_<weight decay>"))
                    continue
                }
                if try group.hasAttribute("weight_decay") {
                    let stored = try number(group, "weight_decay")
                    if stored != decay {
                        checks.append(.equality(file: fileName, name: "\(path)/weight_decay", got: decay, expected: stored))
                    }
                }
                let run = try trajectory(inputs, formula: formula, weightDecay: decay)
                var note: String?
                if formula == .pytorch1_1, try group.hasAttribute("max_abs_diff_vs_torch1_13") {
                    let other = try trajectory(inputs, formula: .pytorch1_13, weightDecay: decay)
                    let ours = zip(run.params, other.params).map { Double(abs($0 - $1)) }.max() ?? 0
                    note = "max |1.1 − 1.13| \(ours) (file: \(try number(group, "max_abs_diff_vs_torch1_13")))"
                }
                for dataset in try group.datasetNames() {
                    let check = "\(path)/\(dataset)"
                    let reference = try group.dataset(dataset)
                    let steps = inputs.grads.count, n = inputs.n
                    switch dataset {
                    case "params", "params_f64":
                        checks.append(try compare(check, run.params, reference, shape: [steps, n], parameters, fileName, note: note))
                    case "moments", "moments_f64":
                        checks.append(try compareMoments(check, run.moments, reference, steps: steps, n: n, fileName))
                    default:
                        checks.append(GoldenCheck(file: fileName, name: check, outcome: .notCovered, tolerance: "-",
                                                  detail: "no recomputation known for \(dataset)"))
                    }
                }
            } catch {
                checks.append(.failure(file: fileName, name: path, error))
            }
        }
        return checks
    }

    // MARK: Schedules

    static func schedule(_ group: HDF5Group) throws -> LearningRateSchedule {
        let milestones = try group.attribute("milestones").int64Array ?? []
        return try .multiStep(milestones: milestones.map { Int(clamping: $0) }, gamma: try number(group, "gamma"))
    }

    static func verifySchedule(_ group: HDF5Group, fileName: String) -> [GoldenCheck] {
        let base = String(group.path.drop(while: { $0 == "/" }))
        let schedule: LearningRateSchedule
        let baseRate: Double
        do {
            schedule = try Self.schedule(group)
            baseRate = try number(group, "base_lr")
        } catch {
            return [.failure(file: fileName, name: base, error)]
        }
        var checks: [GoldenCheck] = []
        do {
            for name in try group.datasetNames() {
                let check = "\(base)/\(name)"
                do {
                    let reference = try group.dataset(name)
                    let count = reference.shape.first ?? 0
                    switch name {
                    case "per_iteration":
                        var scheduler = LearningRateScheduler(schedule: schedule, baseRates: [baseRate])
                        var got: [Double] = []
                        for _ in 0..<count { got.append(scheduler.rates[0]); scheduler.step() }
                        checks.append(try compare(check, got, reference, shape: [count], rates, fileName,
                                                  note: "\(schedule), scheduler.step() after each iteration"))
                    case "trainer_per_epoch":
                        let got = (0..<count).map { schedule.learningRate(forEpoch: $0 + 1, base: baseRate) }
                        checks.append(try compare(check, got, reference, shape: [count], rates, fileName,
                                                  note: "\(schedule), epochs 1–\(count) with step(epoch − 1) after each"))
                    default:
                        checks.append(GoldenCheck(file: fileName, name: check, outcome: .notCovered, tolerance: "-",
                                                  detail: "no recomputation known for \(name)"))
                    }
                } catch {
                    checks.append(.failure(file: fileName, name: check, error))
                }
            }
        } catch {
            checks.append(.failure(file: fileName, name: base, error))
        }
        return checks
    }

    // MARK: bias_lr groups

    static func verifyBiasGroups(_ family: HDF5Group, inputs: Inputs, fileName: String) -> [GoldenCheck] {
        let base = String(family.path.drop(while: { $0 == "/" }))
        let schedule: LearningRateSchedule
        let learningRate: Double, biasLearningRate: Double, weightDecay: Double
        let names: [String]
        do {
            schedule = try Self.schedule(family)
            learningRate = try family.hasAttribute("lr") ? try number(family, "lr") : inputs.learningRate
            biasLearningRate = try number(family, "bias_lr")
            weightDecay = try family.hasAttribute("weight_decay") ? try number(family, "weight_decay") : 0
            names = try family.groupNames()
        } catch {
            return [.failure(file: fileName, name: base, error)]
        }
        var checks: [GoldenCheck] = []
        for name in names {
            let path = "\(base)/\(name)"
            guard name.hasPrefix("torch"), let formula = AdamFormula(pytorchVersion: String(name.dropFirst(5))) else {
                checks.append(GoldenCheck(file: fileName, name: path, outcome: .notCovered, tolerance: "-",
                                          detail: "group name is not torch<major>_<minor>"))
                continue
            }
            do {
                let group = try family.group(name)
                let stored = try group.dataset("weights")
                guard stored.shape.count == 2, stored.shape[1] <= inputs.n, stored.shape[0] <= inputs.grads.count else {
                    throw OptimGoldenInputError("weights has shape \(stored.shape); expected (epochs ≤ \(inputs.grads.count), nw ≤ \(inputs.n))")
                }
                let epochs = stored.shape[0], nw = stored.shape[1], n = inputs.n
                let weights = Parameter(Tensor(shape: [nw], storage: Array(inputs.param0[..<nw])))
                let biases = Parameter(Tensor(shape: [n - nw], storage: Array(inputs.param0[nw...])))
                var configuration = inputs.configuration
                configuration.formula = formula
                let adam = try Adam(groups: [
                    ParameterGroup(parameters: [("weights", weights)], learningRate: learningRate, weightDecay: weightDecay),
                    ParameterGroup(parameters: [("biases", biases)], learningRate: biasLearningRate, weightDecay: weightDecay),
                ], configuration: configuration)
                var got: (weights: [Float], biases: [Float], lrs: [Double]) = ([], [], [])
                for epoch in stride(from: 1, through: epochs, by: 1) {
                    adam.setLearningRates(forEpoch: epoch, schedule: schedule)
                    got.lrs += adam.learningRates
                    weights.grad = Tensor(shape: [nw], storage: Array(inputs.grads[epoch - 1][..<nw]))
                    biases.grad = Tensor(shape: [n - nw], storage: Array(inputs.grads[epoch - 1][nw...]))
                    try adam.step()
                    got.weights += weights.value.storage
                    got.biases += biases.value.storage
                }
                for dataset in try group.datasetNames() {
                    let check = "\(path)/\(dataset)"
                    let reference = try group.dataset(dataset)
                    switch dataset {
                    case "weights":
                        checks.append(try compare(check, got.weights, reference, shape: [epochs, nw], parameters, fileName,
                                                  note: "nw \(nw) at lr \(learningRate)"))
                    case "biases":
                        checks.append(try compare(check, got.biases, reference, shape: [epochs, n - nw], parameters, fileName,
                                                  note: "\(n - nw) at bias_lr \(biasLearningRate)"))
                    case "lrs":
                        checks.append(try compare(check, got.lrs, reference, shape: [epochs, 2], rates, fileName, note: "\(schedule)"))
                    default:
                        checks.append(GoldenCheck(file: fileName, name: check, outcome: .notCovered, tolerance: "-",
                                                  detail: "no recomputation known for \(dataset)"))
                    }
                }
            } catch {
                checks.append(.failure(file: fileName, name: path, error))
            }
        }
        return checks
    }

    // MARK: Helpers

    static func number(_ object: some HDF5Object, _ name: String) throws -> Double {
        guard let value = try object.attribute(name).doubleValue else {
            throw OptimGoldenInputError("attribute \(name) of \(object.path) is not a single number")
        }
        return value
    }

    /// Compares against a float32 or float64 dataset of the expected shape; notes how many elements are
    /// bit-identical to a float32 reference (or equal to a float64 one).
    static func compare<T: BinaryFloatingPoint>(_ check: String, _ got: [T], _ reference: HDF5Dataset, shape: [Int],
                                                _ tolerance: Tolerance, _ fileName: String, note: String? = nil) throws -> GoldenCheck {
        guard reference.shape == shape else {
            return GoldenCheck(file: fileName, name: check, outcome: .fail, tolerance: tolerance.description,
                               detail: "reference has shape \(reference.shape), recomputed \(shape)")
        }
        let ref = try reference.readFloat64()
        let ours = got.map { Double($0) }
        let identical = zip(ours, ref).count(where: { $0 == $1 })
        let notes = ["\(identical)/\(ref.count) identical"] + (note.map { [$0] } ?? [])
        return GoldenCheck(file: fileName, name: check, comparison: tolerance.compare(ours, ref), detail: notes.joined(separator: "; "))
    }

    /// `moments` `(steps, 3, n)`: each kind judged against its own scale; the worst one is reported.
    static func compareMoments(_ check: String, _ got: [Float], _ reference: HDF5Dataset, steps: Int, n: Int,
                               _ fileName: String) throws -> GoldenCheck {
        guard reference.shape == [steps, 3, n], got.count == steps * 3 * n else {
            return GoldenCheck(file: fileName, name: check, outcome: .fail, tolerance: moments.description,
                               detail: "reference has shape \(reference.shape), recomputed \([steps, 3, n]) (amsgrad state present: \(got.count == steps * 3 * n))")
        }
        let ref = try reference.readFloat64()
        func slice<T>(_ values: [T], _ kind: Int) -> [T] {
            (0..<steps).flatMap { values[(($0 * 3 + kind) * n)..<(($0 * 3 + kind + 1) * n)] }
        }
        let names = ["exp_avg", "exp_avg_sq", "max_exp_avg_sq"]
        let results = (0..<3).map { moments.compare(slice(got, $0), slice(ref, $0)) }
        let worst = results.firstIndex { !$0.passed } ?? results.indices.max { results[$0].maxErrorRelativeToScale < results[$1].maxErrorRelativeToScale } ?? 0
        let identical = zip(got, ref).count(where: { Double($0) == $1 })
        let summary = zip(names, results).map { "\($0) \($1.maxErrorRelativeToScale)" }.joined(separator: ", ")
        let lead = results[worst].maxAbsError == 0 ? "" : "worst \(names[worst]); "
        return GoldenCheck(file: fileName, name: check, comparison: results[worst],
                           detail: "\(lead)scaled errors \(summary); \(identical)/\(ref.count) identical")
    }
}

/// A golden file whose inputs do not have the documented form.
private struct OptimGoldenInputError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
