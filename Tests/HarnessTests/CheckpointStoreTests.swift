import Foundation
import Testing
import Harness
import HDF5
import Landmarks
import Tensors
import TestSupport

@Suite struct CheckpointStoreTests {
    @Test func hdf5CheckpointsRoundTripAndResumeBitIdentically() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var configuration = try TrainingConfiguration.smallNetCelebA(outputChannels: 3, dve: false, seed: 9)
        configuration.batchPairs = 2
        configuration.epochs = 2
        configuration.stepsPerEpoch = 2
        configuration.imageWidth = 32
        configuration.crop = 4
        configuration.checkpointEvery = 1
        let images = InMemoryImageSource(SyntheticImages.blobs(count: 4, size: 32, seed: 8))
        let path = dir.appendingPathComponent("run.ckpt.h5").path

        let straight = try Trainer(configuration: configuration, source: images)
        try straight.run()

        var calls = 0
        let first = try Trainer(configuration: configuration, source: images, store: HDF5CheckpointStore(path: path))
        #expect(try first.run(shouldStop: { calls += 1; return calls > 3 }) == .interrupted(at: TrainingPosition(epoch: 2, iteration: 1)))
        let saved = try #require(try HDF5CheckpointStore(path: path).load())
        #expect(saved.configuration == configuration)
        #expect(saved.position == TrainingPosition(epoch: 2, iteration: 1))
        #expect(saved.optimizer == first.optimizer.saveState())
        #expect(saved.model.keys == first.model.stateDict().keys)

        let resumed = try Trainer(configuration: configuration, source: images, store: HDF5CheckpointStore(path: path))
        try resumed.run()
        let a = straight.model.stateDict(), b = resumed.model.stateDict()
        for key in a.keys { #expect(a[key] == b[key], "\(key) differs after resume from HDF5") }
        #expect(resumed.losses == straight.losses)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        #expect(leftovers == ["run.ckpt.h5"], "temporary files left: \(leftovers)")
    }

    @Test func aFileThatIsNotACheckpointIsRefusedByName() throws {
        let dir = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("other.h5").path
        try HDF5File.write(to: path) { root in try root.setAttribute("format", .string("something else")) }
        #expect(throws: (any Error).self) { try HDF5CheckpointStore(path: path).load() }
        do { _ = try HDF5CheckpointStore(path: path).load() } catch { #expect("\(error)".contains(path)) }
    }
}
