import Foundation
import Testing
import Tensors
import Landmarks
import TestSupport

func tinyConfiguration(dve: Bool = true, epochs: Int = 1, steps: Int = 4, seed: UInt64 = 3) throws -> TrainingConfiguration {
    var c = try TrainingConfiguration.smallNetCelebA(outputChannels: 16, dve: dve, seed: seed)
    c.batchPairs = 2
    c.epochs = epochs
    c.stepsPerEpoch = steps
    c.imageWidth = 36
    c.crop = 4
    c.schedule = .constant
    c.checkpointEvery = 3
    return c
}

@Suite struct TrainerTests {
    @Test func dveLossDecreasesOnTinyWarpedPairs() throws {
        var configuration = try tinyConfiguration(dve: true, epochs: 10, steps: 4)
        configuration.learningRate = 3e-3
        let images = InMemoryImageSource(SyntheticImages.blobs(count: 8, size: 36, seed: 1))
        let trainer = try Trainer(configuration: configuration, source: images)
        // Fixed pairs, scored before and after: per-batch losses of two pairs are too noisy to compare.
        let probes = try (0..<4).map { try trainer.batch(at: TrainingPosition(epoch: 1, iteration: $0)) }
        let before = try probes.map { try trainer.loss(on: $0) }.reduce(0, +)
        #expect(try trainer.loss(on: probes[0]) == trainer.loss(on: probes[0]), "loss(on:) has side effects")
        var reported: [TrainingProgress] = []
        let outcome = try trainer.run(progress: { reported.append($0) })
        #expect(outcome == .finished)
        #expect(reported.count == 40)
        #expect(reported.last?.completedIterations == 40)
        #expect(reported.allSatisfy { $0.imagesPerSecond > 0 && $0.loss.isFinite })
        let after = try probes.map { try trainer.loss(on: $0) }.reduce(0, +)
        #expect(after < 0.85 * before, "loss on fixed pairs went from \(before) to \(after); per-step: \(trainer.losses)")
    }

    @Test func stageTimesCoverEveryIterationOfThisProcess() throws {
        let trainer = try Trainer(configuration: try tinyConfiguration(dve: true, epochs: 1, steps: 3),
                                  source: InMemoryImageSource(SyntheticImages.blobs(count: 8, size: 36, seed: 1)))
        try trainer.run(shouldStop: { trainer.completedIterations >= 2 })
        let before = trainer.stageTimes
        #expect(before.iterations == 2)
        try trainer.run()
        let last = trainer.stageTimes.since(before)
        #expect(last.iterations == 1)
        #expect(last.perIteration.map(\.stage) == ["batch", "forward", "loss", "backward", "optimizer"])
        #expect(last.perIteration.allSatisfy { $0.seconds > 0 })
        #expect(abs(last.total + before.total - trainer.stageTimes.total) < 1e-9)
    }

    @Test func interruptedRunResumesToIdenticalWeights() throws {
        let configuration = try tinyConfiguration(dve: true, epochs: 2, steps: 4)
        #expect(configuration.photometricAugmentation, "resume must also be exact with the augmentation draws")
        let images = InMemoryImageSource(SyntheticImages.blobs(count: 6, size: 36, seed: 2))
        try ComputeThreads.withCount(2) {
            let straight = try Trainer(configuration: configuration, source: images)
            #expect(try straight.run() == .finished)

            let store = InMemoryCheckpointStore()
            var calls = 0
            let first = try Trainer(configuration: configuration, source: images, store: store)
            let outcome = try first.run(shouldStop: { calls += 1; return calls > 5 })
            #expect(outcome == .interrupted(at: TrainingPosition(epoch: 2, iteration: 2)))
            let resumed = try Trainer(configuration: configuration, source: images, store: store)
            #expect(resumed.position == TrainingPosition(epoch: 2, iteration: 2))
            #expect(try resumed.run() == .finished)

            #expect(resumed.losses == straight.losses)
            let a = straight.model.stateDict(), b = resumed.model.stateDict()
            #expect(a.keys == b.keys)
            for key in a.keys { #expect(a[key] == b[key], "\(key) differs after resume") }
            #expect(resumed.optimizer.saveState() == straight.optimizer.saveState())
        }
    }

    @Test func aNaNStopsTheRunNamingTheStepAndLeavesParametersAlone() throws {
        let configuration = try tinyConfiguration(dve: false, epochs: 1, steps: 3)
        let images = InMemoryImageSource(SyntheticImages.blobs(count: 4, size: 36, seed: 3))
        let trainer = try Trainer(configuration: configuration, source: images)
        let conv6 = trainer.model.namedParameters.first { $0.key == "conv6.weight" }!.parameter
        conv6.value[flat: 0] = .nan
        let before = trainer.model.namedParameters.map { $0.parameter.value }
        let error = #expect(throws: TrainingError.self) { try trainer.run() }
        if case .nonFiniteLoss(let epoch, let iteration, _)? = error {
            #expect(epoch == 1 && iteration == 0)
        } else {
            Issue.record("expected a non-finite loss, got \(String(describing: error))")
        }
        #expect(error?.description.contains("epoch 1, iteration 0") == true)
        let after = trainer.model.namedParameters.map { $0.parameter.value }
        for (x, y) in zip(before, after) { #expect(x.storage.elementsEqual(y.storage) { $0 == $1 || ($0.isNaN && $1.isNaN) }) }
    }

    @Test func aCheckpointFromAnotherConfigurationIsRefused() throws {
        let images = InMemoryImageSource(SyntheticImages.blobs(count: 4, size: 36, seed: 4))
        let store = InMemoryCheckpointStore()
        let trainer = try Trainer(configuration: try tinyConfiguration(steps: 1), source: images, store: store)
        try trainer.run()
        var other = try tinyConfiguration(steps: 1)
        other.learningRate = 5e-4
        #expect(throws: TrainingError.self) { try Trainer(configuration: other, source: images, store: store) }
    }

    @Test func badConfigurationsAndSourcesAreNamed() throws {
        let images = InMemoryImageSource(SyntheticImages.blobs(count: 1, size: 36, seed: 5))
        #expect(throws: TrainingError.self) { try Trainer(configuration: try tinyConfiguration(), source: images) }
        var bad = try tinyConfiguration()
        bad.crop = 20
        do {
            _ = try Trainer(configuration: bad, source: InMemoryImageSource(SyntheticImages.blobs(count: 4, size: 36, seed: 5)))
        } catch {
            #expect("\(error)".contains("crop"))
        }
        let wrongSize = InMemoryImageSource(SyntheticImages.blobs(count: 4, size: 30, seed: 5))
        let trainer = try Trainer(configuration: try tinyConfiguration(), source: wrongSize)
        #expect(throws: TrainingError.self) { try trainer.run() }
    }

    @Test func epochOrderAndItemSeedsAreFunctionsOfPosition() {
        let a = SeededGenerator.derive(7, 2, 1, 5), b = SeededGenerator.derive(7, 2, 1, 5)
        #expect(a == b)
        #expect(SeededGenerator.derive(7, 2, 1, 6) != a)
        var g = SeededGenerator(seed: 1)
        let p = g.permutation(10)
        #expect(p.sorted() == Array(0..<10))
    }
}
