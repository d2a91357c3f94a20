import Foundation
import Testing
import Tensors

/// A one-group Adam over fresh parameters with the given values.
private func makeAdam(_ values: [[Float]], lr: Double = 1e-3, weightDecay: Double = 0,
                      formula: AdamFormula, amsgrad: Bool = true) throws -> (Adam, [Parameter]) {
    let parameters = values.map { Parameter(Tensor(shape: [$0.count], storage: $0)) }
    let adam = try Adam(parameters: parameters.enumerated().map { ("p\($0.offset)", $0.element) }, learningRate: lr,
                        weightDecay: weightDecay, configuration: AdamConfiguration(amsgrad: amsgrad, formula: formula))
    return (adam, parameters)
}

private func setGrad(_ parameter: Parameter, _ values: [Float]) {
    parameter.grad = Tensor(shape: [values.count], storage: values)
}

@Suite struct OptimAdamTests {
    /// First step from zero moments, by hand: m = 0.1·g, v = v̂ = 0.001·g², t = 1.
    @Test func firstStepMatchesTheHandComputedFormulaOfEachRelease() throws {
        let lr = 1e-3, eps = 1e-8
        // g = 2 on p = 1: both releases move by lr·(1 − O(1e-7)).
        // g = 1e-9 on p = 0: √v̂ ≈ 3.2e-11 is far below eps, so where eps enters decides the step.
        let expected1_1 = [1 - lr * (0.001).squareRoot() / 0.1 * 0.2 / ((0.004).squareRoot() + eps),
                           0 - lr * (0.001).squareRoot() / 0.1 * 1e-10 / ((1e-21).squareRoot() + eps)]
        let expected1_13 = [1 - lr / 0.1 * 0.2 / ((0.004).squareRoot() / (0.001).squareRoot() + eps),
                            0 - lr / 0.1 * 1e-10 / ((1e-21).squareRoot() / (0.001).squareRoot() + eps)]
        for (formula, expected) in [(AdamFormula.pytorch1_1, expected1_1), (.pytorch1_13, expected1_13)] {
            let (adam, p) = try makeAdam([[1, 0]], lr: lr, formula: formula)
            setGrad(p[0], [2, 1e-9])
            try adam.step()
            let got = p[0].value.storage
            #expect(abs(Double(got[0]) - expected[0]) <= 1.2e-7, "\(formula): \(got[0]) vs \(expected[0])")
            #expect(abs(Double(got[1]) - expected[1]) <= 1e-6 * abs(expected[1]), "\(formula): \(got[1]) vs \(expected[1])")
            let state = try #require(adam.state(forKey: "p0"))
            #expect(state.step == 1)
            #expect(state.expAvg == [Float(0.2), Float(0.1) * Float(1e-9)])
            #expect(state.maxExpAvgSq == state.expAvgSq)
        }
        // The numbers the difference amounts to: 3.15e-6 (1.1) against 9.09e-5 (1.13).
        #expect(abs(-expected1_1[1] - 3.1523e-6) < 1e-9)
        #expect(abs(-expected1_13[1] - 9.0909e-5) < 1e-8)
    }

    /// Weight decay enters the gradient: g = 0, wd = 0.5, p = 2 gives an effective gradient of 1.
    @Test func weightDecayIsAddedToTheGradientEvenWhenItIsZero() throws {
        let (adam, p) = try makeAdam([[2]], lr: 1e-3, weightDecay: 0.5, formula: .pytorch1_13)
        setGrad(p[0], [0])
        try adam.step()
        let expected = 2 - 1e-3 / 0.1 * 0.1 / ((0.001).squareRoot() / (0.001).squareRoot() + 1e-8)
        #expect(abs(Double(p[0].value[flat: 0]) - expected) <= 2.4e-7)
        #expect(adam.state(forKey: "p0")?.expAvg == [0.1])
    }

