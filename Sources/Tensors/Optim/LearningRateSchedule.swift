import Foundation

/// A step-decay learning-rate schedule of `torch.optim.lr_scheduler`, evaluated either in PyTorch's
/// closed form at a scheduler counter `last_epoch`, or in the reference trainer's epoch convention.
///
/// Closed form (PyTorch 1.1 `get_lr`, PyTorch ≥ 1.4 `_get_closed_form_lr`, i.e. what
/// `scheduler.step(epoch)` sets), with `k` = `last_epoch`:
/// - `MultiStepLR(milestones, γ)`: `base · γ^bisect_right(sorted(milestones), k)` — the exponent is
///   the number of milestones ≤ k, duplicates counted (1.13 keeps a `Counter`).
/// - `StepLR(size, γ)`: `base · γ^⌊k / size⌋`.
/// - constant: `base`.
/// The power is Python's `gamma ** n` (`pow`), multiplied into `base` in Double.
///
/// **The reference trainer's convention (quirk Q11).** `trainer/trainer.py` calls
/// `lr_scheduler.step(epoch − 1)` *after* each 1-based epoch, and the constructor set `last_epoch = 0`,
/// so epoch E trains with the closed form at `k = max(E − 2, 0)`: every decay takes effect **two
/// epochs after** its milestone instead of one (the milestone is an epoch index to PyTorch, which the
/// trainer feeds with `epoch − 1`, and the value it sets is only used from the next epoch on).
/// `MultiStepLR([70, 90])` gives 1e-3 for epochs 1–71, 1e-4 for 72–91, 1e-5 for 92–100;
/// `StepLR(50)` drops at epoch 52. On resume the trainer calls `step(start_epoch − 2)`, which is the
/// same `k`, so `learningRate(forEpoch:base:)` needs no state to resume exactly.
///
/// The modern convention (`scheduler.step()` after every iteration or epoch, PyTorch ≥ 1.1's
/// recommended order) is `LearningRateScheduler`.
public struct LearningRateSchedule: Sendable, Codable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Codable, Equatable {
        case constant
        case multiStep(milestones: [Int], gamma: Double)
        case step(size: Int, gamma: Double)
    }

    public let kind: Kind

    private init(unchecked kind: Kind) { self.kind = kind }

    /// Validates: gamma finite and ≥ 0 (so every lr stays a valid lr), step size ≥ 1 (PyTorch would
    /// divide by zero).
    public init(_ kind: Kind) throws(OptimizerError) {
        switch kind {
        case .constant: break
        case .multiStep(_, let gamma):
            guard gamma >= 0, gamma.isFinite else { throw .invalidSchedule("MultiStepLR gamma \(gamma) must be finite and ≥ 0") }
        case .step(let size, let gamma):
            guard size >= 1 else { throw .invalidSchedule("StepLR step_size \(size) must be at least 1") }
            guard gamma >= 0, gamma.isFinite else { throw .invalidSchedule("StepLR gamma \(gamma) must be finite and ≥ 0") }
        }
        self.kind = kind
    }

    public static let constant = LearningRateSchedule(unchecked: .constant)

    /// `MultiStepLR(milestones, gamma)`; milestones may be empty (a constant lr) and in any order.
    public static func multiStep(milestones: [Int], gamma: Double) throws(OptimizerError) -> LearningRateSchedule {
        try LearningRateSchedule(.multiStep(milestones: milestones, gamma: gamma))
    }

    /// `StepLR(step_size, gamma)`.
    public static func step(size: Int, gamma: Double) throws(OptimizerError) -> LearningRateSchedule {
        try LearningRateSchedule(.step(size: size, gamma: gamma))
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        try self.init(container.decode(Kind.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(kind)
    }

    /// The exponent of γ in the closed form at scheduler counter `lastEpoch`.
    public func decayCount(lastEpoch k: Int) -> Int {
        switch kind {
        case .constant: 0
        case .multiStep(let milestones, _): milestones.count(where: { $0 <= k })
        case .step(let size, _): k >= 0 || k % size == 0 ? k / size : k / size - 1  // Python's floor `//`
        }
    }

    public var gamma: Double {
        switch kind {
        case .constant: 1
        case .multiStep(_, let gamma), .step(_, let gamma): gamma
        }
    }

    /// PyTorch's closed form: `base · γ^decayCount(k)` (`base_lr * gamma ** n`).
    public func learningRate(base: Double, lastEpoch k: Int) -> Double {
        let n = decayCount(lastEpoch: k)
        return n == 0 ? base : base * pow(gamma, Double(n))
    }

    /// The scheduler counter in force during 1-based epoch `epoch` under the reference trainer's
    /// `step(epoch − 1)`-after-the-epoch convention: `max(epoch − 2, 0)`.
    public static func trainerLastEpoch(forEpoch epoch: Int) -> Int { max(epoch - 2, 0) }

    /// The lr the reference trainer uses during 1-based epoch `epoch` (one epoch late, see the type's
    /// documentation): `learningRate(base:lastEpoch: max(epoch − 2, 0))`.
    public func learningRate(forEpoch epoch: Int, base: Double) -> Double {
        learningRate(base: base, lastEpoch: Self.trainerLastEpoch(forEpoch: epoch))
    }

    public var description: String {
        switch kind {
        case .constant: "constant"
        case .multiStep(let milestones, let gamma): "MultiStepLR(milestones: \(milestones), gamma: \(gamma))"
        case .step(let size, let gamma): "StepLR(step_size: \(size), gamma: \(gamma))"
        }
    }
}

/// A scheduler in the modern convention: `step()` is called after every `optimizer.step()` (per
/// iteration) or after every epoch, and the lr in force is the one last set. Copies PyTorch ≥ 1.4's
/// chainable update, so the values match PyTorch's bit for bit rather than only to rounding:
/// - construction (the constructor's initial `step()`, `last_epoch = 0`): `lr = base`, times
///   `γ^count(milestones == 0)` for `MultiStepLR`;
/// - each `step()`: `last_epoch += 1`, then `MultiStepLR`: `lr ← lr · γ^count(milestones == last_epoch)`
///   when that count is positive; `StepLR`: `lr ← lr · γ` when `last_epoch % size == 0`.
///
/// Codable, so a checkpoint can carry it for exact resume.
public struct LearningRateScheduler: Sendable, Codable, Equatable {
    public let schedule: LearningRateSchedule
    public let baseRates: [Double]
    /// PyTorch's `last_epoch`: the number of `step()` calls since construction.
    public private(set) var lastEpoch: Int
    /// The lr of each group now.
    public private(set) var rates: [Double]

    /// One base lr per parameter group (`Adam.groups.map(\.initialLearningRate)`).
    public init(schedule: LearningRateSchedule, baseRates: [Double]) {
        self.schedule = schedule
        self.baseRates = baseRates
        lastEpoch = 0
        rates = baseRates
        applyChainedDecay()
    }

    public mutating func step() {
        lastEpoch += 1
        applyChainedDecay()
    }

    private mutating func applyChainedDecay() {
        let factor: Double
        switch schedule.kind {
        case .constant:
            return
        case .multiStep(let milestones, let gamma):
            let n = milestones.count(where: { $0 == lastEpoch })
            guard n > 0 else { return }
            factor = pow(gamma, Double(n))
        case .step(let size, let gamma):
            guard lastEpoch != 0, lastEpoch % size == 0 else { return }
            factor = gamma
        }
        rates = rates.map { $0 * factor }
    }
}

extension Adam {
    /// Sets every group's lr to the reference trainer's lr for 1-based `epoch`, from the group's
    /// initial lr (`schedule.learningRate(forEpoch:base:)`). Call it before training the epoch.
    public func setLearningRates(forEpoch epoch: Int, schedule: LearningRateSchedule) {
        for g in groups.indices {
            groups[g].learningRate = schedule.learningRate(forEpoch: epoch, base: groups[g].initialLearningRate)
        }
    }

    /// Sets every group's lr to the scheduler's current rates (one per group).
    public func setLearningRates(from scheduler: LearningRateScheduler) throws(OptimizerError) {
        try setLearningRates(scheduler.rates)
    }
}
