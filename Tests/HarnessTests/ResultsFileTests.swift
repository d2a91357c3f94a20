import Foundation
import HDF5
import Testing
@testable import Harness

@Suite struct ResultsFileTests {
    private func sampleSet() -> ResultSet {
        let rows = [
            // The nested row comes first, so its parent's group exists (as an intermediate) when the
            // parent row is written.
            ResultsFixtures.finished("T01/a/matching", metrics: [MetricValue(name: "same_identity", value: 1.25)]),
            ResultsFixtures.finished("T01/a", metrics: [
                MetricValue(name: "iod_error", value: 7.125, standardDeviation: 0.5, runs: 3),
                MetricValue(name: "different_identity", value: .leastNonzeroMagnitude),  // the smallest subnormal, bit for bit
                MetricValue(name: "b_first_by_name", value: -0.0),
            ], figures: ResultsFixtures.figures()),
            ResultsFixtures.skipped("T02/celeba-smallnet-16d/matching"),
            ResultsFixtures.failed("R00/x/regression"),
            RowResult(id: "T03/empty", manifestSHA256: "", status: .finished, mode: "train", scale: "default",
                      dataSource: "synthfaces", figures: RowFigures()),
        ]
        return ResultSet(provenance: ResultsFixtures.provenance(), rows: rows,
                         shards: [ShardProvenance(file: "shard-0.h5", provenance: ResultsFixtures.provenance(commit: "c0"))])
    }

    /// -0.0 == 0.0, so rows are compared by their metrics' bit patterns.
    private func comparable(_ set: ResultSet) -> ResultSet {
        var copy = set
        for index in copy.rows.indices {
            copy.rows[index].metrics = copy.rows[index].metrics.map {
                MetricValue(name: $0.name, value: Double($0.value.bitPattern),
                            standardDeviation: $0.standardDeviation, runs: $0.runs)
            }
        }
        return copy
    }

