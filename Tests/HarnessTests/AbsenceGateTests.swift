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

    /// A string dataset declaring 8 863 084 066 665 136 136 elements of 17 bytes (its maximum is 8):
    /// the byte count overflowed and the reader trapped.
    @Test func aDataspaceLargerThanMemoryIsRefusedInsteadOfOverflowing() throws {
        let path = Fixtures.fuzz.appendingPathComponent("trajectories-string-size-overflow.h5").path
        #expect {
            try TrajectoryFile.load(path)
        } throws: { error in
            guard let error = error as? ResultsFileError else { return false }
            return error.description.contains(path) && error.description.contains("more than this machine's memory")
        }
    }

    /// A 15 KB file whose string dataset declares 14.8 GB: the reader allocated and zeroed all of it
    /// (14.5 GB peak, 37 s) before libhdf5's read failed. A read may not exceed what the file stores.
    @Test func aDatasetDeclaringMoreThanTheFileStoresIsRefusedBeforeAnyAllocation() throws {
        let path = Fixtures.fuzz.appendingPathComponent("trajectories-declared-15-gb.h5").path
        // The refusal comes from the check that runs before the reader allocates anything.
        #expect {
            try TrajectoryFile.load(path)
        } throws: { error in
            guard let error = error as? ResultsFileError else { return false }
            return error.description.contains(path) && error.description.contains("but the file stores")
        }
    }

    /// A 5 KB eval-warps file whose item names' layout declares 524 GB of storage at an offset near
    /// its end: the declared storage passed the check above, and the reader asked for 3.7 GB.
    @Test func aStorageSizeBeyondTheFileIsRefusedBeforeAnyAllocation() throws {
        let path = Fixtures.fuzz.appendingPathComponent("eval-warps-storage-524-gb.h5").path
        #expect {
            try IsolatedRead.readWhole(path, kind: IsolatedRead.evalWarpsKind)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("but the file stores")
        }
    }

    /// A results file whose picture's shape multiplies past Int.max: read as empty, then the
    /// picture's own size check overflowed and trapped.
    @Test func aShapeWhoseProductOverflowsIsRefused() throws {
        let path = Fixtures.fuzz.appendingPathComponent("results-picture-shape-overflow.h5").path
        #expect {
            try ResultSet.read(from: path)
        } throws: { error in
            "\(error)".contains(path) && "\(error)".contains("more elements than can be counted")
        }
    }
}
