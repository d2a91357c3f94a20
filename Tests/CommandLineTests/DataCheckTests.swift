import Foundation
import Testing
import TestSupport

/// `dvebench data check` (and `run`'s check before its first row) on `dvebench synth` trees with
/// files removed, truncated or miscounted.
@Suite struct DataCheckTests {
    /// Train mode reads CelebA's training set, MAFL test (matching) and MAFL train (regression).
    static let rows = ["--id", "S01/celeba-smallnet-16d-dve/matching", "--id", "S02/mafl-keypoints-celeba-smallnet-3d-dve/regression"]

    /// A fresh copy of one synthetic CelebA tree (written once per process) under `<data>/celeba`.
    static func tree() throws -> (data: URL, celeba: URL) {
        let data = try makeTemporaryDirectory("dvebench-data")
        let celeba = data.appendingPathComponent("celeba")
        try FileManager.default.copyItem(at: try pristine.get(), to: celeba)
        return (data, celeba)
    }

    private static let pristine = Result { () throws -> URL in
        let root = try makeTemporaryDirectory("dvebench-synth").appendingPathComponent("celeba")
        let (status, output) = try DamagedFileTests.run(["synth", "--layout", "celeba", "--count", "60", "--out", root.path])
        guard status == 0 else { throw CocoaError(.fileWriteUnknown, userInfo: [NSLocalizedDescriptionKey: output]) }
        return root
    }

    static func check(_ data: URL, _ extra: [String] = []) throws -> (status: Int32, output: String) {
        try DamagedFileTests.run(["data", "check"] + rows + ["--data-root", data.path, "--threads", "2"] + extra)
    }

    static func lines(_ url: URL) throws -> [String] {
        try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
    }

    @Test func anIntactTreePasses() throws {
        let (data, _) = try Self.tree()
        defer { try? FileManager.default.removeItem(at: data) }
        let (status, output) = try Self.check(data)
        #expect(status == 0, "\(output)")
        #expect(output.contains("files and counts ok") && output.contains("ok: a run of these rows will not fail on the data"), "\(output)")
    }

    @Test func aRemovedAndATruncatedImageAreListedByPath() throws {
        let (data, celeba) = try Self.tree()
        defer { try? FileManager.default.removeItem(at: data) }
        let images = celeba.appendingPathComponent("Img/img_align_celeba_hq")
        let removed = images.appendingPathComponent(try Self.lines(celeba.appendingPathComponent("MAFL/testing.txt"))[0])
        let truncated = images.appendingPathComponent(try Self.lines(celeba.appendingPathComponent("MAFL/training.txt"))[0])
        try FileManager.default.removeItem(at: removed)
        let bytes = try Data(contentsOf: truncated)
        try bytes.prefix(bytes.count / 2).write(to: truncated)

        let (status, output) = try Self.check(data)
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(removed.path): cannot read image file \(removed.path)"), "\(output)")
        #expect(output.contains("\(truncated.path): cannot decode"), "\(output)")
        #expect(output.contains("2 problem(s)"), "\(output)")
        // Files and counts are fine: the images are what `--skip-images` (and `run`'s check) leave out.
        #expect(try Self.check(data, ["--skip-images"]).status == 0)
    }

    @Test func aMiscountedSplitFileIsCaughtBeforeARunStarts() throws {
        let (data, celeba) = try Self.tree()
        defer { try? FileManager.default.removeItem(at: data) }
        let list = celeba.appendingPathComponent("MAFL/testing.txt")
        let names = try Self.lines(list)
        try (names.dropLast().joined(separator: "\n") + "\n").write(to: list, atomically: true, encoding: .utf8)

        let (status, output) = try Self.check(data, ["--skip-images"])
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(list.path): \(names.count - 1) rows, SYNTHFACES.txt (count 60, seed 0) says \(names.count)"), "\(output)")
        #expect(output.contains("MAFLAligned/test has \(names.count - 1) items"), "\(output)")

        let out = data.appendingPathComponent("run")
        let run = try DamagedFileTests.run(["run"] + Self.rows + ["--data-root", data.path, "--scale", "quick", "--out", out.path])
        #expect(run.status == 1, "\(run.output)")
        #expect(run.output.contains("no row was started") && run.output.contains(list.path), "\(run.output)")
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("results.h5").path))
    }

    @Test func aMissingAnnotationFileAndAnAbsentDatasetAreProblems() throws {
        let (data, celeba) = try Self.tree()
        defer { try? FileManager.default.removeItem(at: data) }
        let partition = celeba.appendingPathComponent("Eval/list_eval_partition.txt")
        try FileManager.default.removeItem(at: partition)
        let (status, output) = try Self.check(data)
        #expect(status == 1, "\(output)")
        #expect(output.contains("\(partition.path): missing"), "\(output)")

        // A 300-W row needs a dataset that is not there at all: `run` skips such rows, `data check` says so.
        let absent = try DamagedFileTests.run(["data", "check", "--id", "T03/300w-keypoints-celeba-smallnet-3d-dve/regression",
                                               "--mode", "checkpoint", "--data-root", data.path])
        #expect(absent.status == 1, "\(absent.output)")
        #expect(absent.output.contains("300w \(data.path)/300w/300w: ABSENT"), "\(absent.output)")
    }
}
