import Foundation
import Testing
@testable import Harness

@Suite struct DiffMergeCompareTests {
    private func row(_ id: String, _ value: Double, wall: Double = 1) -> RowResult {
        var row = ResultsFixtures.finished(id, metrics: [MetricValue(name: "same_identity", value: value)])
        row.wallSeconds = wall
        return row
    }

    @Test func mergeJoinsShardsKeepsIdenticalDuplicatesAndNamesConflicts() throws {
        let dir = try ResultsFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let a = dir.appendingPathComponent("shard-a.h5").path, b = dir.appendingPathComponent("shard-b.h5").path
        let out = dir.appendingPathComponent("merged.h5").path
        try ResultSet(provenance: ResultsFixtures.provenance(commit: "aaa"), rows: [row("T01/x", 1), row("T01/shared", -0.0)]).write(to: a)
        try ResultSet(provenance: ResultsFixtures.provenance(commit: "bbb"), rows: [row("T01/shared", -0.0), row("T01/y", 2)]).write(to: b)

        let merge = ResultsFixtures.provenance(commit: "mmm", command: "dvebench merge")
        let merged = try ResultsMerge.run(output: out, shardPaths: [a, b], provenance: merge)
        #expect(merged.rows.map(\.id) == ["T01/x", "T01/shared", "T01/y"])
        let read = try #require(try ResultsFile.load(out))
        #expect(read.provenance == merge)
        #expect(read.shards.map(\.file) == [a, b])
        #expect(read.shards.map(\.provenance.gitCommit) == ["aaa", "bbb"])

        // A merge of a merge keeps the original shards, flat.
        let c = dir.appendingPathComponent("shard-c.h5").path
        try ResultSet(provenance: ResultsFixtures.provenance(commit: "ccc"), rows: [row("T01/z", 3)]).write(to: c)
        let twice = try ResultsMerge.run(output: dir.appendingPathComponent("twice.h5").path, shardPaths: [out, c], provenance: merge)
        #expect(twice.shards.map(\.provenance.gitCommit) == ["aaa", "bbb", "ccc"])

        let conflicting = dir.appendingPathComponent("shard-d.h5").path
        try ResultSet(provenance: ResultsFixtures.provenance(), rows: [row("T01/x", 1, wall: 2)]).write(to: conflicting)
        do {
            _ = try ResultsMerge.run(output: dir.appendingPathComponent("bad.h5").path, shardPaths: [a, conflicting], provenance: merge)
            Issue.record("conflicting rows were merged")
        } catch {
            #expect(error.description.contains("'T01/x'") && error.description.contains(a) && error.description.contains(conflicting))
            #expect(error.description.contains("wall_seconds"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("bad.h5").path))
    }

    @Test func globsCaptureWhatTheirWildcardsMatched() {
        let glob = RowGlob("T01/celeba-smallnet-*/matching")
        #expect(glob.captures("T01/celeba-smallnet-64d-dve/matching") == ["64d-dve"])
        #expect(glob.captures("T01/celeba-hourglass-64d-dve/matching") == nil)
        #expect(RowGlob("*").captures("a/b") == ["a/b"])
        #expect(RowGlob("T0?/*-*").captures("T01/a-b-c") == ["1", "a", "b-c"])
        #expect(RowGlob("T0?/*-*").wildcardCount == 3)
        #expect(RowGlob("abc").captures("abc") == [] && RowGlob("abc").captures("abcd") == nil)
    }

    @Test func compareTwoFilesAndTwoRowGroupsOfOne() throws {
        let first = ResultSet(provenance: ResultsFixtures.provenance(), rows: [
            row("T01/celeba-smallnet-64d-dve/matching", 2.5), row("T01/celeba-smallnet-3d/matching", 4),
            row("T01/celeba-hourglass-64d-dve/matching", 1.5), ResultsFixtures.skipped("T02/a"),
        ])
        let second = ResultSet(provenance: ResultsFixtures.provenance(), rows: [
            row("T01/celeba-smallnet-64d-dve/matching", 2.25), ResultsFixtures.skipped("T02/a"), row("T03/new", 1),
        ])
        let files = try ResultCompare.compare(first, second)
        #expect(files.lines.map(\.difference) == [-0.25, nil, nil, nil, nil])
        #expect(files.lines[1].note == "no row in B matches")
        #expect(files.lines[3].note?.contains("A skipped") == true && files.lines[3].note?.contains("B skipped") == true)
        #expect(files.lines[4].rowB == "T03/new" && files.lines[4].note == "no row in A matches")
        let table = files.tableLines
        #expect(table[0].hasPrefix("row  ") && table[0].contains("B − A"))
        #expect(table[1].contains("T01/celeba-smallnet-64d-dve/matching") && table[1].contains("2.5") && table[1].contains("-0.25"))

        let models = try ResultCompare.compare(first, first, rows: RowGlob("T01/celeba-smallnet-*/matching"),
                                               against: RowGlob("T01/celeba-hourglass-*/matching"))
        #expect(models.lines.map(\.rowB) == ["T01/celeba-hourglass-64d-dve/matching", nil])
        #expect(models.lines[0].difference == -1)
        #expect(models.tableLines[0].hasPrefix("row A"))

        #expect(throws: CompareError.self) {
            try ResultCompare.compare(first, first, rows: RowGlob("T01/*"), against: RowGlob("T01/*-*"))
        }
        #expect(throws: CompareError.self) { try ResultCompare.compare(first, first, rows: RowGlob("X*")) }
    }

    @Test func compareShowsTheRecordedThroughputsWithTheirRatio() throws {
        var slow = row("S01/celeba-smallnet-16d/matching", 2)
        slow.details = ["training.images_per_second": "40.0", "pairs_per_second": "100.0"]
        var fast = row("S01/celeba-smallnet-16d/matching", 2)
        fast.details = ["training.images_per_second": "60.0", "pairs_per_second": "150.0"]
        let lines = try ResultCompare.compare(ResultSet(provenance: ResultsFixtures.provenance(), rows: [slow]),
                                              ResultSet(provenance: ResultsFixtures.provenance(), rows: [fast])).lines
        #expect(lines.map(\.metric) == ["same_identity", "speed: training images/s", "speed: matching pairs/s"])
        #expect(lines[1].difference == 20 && lines[1].note == "B/A = 1.50")
        #expect(lines[2].a?.value == 100 && lines[2].b?.value == 150)
        // A row that recorded no throughput (a checkpoint evaluated elsewhere) gets no speed line.
        let bare = try ResultCompare.compare(ResultSet(provenance: ResultsFixtures.provenance(), rows: [row("X/a", 1)]),
                                             ResultSet(provenance: ResultsFixtures.provenance(), rows: [row("X/a", 1)])).lines
        #expect(bare.count == 1)
    }
}
