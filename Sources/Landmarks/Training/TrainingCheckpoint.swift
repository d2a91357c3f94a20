import Foundation
import Tensors

/// Where a run stands: the next iteration to run, counted from the start of training.
public struct TrainingPosition: Sendable, Codable, Equatable, Comparable {
    /// 1-based, as the reference counts epochs.
    public var epoch: Int
    /// 0-based iteration inside `epoch`.
    public var iteration: Int

    public init(epoch: Int, iteration: Int) {
        self.epoch = epoch
        self.iteration = iteration
    }

    public static func < (a: TrainingPosition, b: TrainingPosition) -> Bool {
        (a.epoch, a.iteration) < (b.epoch, b.iteration)
    }
}

/// Everything needed to continue a run exactly: weights and buffers, optimiser moments and step
/// counts, and the position. Warps and shuffles are functions of (seed, epoch, iteration), so no
/// generator state needs saving.
public struct TrainingCheckpoint: Sendable {
    public var configuration: TrainingConfiguration
    /// The next iteration to run.
    public var position: TrainingPosition
    public var model: StateDict
    public var optimizer: AdamState
    /// The loss of every iteration run so far, in order (for curves and for resume checks).
    public var losses: [Double]

    public init(configuration: TrainingConfiguration, position: TrainingPosition, model: StateDict,
                optimizer: AdamState, losses: [Double]) {
        self.configuration = configuration
        self.position = position
        self.model = model
        self.optimizer = optimizer
        self.losses = losses
    }
}

/// Persists checkpoints for the trainer. `save` must replace the previous checkpoint atomically, so an
/// interrupted write leaves the last good one in place.
public protocol TrainingCheckpointStore: AnyObject {
    /// A human-readable location for messages.
    var location: String { get }
    func save(_ checkpoint: TrainingCheckpoint) throws
    /// The last saved checkpoint, or nil when there is none yet.
    func load() throws -> TrainingCheckpoint?
}

/// Keeps checkpoints in memory (tests, and runs that never need to resume).
public final class InMemoryCheckpointStore: TrainingCheckpointStore {
    public private(set) var saved: [TrainingCheckpoint] = []
    public init() {}
    public var location: String { "<memory>" }
    public func save(_ checkpoint: TrainingCheckpoint) throws { saved.append(checkpoint) }
    public func load() throws -> TrainingCheckpoint? { saved.last }
}
