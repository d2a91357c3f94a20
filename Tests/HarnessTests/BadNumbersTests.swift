import Foundation
import HDF5
import Testing
@testable import Harness
import Landmarks
import TestSupport

/// A NaN never passes for a result: a diverged training stops its row naming the step and the last
/// good checkpoint, and a results file holding a non-finite metric is refused.
struct BadNumbersTests {
    @Test func aDivergedTrainingNamesTheStepAndTheLastGoodCheckpoint() {
        let cause = TrainingError.nonFiniteGradient(epoch: 3, iteration: 17, parameter: "conv4.0.weight")
        let saved = TrainingDiverged(cause: cause, checkpoint: "out/models/abc.h5", checkpointIterations: 400)
        #expect(saved.description.contains("the gradient of conv4.0.weight became NaN or infinite at epoch 3, iteration 17"))
        #expect(saved.description.contains("the last good checkpoint is out/models/abc.h5 (after 400 iterations)"))
        let early = TrainingDiverged(cause: cause, checkpoint: "out/models/abc.h5", checkpointIterations: nil)
        #expect(early.description.contains("no checkpoint had been written yet"))
    }

    @Test func aResultsFileWithANonFiniteMetricIsRefused() throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let path = work.appendingPathComponent("results.h5").path
        let row = ResultsFixtures.finished("T01/a", scale: "paper", metrics: [MetricValue(name: "same_identity", value: 2.5)])
        try ResultSet(provenance: ResultsFixtures.provenance(), rows: [row]).write(to: path)
        #expect(try ResultSet.read(from: path).rows.count == 1)
        for bad in [Double.nan, .infinity] {
            // Someone else's tool put it there: DVEBench fails such a row instead of writing it.
            let edited = ResultsFixtures.finished("T01/a", scale: "paper", metrics: [MetricValue(name: "same_identity", value: bad)])
            try ResultSet(provenance: ResultsFixtures.provenance(), rows: [edited]).write(to: path)
            #expect {
                try ResultSet.read(from: path)
            } throws: { error in
                guard case .malformed(let file, let object, _) = error as? ResultsFileError else { return false }
                return file == path && object == "/T01/a/metrics/same_identity"
            }
        }
    }
}