    @Test func everyFieldRoundTripsIncludingFiguresAndOrder() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results.h5").path
        let set = sampleSet()
        try set.write(to: path)
        let read = try ResultSet.read(from: path)
        #expect(comparable(read) == comparable(set))
        #expect(read.rows.map(\.id) == set.rows.map(\.id))
        #expect(read.rows[1].metrics.map(\.name) == ["iod_error", "different_identity", "b_first_by_name"])
        #expect(read.rows[1].metrics[2].value.sign == .minus)
        #expect(read.rows[0].seeds.last == UInt64.max)
        #expect(read.rows[4].figures == RowFigures())
        #expect(read.rows[2].figures == nil)
    }

    @Test func theLayoutIsTheDocumentedOne() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results.h5").path
        try sampleSet().write(to: path)
        let file = try HDF5File.open(path)
        defer { file.close() }
        let root = file.root
        #expect(try root.attribute("kind").stringValue == "dvebench-results")
        #expect(try root.attribute("schema").intValue == 1)
        #expect(try root.attribute("lib.hdf5").stringValue == "1.10.8")
        #expect(try root.attribute("git_dirty").boolValue == false)
        #expect(try root.attribute("shard.0.git_commit").stringValue == "c0")
        let row = try root.group("T01/a")
        #expect(try row.attribute("status").stringValue == "finished")
        #expect(try row.attribute("detail.epochs").stringValue == "2")
        #expect(try row.dataset("seeds").readInt64() == [1, 2, -1])
        let metric = try row.dataset("metrics/iod_error")
        #expect(metric.shape == [])
        #expect(try metric.attribute("std").doubleValue == 0.5)
        #expect(try metric.attribute("runs").intValue == 3)
        #expect(try row.dataset("figures/matches/0/source").shape == [4, 5, 3])
        #expect(try row.dataset("figures/matches/0/true_points").shape == [5, 2])
        #expect(try root.group("T02/celeba-smallnet-16d/matching").attribute("reason").stringValue == "no AFLW data under /data")
        #expect(try root.group("R00/x/regression").attribute("message").stringValue == "x.pth: truncated")
    }

    @Test func loadOfAMissingFileIsNilAndUpsertKeepsPositions() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        #expect(try ResultsFile.load(dir.appendingPathComponent("none.h5").path) == nil)
        var set = ResultSet(provenance: ResultsFixtures.provenance())
        set.upsert(ResultsFixtures.skipped("T01/a"))
        set.upsert(ResultsFixtures.skipped("T01/b"))
        set.upsert(ResultsFixtures.finished("T01/a", metrics: []))
        #expect(set.rows.map(\.id) == ["T01/a", "T01/b"])
        #expect(set.row("T01/a")?.status == .finished)
    }

    @Test func aCrashedSaveLeavesThePreviousFileAndItsTemporaryIsCleanedUp() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("results.h5").path
        var set = ResultSet(provenance: ResultsFixtures.provenance(), rows: [ResultsFixtures.skipped("T01/a")])
        try ResultsFile.save(set, to: path)
        // What a process killed mid-save leaves: a half-written temporary beside the file.
        let leftover = dir.appendingPathComponent(".results.h5.tmp-DEAD").path
        try Data([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]).write(to: URL(fileURLWithPath: leftover))
        #expect(try ResultsFile.load(path) == set)

        set.upsert(ResultsFixtures.skipped("T01/b"))
        try ResultsFile.save(set, to: path)
        #expect(try ResultsFile.load(path) == set)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["results.h5"])

        // A save that fails part-way (an id the layout cannot hold) changes nothing.
        var bad = set
        bad.upsert(ResultsFixtures.skipped("T01/b/metrics"))
        #expect(throws: ResultsFileError.self) { try ResultsFile.save(bad, to: path) }
        bad = set
        bad.rows.append(ResultsFixtures.skipped("T01/c/../d"))
        #expect(throws: ResultsFileError.self) { try ResultsFile.save(bad, to: path) }
        #expect(try ResultsFile.load(path) == set)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["results.h5"])
    }

    @Test func otherFilesAreRefusedByName() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let other = dir.appendingPathComponent("other.h5").path
        try HDF5File.write(to: other) { root in try root.setAttribute("format", .string("something else")) }
        let text = dir.appendingPathComponent("notes.h5").path
        try Data("hello".utf8).write(to: URL(fileURLWithPath: text))
        let newer = dir.appendingPathComponent("newer.h5").path
        try HDF5File.write(to: newer) { root in
            try root.setAttribute("kind", .string(ResultSet.kind))
            try root.setAttribute("schema", .int64(2))
        }
        let expected = dir.appendingPathComponent("expected.h5").path
        try ExpectedSet().write(to: expected)

        for (path, fragment) in [(other, "no 'kind'"), (text, "not an HDF5"), (newer, "schema 2"), (expected, "'dvebench-expected'")] {
            do {
                _ = try ResultsFile.load(path)
                Issue.record("\(path) was accepted")
            } catch {
                #expect(error.description.contains(path), "\(error)")
                #expect(error.description.lowercased().contains(fragment.lowercased()), "\(error)")
            }
        }
        #expect(throws: ResultsFileError.self) { try ExpectedSet.load(other) }
    }

    @Test func provenanceNeverFailsAndSaysUnknownOutsideAGitCheckout() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let outside = Provenance.current(command: "test", threads: 3, repository: dir,
                                         now: Date(timeIntervalSince1970: 0))
        #expect(outside.gitCommit == "unknown")
        #expect(outside.gitDirty == false)
        #expect(outside.startedAt == "1970-01-01T00:00:00Z")
        #expect(outside.threads == 3)
        #expect(outside.swiftVersion.hasPrefix("6."))
        #expect(outside.libraries["hdf5"]?.split(separator: ".").count == 3)
        #expect(outside.libraries["openblas"] != "unknown")
        #expect(outside.libraries["libpng"]?.hasPrefix("1.") == true)
        #expect(outside.libraries["libjpeg-turbo"]?.hasSuffix("(headers)") == true)
        #expect(!outside.cpu.isEmpty && !outside.hostname.isEmpty)

        let checkout = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        let inside = Provenance.current(command: "test", threads: 1, repository: checkout)
        #expect(inside.gitCommit.count == 40 || inside.gitCommit == "unknown")
    }
}
