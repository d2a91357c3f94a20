import Foundation
import Testing
@testable import Harness
import TestSupport

/// A gate that cannot be fooled by absence: a row a run was asked for and never wrote, or a row a
/// damaged file lost, fails the diff instead of leaving fewer rows to pass.
@Suite(.serialized) struct AbsenceGateTests {
    @Test func aFileThatLostARowIsRefusedAsDamaged() throws {
        let intact = try ResultSet.read(from: Fixtures.repro.appendingPathComponent("results-intact.h5").path)
        #expect(intact.rows.count == 16)
        let path = Fixtures.repro.appendingPathComponent("results-corrupt-rows-dropped.h5").path
        #expect {
            try ResultSet.read(from: path)
        } throws: { error in
            guard case .damaged(let file, let problem) = error as? ResultsFileError else { return false }
            return file == path && problem == "row number 10 of 16 is missing"
        }
    }

    @Test func rowCountAndOrdersAreChecked() throws {
        #expect(throws: Never.self) { try ResultSet.checkComplete([2, 0, 1], declared: 3, file: "f") }
        #expect(throws: ResultsFileError.self) { try ResultSet.checkComplete([0, 1], declared: 3, file: "f") }
        #expect(throws: ResultsFileError.self) { try ResultSet.checkComplete([0, 2], declared: nil, file: "f") }
        #expect(throws: ResultsFileError.self) { try ResultSet.checkComplete([0, 0], declared: nil, file: "f") }
        #expect(throws: Never.self) { try ResultSet.checkComplete([], declared: 0, file: "f") }
    }

    @Test func aRequestedRowTheRunNeverWroteFailsTheDiff() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let ids = ["S01/celeba-smallnet-16d/matching", "S01/celeba-smallnet-3d/matching"]
        let rows = try ids.map(RunnerManifests.row)
        // The process is stopped (SIGTERM) once the first row is written: the second never runs.
        let stop = ClusterTests.SignalFlag()
        var options = ClusterTests.options(work) { stop.requested }
        options.scale.trainingSteps = 2
        #expect(throws: RunInterrupted.self) {
            try Runner(options: options).run(rows) { event in
                if case .rowFinished = event { stop.raise(SIGTERM) }
            }
        }
        let written = try #require(try ResultsFile.load(options.resultsPath))
        #expect(written.rows.map(\.id) == [ids[0]])
        #expect(written.requestedRows == ids)
        #expect(written.missingRows == [ids[1]])

        let manifests = try RunnerManifests.loader.loadAll().byID
        let report = try ResultDiff.compare(results: written, expected: ExpectedSet(rows: [:]), manifests: manifests)
        let missing = try #require(report.comparisons.first { $0.rowID == ids[1] })
        #expect(missing.verdict == .failed)
        #expect(missing.note?.contains("not in the results file") == true)
        #expect(report.exitCode == 2)

        // A merge keeps what its shards were asked for.
        let other = ResultSet(provenance: written.provenance, rows: [], requestedRows: ["S02/x"])
        let merged = try ResultsMerge.merge([("a", written), ("b", other)], provenance: written.provenance)
        #expect(merged.requestedRows == ids + ["S02/x"])
        let path = work.appendingPathComponent("merged.h5").path
        try merged.write(to: path)
        #expect(try ResultSet.read(from: path).requestedRows == merged.requestedRows)
    }
}

/// Files the fuzzers made, read in this process (no probe child) as a library user would.
struct FuzzFindingTests {
    /// A group linked into itself made the row walk recurse until the stack overflowed.
    @Test func aGroupLinkedIntoItselfIsRefusedInsteadOfOverflowingTheStack() throws {
        let path = Fixtures.fuzz.appendingPathComponent("expected-group-cycle.h5").path
        #expect {
            try ExpectedSet.load(path)
        } throws: { error in
            guard case .malformed(let file, _, let problem) = error as? ResultsFileError else { return false }
            return file == path && problem.contains("a group linked into itself")
        }
        #expect(throws: ResultsFileError.self) { try IsolatedRead.readWhole(path, kind: IsolatedRead.anyHDF5Kind) }
    }

    /// A file the hdf5 target found trapping or exhausting DVEBench's readers, the reader it went
    /// through, and what the refusal now says.
    struct ReaderFinding: Sendable, CustomTestStringConvertible {
        let file: String
        let kind: String
        let refusal: String
        var testDescription: String { file }
    }

    static let readerFindings = [
        // A string dataset declaring 8 863 084 066 665 136 136 elements of 17 bytes (its maximum is
        // 8): the byte count overflowed and the reader trapped.
        ReaderFinding(file: "trajectories-string-size-overflow.h5", kind: TrajectoryFile.kind,
                      refusal: "more than this machine's memory"),
        // 15 KB declaring a 14.8 GB string dataset: the reader allocated and zeroed all of it (14.5 GB
        // peak, 37 s) before libhdf5's read failed. The refusal comes from the check that runs
        // before the reader allocates anything.
        ReaderFinding(file: "trajectories-declared-15-gb.h5", kind: TrajectoryFile.kind, refusal: "but the file stores"),
        // 5 KB whose item names' layout declares 524 GB of storage near its end: the declared
        // storage passed the previous check, and the reader asked for 3.7 GB.
        ReaderFinding(file: "eval-warps-storage-524-gb.h5", kind: IsolatedRead.evalWarpsKind, refusal: "but the file stores"),
        // A picture whose shape multiplies past Int.max: read as empty, then the picture's own size
        // check overflowed and trapped.
        ReaderFinding(file: "results-picture-shape-overflow.h5", kind: ResultSet.kind, refusal: "more elements than can be counted"),
    ]

    @Test(arguments: readerFindings)
    func aFileTheFuzzerFoundIsRefusedWithATypedError(_ finding: ReaderFinding) throws {
        let path = Fixtures.fuzz.appendingPathComponent(finding.file).path
        #expect {
            try IsolatedRead.readWhole(path, kind: finding.kind)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains(finding.refusal)
        }
    }
}
