import Foundation
import Testing
@testable import Harness
import Landmarks
import TestSupport
import Tensors

@Suite(.serialized) struct RunnerTests {
    private func options(_ out: URL, mode: RunMode = .train, dataRoot: String? = nil, checkpoints: String? = nil,
                         shard: Shard? = nil) -> RunnerOptions {
        RunnerOptions(mode: mode, scale: RunnerManifests.tiny, dataRoot: dataRoot, checkpointsDirectory: checkpoints,
                      outputDirectory: out.path, repositoryRoot: RunnerManifests.repositoryRoot, threads: 2, shard: shard)
    }

    /// The acceptance test of the data path: the same matching row on in-memory SynthFaces and on a
    /// SynthFaces tree written in the real CelebA/MAFL layout and passed as the data root gives the
    /// same numbers. Also checks the row's figures and that a rerun keeps the finished row.
    @Test func aMatchingRowGivesTheSameNumbersInMemoryAndFromATreeOnDisk() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let row = try RunnerManifests.row("S01/celeba-smallnet-16d-dve/matching")

        let memory = try Runner(options: options(work.appendingPathComponent("memory"))).run([row])
        let inMemory = try #require(memory.rows.first)
        #expect(inMemory.status == .finished, "\(inMemory.status)")
        #expect(inMemory.metrics.map(\.name) == ["same_identity", "different_identity"])
        #expect(inMemory.metrics.allSatisfy { $0.value.isFinite && $0.value > 0 })
        #expect(inMemory.details["warps"]?.contains("mafl.h5") == true)
        #expect(inMemory.dataSource.hasPrefix("synthfaces"))
        let figures = try #require(inMemory.figures)
        #expect(!figures.matches.isEmpty && figures.embeddingPCA != nil && figures.embeddingInput?.width == 70)

        let tiny = RunnerManifests.tiny
        let tree = try SynthTree(layout: .celeba, count: tiny.synthCount[.celeba] ?? 0, seed: tiny.synthSeed)
        let dataRoot = work.appendingPathComponent("data")
        _ = try tree.write(to: dataRoot.appendingPathComponent("celeba").path)
        let disk = try Runner(options: options(work.appendingPathComponent("disk"), dataRoot: dataRoot.path)).run([row])
        let fromDisk = try #require(disk.rows.first)
        #expect(fromDisk.status == .finished, "\(fromDisk.status)")
        #expect(fromDisk.dataSource == dataRoot.path)
        #expect(fromDisk.metrics == inMemory.metrics)