    /// Step 2 after g = 1 then g = 0: amsgrad divides by the step-1 maximum, plain Adam by the decayed v.
    @Test func amsgradKeepsTheLargestSecondMoment() throws {
        for amsgrad in [true, false] {
            let (adam, p) = try makeAdam([[0]], formula: .pytorch1_13, amsgrad: amsgrad)
            setGrad(p[0], [1])
            try adam.step()
            let afterOne = Double(p[0].value[flat: 0])
            setGrad(p[0], [0])
            try adam.step()
            let m = 0.09, v = 0.001 * 0.999, vhat = amsgrad ? 0.001 : v
            let delta = 1e-3 / (1 - 0.81) * m / (vhat.squareRoot() / (1 - 0.998001).squareRoot() + 1e-8)
            let got = afterOne - Double(p[0].value[flat: 0])
            #expect(abs(got - delta) <= 1e-6 * delta, "amsgrad \(amsgrad): step 2 moved \(got), expected \(delta)")
            #expect((adam.state(forKey: "p0")?.maxExpAvgSq == nil) == !amsgrad)
        }
    }

    @Test func parametersWithoutAGradientAreSkippedEntirely() throws {
        let (adam, p) = try makeAdam([[1, 2], [3]], weightDecay: 0.1, formula: .pytorch1_1)
        setGrad(p[0], [0.5, -0.5])
        setGrad(p[1], [7])
        try adam.step(skipping: ["p1"])
        #expect(p[1].value.storage == [3])
        #expect(adam.state(forKey: "p1") == nil)
        #expect(p[0].value.storage != [1, 2])
        try adam.step()
        #expect(adam.state(forKey: "p0")?.step == 2)
        #expect(adam.state(forKey: "p1")?.step == 1)
        #expect(throws: OptimizerError.unknownParameter(key: "nope")) { try adam.step(skipping: ["nope"]) }
        #expect(adam.state(forKey: "p0")?.step == 2, "a rejected step changes nothing")
    }

