import Foundation
import Testing
@testable import Harness
import Landmarks
import TestSupport

/// What `fetch` and `data check` work out from a row selection, and the lock file's format.
struct FetchAndDataPlanTests {
    @Test func rowsSharingACheckpointFetchItOnceAndAMirrorReplacesThePublishedPrefix() throws {
        let rows = try ["T01/celeba-smallnet-3d-dve/matching", "T06/celeba-smallnet-3d-dve/matching",
                        "S01/celeba-smallnet-3d-dve/matching"].map(RunnerManifests.row)
        let plan = try CheckpointFetchPlan(rows: rows, mirror: "http://127.0.0.1:8080/models")
        #expect(plan.items.count == 1)
        #expect(plan.items[0].rows == ["T01/celeba-smallnet-3d-dve/matching", "T06/celeba-smallnet-3d-dve/matching"])
        #expect(plan.items[0].url == "http://127.0.0.1:8080/models/celeba-smallnet-3d-dve/2019-08-08_17-54-21/checkpoint-epoch100.pth")
        #expect(plan.rowsWithoutCheckpoint == ["S01/celeba-smallnet-3d-dve/matching"])
        #expect(throws: FetchError.self) { try CheckpointFetchPlan(rows: rows, mirror: "ftp://mirror/") }
    }

    @Test func theLockFileRoundTripsAndAMalformedLineIsNamed() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let path = work.appendingPathComponent("expected/checkpoints.lock").path
        #expect(try CheckpointLockFile(path: path).entries.isEmpty)
        let entry = CheckpointLockEntry(sha256: String(repeating: "ab", count: 32), size: 12)
        #expect(try CheckpointLockFile.record(entry, for: "b/x.pth", in: path) == entry)
        let other = CheckpointLockEntry(sha256: String(repeating: "cd", count: 32), size: 7)
        #expect(try CheckpointLockFile.record(other, for: "a/y.pth", in: path) == other)
        // The first record of a file stays: a second, different one gets the first back.
        #expect(try CheckpointLockFile.record(other, for: "b/x.pth", in: path) == entry)
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.hasSuffix("\(other.sha256) 7 a/y.pth\n\(entry.sha256) 12 b/x.pth\n"), "\(text)")
        #expect(try CheckpointLockFile(path: path)["b/x.pth"] == entry)

        try (text + "0123 5 c/z.pth\n").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: FetchError.malformedLock(path: path, line: 6, reason: "\"0123\" is not a SHA-256 in hex")) {
            try CheckpointLockFile(path: path)
        }
    }

    @Test func theSplitsARowReadDependOnTheMode() throws {
        let regression = try RunnerManifests.row("T12/aflw-keypoints-celeba-smallnet-3d-dve/regression").manifest
        let matching = try RunnerManifests.row("T01/celeba-smallnet-3d-dve/matching").manifest
        let released = DataPrecheck.targets(rows: [regression, matching], mode: .checkpoint, dataRoot: "data")
        #expect(released.map(\.root) == ["data/aflw/aflw_release-2", "data/celeba"])
        #expect(released.map(\.splits) == [[.test], [.test]], "a released regressor needs no training split")
        let trained = DataPrecheck.targets(rows: [regression, matching], mode: .train, dataRoot: "data")
        #expect(trained.map(\.splits) == [[.train, .test], [.embeddingTraining, .test]])
        #expect(trained[1].rows == [regression.id, matching.id])
    }
}