        var events: [String] = []
        let again = try Runner(options: options(work.appendingPathComponent("memory"))).run([row]) { event in
            if case .rowReused(let reused) = event { events.append(reused.id) }
            if case .rowStarted(let id, _, _) = event { events.append("started \(id)") }
        }
        #expect(events == [row.id])
        #expect(again.rows.first?.metrics == inMemory.metrics)
        let saved = try #require(try ResultsFile.load(work.appendingPathComponent("memory/results.h5").path))
        #expect(saved.rows.first?.metrics == inMemory.metrics)
    }

    @Test func aRegressionRowSharesTheTrainedEmbeddingAndReportsIOD() throws {
        let out = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let rows = try ["S01/celeba-smallnet-3d/matching", "S02/mafl-keypoints-celeba-smallnet-3d/regression"].map(RunnerManifests.row)
        let results = try Runner(options: options(out)).run(rows)
        #expect(results.rows.count == 2)
        let regression = try #require(results.rows.first { $0.id.hasPrefix("S02") })
        #expect(regression.status == .finished, "\(regression.status)")
        let iod = try #require(regression.metrics.first { $0.name == "iod_error" })
        #expect(iod.value.isFinite && iod.value > 0)
        let keys = results.rows.compactMap { $0.details["embedding.key"] }
        #expect(keys.count == 2 && keys[0] == keys[1], "one training run serves both rows")
        let models = try FileManager.default.contentsOfDirectory(atPath: out.appendingPathComponent("models").path)
        #expect(models.count == 1)
    }

    @Test func rowsThatCannotRunHereAreSkippedWithTheReason() throws {
        let out = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let row = try RunnerManifests.row("T01/celeba-smallnet-16d-dve/matching")
        let noCheckpoints = try Runner(options: options(out.appendingPathComponent("a"), mode: .checkpoint)).run([row])
        guard case .skipped(let reason) = noCheckpoints.rows.first?.status else {
            Issue.record("expected skipped, got \(String(describing: noCheckpoints.rows.first?.status))")
            return
        }
        #expect(reason.contains("--checkpoints") && reason.contains("checkpoint-epoch100.pth"))

        let empty = out.appendingPathComponent("empty-checkpoints")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: true)
        let absent = try Runner(options: options(out.appendingPathComponent("b"), mode: .checkpoint, checkpoints: empty.path)).run([row])
        guard case .skipped(let missing) = absent.rows.first?.status else { Issue.record("expected skipped"); return }
        #expect(missing.contains("not found") && missing.contains("http://www.robots.ox.ac.uk"))

        let noData = try Runner(options: options(out.appendingPathComponent("c"), dataRoot: out.appendingPathComponent("nothing").path)).run([row])
        guard case .skipped(let noDataset) = noData.rows.first?.status else { Issue.record("expected skipped"); return }
        #expect(noDataset.contains("list_landmarks_align_celeba.txt"), "\(noDataset)")
    }

    /// Checkpoint mode end to end with a real legacy-format `.pth` (the golden SmallNet-16 DVE file)
    /// placed where the manifest says; the same file under a 3-d row's path is refused by name.
    @Test func checkpointModeLoadsTheReleasedFileAndChecksItAgainstTheManifest() throws {
        let out = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: out) }
        let golden = Fixtures.golden.appendingPathComponent("checkpoints/smallnet16-legacy.pth")
        let checkpoints = out.appendingPathComponent("checkpoints")
        let rows = try ["T01/celeba-smallnet-16d-dve/matching", "T01/celeba-smallnet-3d-dve/matching"].map(RunnerManifests.row)
        for row in rows {
            let file = checkpoints.appendingPathComponent(try #require(row.manifest.model.checkpoint?.file))
            try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
            try FileManager.default.copyItem(at: golden, to: file)
        }
        let results = try Runner(options: options(out.appendingPathComponent("out"), mode: .checkpoint,
                                                  checkpoints: checkpoints.path)).run(rows)
        let loaded = try #require(results.row("T01/celeba-smallnet-16d-dve/matching"))
        #expect(loaded.status == .finished, "\(loaded.status)")
        let digest = try SHA256.hexDigest(ofFile: golden.path)
        #expect(loaded.mode == "checkpoint" && loaded.details["checkpoint.sha256"] == digest)
        #expect(loaded.metrics.count == 2 && loaded.metrics.allSatisfy { $0.value.isFinite })
        guard case .failed(let message) = results.row("T01/celeba-smallnet-3d-dve/matching")?.status else {
            Issue.record("a 16-d checkpoint under a 3-d row must fail")
            return
        }
        #expect(message.contains("does not match the manifest"), "\(message)")
    }

    @Test func shardsPartitionTheRowsSortedByID() throws {
        let rows = try RunnerManifests.loader.loadAll()
        var seen: [String] = []
        for i in 1...3 {
            let out = URL(fileURLWithPath: NSTemporaryDirectory())
            seen += Runner(options: options(out, shard: try Shard(parsing: "\(i)/3"))).selected(rows).map(\.id)
        }
        #expect(seen.sorted() == rows.map(\.id).sorted())
        #expect(Set(seen).count == rows.count)
        for bad in ["0/3", "4/3", "1", "a/b", "1/0"] {
            #expect(throws: RunnerError.self) { try Shard(parsing: bad) }
        }
    }

    @Test func theEmbeddedDefaultSelectsTheSyntheticSeedTables() throws {
        let rows = try RunnerManifests.loader.loadAll()
        let standard = Reproduction.rows(from: rows, quick: false)
        #expect(standard.count == 16)
        #expect(standard.allSatisfy { $0.manifest.model.architecture == "smallnet" && ["S01", "S02"].contains($0.manifest.table.short) })
        let quick = Reproduction.rows(from: rows, quick: true)
        #expect(quick.count == 8 && quick.allSatisfy { [16, 64].contains($0.manifest.model.embeddingDim) })
    }
}

@Suite struct RunScaleTests {
    @Test func iterationsSpreadOverWholeEpochsOfFullBatches() {
        #expect(RunScale.epochs(forSteps: 120, images: 1_400, batchPairs: 8) == (1, 120))
        #expect(RunScale.epochs(forSteps: 400, images: 700, batchPairs: 8) == (5, 80))
        #expect(RunScale.epochs(forSteps: 2, images: 3, batchPairs: 2) == (2, 1))
    }

    @Test func shortenedSchedulesKeepTheirMilestonesFractions() throws {
        let recipe = try LearningRateSchedule.multiStep(milestones: [70, 90], gamma: 0.1)
        #expect(try RunScale.rescaled(recipe, from: 100, to: 10) == .multiStep(milestones: [7, 9], gamma: 0.1))
        #expect(try RunScale.rescaled(recipe, from: 100, to: 1) == .multiStep(milestones: [1, 1], gamma: 0.1))
        #expect(try RunScale.rescaled(recipe, from: 100, to: 100) == recipe)
        let step = try LearningRateSchedule.step(size: 50, gamma: 0.1)
        #expect(try RunScale.rescaled(step, from: 100, to: 4) == .step(size: 2, gamma: 0.1))
    }
}
