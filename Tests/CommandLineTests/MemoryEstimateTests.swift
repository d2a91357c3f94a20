import Foundation
import Harness
import Testing
import TestSupport

/// The memory estimate against what a fresh `dvebench run` process really took (its `VmHWM`, reset
/// before each row): the estimate must not be below the measured peak, or `--max-memory` would let
/// a run through that then exceeds it; and not absurdly above it, or it would refuse runs that fit.
struct MemoryEstimateTests {
    @Test(arguments: [
        ("S01/celeba-smallnet-64d-dve/matching", "manifests/S01-seed-matching-mafl/celeba-smallnet-64d-dve--matching.yaml"),
        ("S02/mafl-keypoints-celeba-smallnet-64d-dve/regression", "manifests/S02-seed-mafl-regression/mafl-keypoints-celeba-smallnet-64d-dve--regression.yaml"),
    ])
    func theEstimateBoundsTheMeasuredPeak(row: String, manifest: String) throws {
        let work = try makeTemporaryDirectory()
        defer { try? FileManager.default.removeItem(at: work) }
        let (status, output) = try DamagedFileTests.run(["run", manifest, "--scale", "quick", "--training-steps", "2",
                                                         "--regression-epochs", "1", "--threads", "2", "--out", work.path])
        #expect(status == 0, "\(output)")
        let results = try ResultSet.read(from: work.appendingPathComponent("results.h5").path)
        let details = try #require(results.rows.first { $0.id == row }?.details)
        let estimate = try #require(details[MemoryEstimate.estimateDetail].flatMap { Int($0) })
        let peak = try #require(details[MemoryEstimate.peakDetail].flatMap { Int($0) })
        #expect(peak <= estimate, "\(row): measured peak \(peak >> 20) MiB above the estimate \(estimate >> 20) MiB")
        #expect(estimate <= 3 * peak, "\(row): estimate \(estimate >> 20) MiB is over 3× the measured \(peak >> 20) MiB")
    }
}
