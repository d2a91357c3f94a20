import Foundation
import HDF5
import Harness

extension HDF5Probe {
    /// One small file of each kind, each prefixed with its selector byte: a results file written by
    /// `ResultSet.write` (finished, skipped and failed rows, keypoints, a learning curve, a picture),
    /// three rows of the repository's expected file, two probes of its trajectories file, and a
    /// two-item eval-warps file in the schema of `expected/eval-warps/README.md`.
    static func seeds() throws -> [(String, [UInt8])] {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("dvebench-fuzz-seeds-\(getpid())")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        func selector(_ kind: String) -> UInt8 { UInt8(kinds.firstIndex(of: kind)!) }

        let results = scratch.appendingPathComponent("results.h5").path
        try sampleResults().write(to: results)
        let warps = scratch.appendingPathComponent("warps.h5").path
        try writeSampleEvalWarps(to: warps)
        // The repository's expected and trajectories files cut down to a few rows and probes: the
        // same schema (blessed numbers, todo rows, spreads and tolerances), at a tenth of the bytes.
        // A read costs in proportion to the objects in the file, 80 ms for all of synthetic.h5 under
        // AddressSanitizer, and mutations of a small file reach the same code.
        let repository = FuzzRepository.root.appendingPathComponent("expected")
        let allExpected = try ExpectedSet.load(repository.appendingPathComponent("synthetic.h5").path)
        let fewRows = allExpected.rows.keys.sorted().prefix(3)
        let expected = scratch.appendingPathComponent("expected.h5").path
        try ExpectedSet(attributes: allExpected.attributes, rows: allExpected.rows.filter { fewRows.contains($0.key) })
            .write(to: expected)
        let allTrajectories = try TrajectoryFile.load(repository.appendingPathComponent("trajectories.h5").path)
        let fewProbes = allTrajectories.probes.sorted { $0.displacement.count < $1.displacement.count }.prefix(2)
        let trajectories = scratch.appendingPathComponent("trajectories.h5").path
        try TrajectoryFile(attributes: allTrajectories.attributes, probes: Array(fewProbes)).write(to: trajectories)
        func file(_ path: String) throws -> [UInt8] { try FuzzRepository.bytes(URL(fileURLWithPath: path)) }
        return [
            ("results", [selector(ResultSet.kind)] + (try file(results))),
            ("expected", [selector(ExpectedSet.kind)] + (try file(expected))),
            ("trajectories", [selector(TrajectoryFile.kind)] + (try file(trajectories))),
            ("eval-warps", [selector(IsolatedRead.evalWarpsKind)] + (try file(warps))),
        ]
    }

    static func sampleResults() -> ResultSet {
        let provenance = Provenance(gitCommit: "0123456789abcdef", gitDirty: false, swiftVersion: "6.3",
                                    libraries: ["hdf5": "1.14"], cpu: "fuzz", blasCore: "Haswell", threads: 2,
                                    hostname: "fuzz", startedAt: "2026-01-01T00:00:00Z", command: "dvebench run")
        let keypoints = MatchingKeypoints(pairs: 2, keypoints: 2, queryXY: [1, 2, 3, 4, 5, 6, 7, 8],
                                          samePredictedXY: [1, 2, 3, 4, 5, 6, 7, 8.5],
                                          differentPredictedXY: [2, 2, 3, 4, 5, 6, 7, 9], sameError: [0, 0, 0, 0.5],
                                          differentError: [1, 0, 0, 1])
        let curve = LearningCurve(iterations: [10, 20], names: ["same_identity", "different_identity"],
                                  values: [[3, 2], [5, 4]])
        let picture = RGBPicture(width: 2, height: 2, pixels: Array(repeating: 9, count: 12))
        let rows = [
            RowResult(id: "S01/smallnet-16d-dve/matching", manifestSHA256: "ab", status: .finished,
                      metrics: [MetricValue(name: "same_identity", value: 1.5),
                                MetricValue(name: "different_identity", value: 3.25, standardDeviation: 0.1, runs: 3)],
                      mode: "train", scale: "quick", dataSource: "synthfaces", seeds: [1, 2], wallSeconds: 3,
                      details: ["warps": "expected/eval-warps/mafl.h5"],
                      figures: RowFigures(embeddingInput: picture, embeddingPCA: picture), keypoints: keypoints, curve: curve),
            RowResult(id: "S01/smallnet-3d/matching", manifestSHA256: "cd", status: .skipped(reason: "checkpoint missing"),
                      mode: "checkpoint", scale: "quick", dataSource: "synthfaces"),
            RowResult(id: "S02/smallnet-3d/regression", manifestSHA256: "ef", status: .failed(message: "no data"),
                      mode: "train", scale: "quick", dataSource: "synthfaces"),
        ]
        return ResultSet(provenance: provenance, rows: rows, requestedRows: rows.map(\.id))
    }

    static func writeSampleEvalWarps(to path: String) throws {
        try HDF5File.write(to: path) { root in
            try root.setAttribute("set", .string("mafl"))
            try root.setAttribute("num_items_in_set", .int64([3], shape: []))
            try root.setAttribute("num_items_drawn", .int64([2], shape: []))
            let weights = (0..<(2 * 2 * 103 * 2)).map { Float($0 % 17) * 0.01 }
            try root.write("weights", float32: weights, shape: [2, 2, 103, 2])
            try root.write("item_names", strings: ["000001.jpg", "000002.jpg"], shape: [2])
        }
    }
}