    @Test func invalidSettingsAreTypedErrors() throws {
        let p = Parameter(Tensor(shape: [1]))
        #expect(throws: OptimizerError.self) { try Adam(parameters: [("a", p)], learningRate: -1) }
        #expect(throws: OptimizerError.self) {
            try Adam(parameters: [("a", p)], learningRate: 1e-3, configuration: AdamConfiguration(beta1: 1))
        }
        #expect(throws: OptimizerError.duplicateParameter(key: "b")) {
            try Adam(groups: [ParameterGroup(parameters: [("a", p)], learningRate: 1e-3),
                              ParameterGroup(parameters: [("b", p)], learningRate: 1e-5)])
        }
        let adam = try Adam(parameters: [("a", p)], learningRate: 1e-3)
        #expect(throws: OptimizerError.groupCountMismatch(expected: 1, found: 2)) { try adam.setLearningRates([1, 2]) }
        p.grad = Tensor(shape: [2])
        #expect(throws: OptimizerError.gradientShapeMismatch(key: "a", valueCount: 1, gradientCount: 2)) { try adam.step() }
    }

    /// Save after 3 steps (through JSON), restore into a fresh optimiser over copies of the parameters,
    /// and continue: both runs stay bit-identical.
    @Test func savedStateContinuesBitIdentically() throws {
        var rng = SeededGenerator(seed: 7)
        func randomArray(_ n: Int, scale: Double = 1) -> [Float] { (0..<n).map { _ in Float(rng.nextNormal() * scale) } }
        let initial = [randomArray(12), randomArray(5)]
        let grads = (0..<5).map { _ in [randomArray(12, scale: 0.01), randomArray(5, scale: 3)] }
        func groups(_ p: [Parameter]) -> [ParameterGroup] {
            [ParameterGroup(parameters: [("w", p[0])], learningRate: 1e-3, weightDecay: 5e-4),
             ParameterGroup(parameters: [("b", p[1])], learningRate: 1e-5, weightDecay: 5e-4)]
        }
        let schedule = try LearningRateSchedule.multiStep(milestones: [1, 2], gamma: 0.1)
        let first = initial.map { Parameter(Tensor(shape: [$0.count], storage: $0)) }
        let adam = try Adam(groups: groups(first))
        for (i, g) in grads.prefix(3).enumerated() {
            adam.setLearningRates(forEpoch: i + 1, schedule: schedule)
            zip(first, g).forEach { setGrad($0, $1) }
            try adam.step()
        }
        let saved = try JSONDecoder().decode(AdamState.self, from: JSONEncoder().encode(adam.saveState()))
        #expect(saved == adam.saveState())

        let second = first.map { Parameter($0.value) }
        let resumed = try Adam(groups: groups(second))
        try resumed.loadState(saved)
        #expect(resumed.saveState() == adam.saveState())
        for (i, g) in grads.dropFirst(3).enumerated() {
            for (optimizer, parameters) in [(adam, first), (resumed, second)] {
                optimizer.setLearningRates(forEpoch: i + 4, schedule: schedule)
                zip(parameters, g).forEach { setGrad($0, $1) }
                try optimizer.step()
            }
        }
        for (a, b) in zip(first, second) {
            #expect(a.value.storage.map(\.bitPattern) == b.value.storage.map(\.bitPattern))
        }
        #expect(resumed.saveState() == adam.saveState())
        #expect(adam.state(forKey: "w")?.step == 5)
    }

    @Test func mismatchedStateIsRejectedAndChangesNothing() throws {
        let (adam, p) = try makeAdam([[1, 2]], formula: .pytorch1_1)
        setGrad(p[0], [1, 1])
        try adam.step()
        let good = adam.saveState()
        let (other, _) = try makeAdam([[1, 2]], formula: .pytorch1_13)
        #expect(throws: OptimizerError.self) { try other.loadState(good) }
        let (fresh, _) = try makeAdam([[1, 2]], formula: .pytorch1_1)
        var bad = good
        bad.parameters["p0"]?.expAvgSq = [1]
        #expect(throws: OptimizerError.stateShapeMismatch(key: "p0", buffer: "exp_avg_sq", expected: 2, found: 1)) {
            try fresh.loadState(bad)
        }
        bad = good
        bad.groups[0].keys = ["q"]
        #expect(throws: OptimizerError.self) { try fresh.loadState(bad) }
        bad = good
        bad.parameters["q"] = bad.parameters["p0"]
        #expect(throws: OptimizerError.unknownParameter(key: "q")) { try fresh.loadState(bad) }
        #expect(fresh.state(forKey: "p0") == nil)
    }

    @Test func formulaFromPyTorchVersion() {
        #expect(AdamFormula(pytorchVersion: "1.1") == .pytorch1_1)
        #expect(AdamFormula(pytorchVersion: "1_1") == .pytorch1_1)
        #expect(AdamFormula(pytorchVersion: "1.2.0") == .pytorch1_1)
        #expect(AdamFormula(pytorchVersion: "1.3") == .pytorch1_13)
        #expect(AdamFormula(pytorchVersion: "1_13") == .pytorch1_13)
        #expect(AdamFormula(pytorchVersion: "2.1.0") == .pytorch1_13)
        #expect(AdamFormula(pytorchVersion: "13") == nil)
        #expect(AdamFormula(pytorchVersion: "x.y") == nil)
    }
}

@Suite struct OptimScheduleTests {
    /// Q11: `step(epoch − 1)` after each epoch makes every decay land two epochs after its milestone.
    @Test func trainerConventionIsOneEpochLate() throws {
        let multi = try LearningRateSchedule.multiStep(milestones: [70, 90], gamma: 0.1)
        let base = 1e-3, once: Double = 1e-3 * 0.1, twice: Double = 1e-3 * pow(0.1, 2)
        let epochs = [1, 71, 72, 91, 92, 100]
        let rates: [Double] = epochs.map { multi.learningRate(forEpoch: $0, base: base) }
        #expect(rates == [base, base, once, once, twice, twice])
        let step = try LearningRateSchedule.step(size: 50, gamma: 0.1)
        let stepRates: [Double] = [1, 51, 52, 101, 102].map { step.learningRate(forEpoch: $0, base: base) }
        #expect(stepRates == [base, base, once, once, twice])
        let none = try LearningRateSchedule.multiStep(milestones: [], gamma: 0.1)
        #expect((1...300).allSatisfy { none.learningRate(forEpoch: $0, base: 0.01) == 0.01 })
        // Resume at epoch S: the trainer calls step(S − 2), the same counter as the formula's.
        #expect(LearningRateSchedule.trainerLastEpoch(forEpoch: 42) == 40)
        #expect(LearningRateSchedule.trainerLastEpoch(forEpoch: 1) == 0)
    }

