import Testing
@testable import Harness

/// A synthetic number blessed under one BLAS kernel is not the number under another unless training
/// converged, so the diff names both kernels — also when the blessed file was merged with another.
@Suite struct DiffKernelNoteTests {
    @Test func theDiffNamesTheBlessedAndTheCurrentKernel() throws {
        let blessed = ExpectedSet(attributes: ["provenance.blas_core": "Cooperlake", "provenance.cpu": "Blessing CPU"])
        let merged = try ExpectedSet().merging(blessed)
        var results = ResultSet(provenance: ResultsFixtures.provenance())
        results.upsert(ResultsFixtures.skipped("S01/a/matching"))
        let report = try ResultDiff.compare(results: results, expected: merged, manifests: [:])
        #expect(report.notes.contains("expected numbers blessed with BLAS Cooperlake on Blessing CPU; this run: BLAS Haswell on Test CPU (2 CPUs)"))
        let unblessed = try ResultDiff.compare(results: results, expected: ExpectedSet(), manifests: [:])
        #expect(unblessed.notes.isEmpty)
    }
}