    @Test func modernPerIterationConvention() throws {
        let multi = try LearningRateSchedule.multiStep(milestones: [2, 4], gamma: 0.1)
        var scheduler = LearningRateScheduler(schedule: multi, baseRates: [1e-3, 1e-5])
        var seen: [[Double]] = []
        for _ in 0..<6 { seen.append(scheduler.rates); scheduler.step() }
        let expected: [[Double]] = [[1e-3, 1e-5], [1e-3, 1e-5], [1e-4, 1e-6], [1e-4, 1e-6], [1e-5, 1e-7], [1e-5, 1e-7]]
        for (got, want) in zip(seen, expected) {
            for (g, w) in zip(got, want) { #expect(abs(g - w) <= 1e-12 * w) }
        }
        #expect(scheduler.lastEpoch == 6)
        let step = try LearningRateSchedule.step(size: 2, gamma: 0.5)
        var s = LearningRateScheduler(schedule: step, baseRates: [1])
        var values: [Double] = []
        for _ in 0..<5 { values.append(s.rates[0]); s.step() }
        #expect(values == [1, 1, 0.5, 0.5, 0.25])
        // A milestone at 0 already applies at construction, in both conventions.
        let zero = try LearningRateSchedule.multiStep(milestones: [0], gamma: 0.1)
        #expect(LearningRateScheduler(schedule: zero, baseRates: [1]).rates == [0.1])
        #expect(zero.learningRate(forEpoch: 1, base: 1) == 0.1)
    }

    @Test func schedulesValidateAndRoundTrip() throws {
        #expect(throws: OptimizerError.self) { try LearningRateSchedule.step(size: 0, gamma: 0.1) }
        #expect(throws: OptimizerError.self) { try LearningRateSchedule.multiStep(milestones: [1], gamma: .nan) }
        let schedule = try LearningRateSchedule.multiStep(milestones: [30, 40], gamma: 0.1)
        let data = try JSONEncoder().encode(schedule)
        #expect(try JSONDecoder().decode(LearningRateSchedule.self, from: data) == schedule)
        let invalid = Data(#"{"step":{"size":-3,"gamma":0.1}}"#.utf8)
        #expect(throws: (any Error).self) { try JSONDecoder().decode(LearningRateSchedule.self, from: invalid) }
        var scheduler = LearningRateScheduler(schedule: schedule, baseRates: [1e-3])
        for _ in 0..<31 { scheduler.step() }
        let restored = try JSONDecoder().decode(LearningRateScheduler.self, from: JSONEncoder().encode(scheduler))
        #expect(restored == scheduler)
    }

    @Test func theOptimiserTakesEveryGroupsRateFromItsInitialRate() throws {
        let w = Parameter(Tensor(shape: [1])), b = Parameter(Tensor(shape: [1]))
        let adam = try Adam(groups: [ParameterGroup(parameters: [("w", w)], learningRate: 1e-3),
                                     ParameterGroup(parameters: [("b", b)], learningRate: 1e-5)])
        let schedule = try LearningRateSchedule.multiStep(milestones: [2, 4], gamma: 0.1)
        adam.setLearningRates(forEpoch: 4, schedule: schedule)
        #expect(adam.learningRates == [1e-3 * 0.1, 1e-5 * 0.1])
        adam.setLearningRates(forEpoch: 1, schedule: schedule)
        #expect(adam.learningRates == [1e-3, 1e-5])
        #expect(adam.groups.map(\.initialLearningRate) == [1e-3, 1e-5])
    }
}
