import Foundation
import Testing
import HDF5
@testable import Harness

/// `expected/paper.h5` read back with the raw HDF5 module: every published number of every row, with
/// its decimals, source and full precision, in the layout the diff reads.
@Suite struct ManifestPaperH5Tests {
    func check(_ path: String, against tables: PaperTables) throws {
        let file = try HDF5File.open(path)
        defer { file.close() }
        let root = file.root
        #expect(try root.attribute("kind").stringValue == "dvebench-expected")
        #expect(try root.attribute("schema") == .int64(1))
        #expect(try root.attribute("source_file").stringValue == "expected/sources/paper-tables.json")
        #expect(try root.attribute("source_sha256").stringValue == tables.sha256)
        #expect(try root.attribute("description").stringValue?.isEmpty == false)

        var numbers = 0
        for row in tables.rows {
            let group = try root.group(row.rowID)
            #expect(try group.attribute("row_key").stringValue == row.rowKey)
            #expect(try group.attribute("source").stringValue == row.source)
            #expect(try group.attribute("table").stringValue == row.tableID)
            #expect(try group.attribute("todo") == .uint8([row.isTodo ? 1 : 0], shape: []))
            let published = row.metricNames.filter { (row.metrics[$0] ?? nil) != nil }
            #expect(try group.datasetNames().sorted() == published.sorted(), "\(row.rowID)")
            #expect(try group.groupNames().isEmpty)
            for name in published {
                let value = try #require(row.metrics[name] ?? nil)
                let dataset = try group.dataset(name)
                #expect(dataset.shape == [])
                #expect(try dataset.readFloat64() == [value], "\(row.rowID)/\(name)")
                let decimals: Int64 = row.source == "upstream-results-json" ? -1 : 2
                #expect(try dataset.attribute("decimals") == .int64(decimals))
                #expect(try dataset.attribute("source").stringValue == row.source)
                let full = try #require(try dataset.attribute("full_precision").doubleValue)
                if let expected = row.metricsFullPrecision?[name] {
                    #expect(full == expected)
                    if decimals == 2 {
                        // The displayed value is the full-precision one rounded to 2 dp.
                        #expect(abs(full - value) <= 0.005 + 1e-12, "\(row.rowID)/\(name): \(full) shown as \(value)")
                    }
                } else {
                    #expect(full.isNaN)
                }
                if let std = row.metrics[name + "_std"] ?? nil {
                    #expect(try dataset.attribute("std") == .float64(std))
                    #expect(try dataset.attribute("std_decimals") == .int64(decimals))
                } else {
                    #expect(try !dataset.hasAttribute("std"))
                }
                numbers += 1
            }
        }
        #expect(numbers == 206)
    }

    @Test func committedFileHoldsEveryPublishedNumber() throws {
        try check(ManifestFixtures.paperH5Path, against: try ManifestFixtures.tables())
    }

    @Test func importWritesTheSameLayout() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("paper-\(UUID().uuidString).h5").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let counts = try PaperExpectedImport.run(jsonPath: ManifestFixtures.jsonPath, outputPath: path)
        #expect(counts.rows == 164 && counts.numbers == 206)
        try check(path, against: try ManifestFixtures.tables())
    }

    @Test func todoRowsHaveNoNumbers() throws {
        let file = try HDF5File.open(ManifestFixtures.paperH5Path)
        defer { file.close() }
        let group = try file.root.group("S01/celeba-smallnet-3d-dve/matching")
        #expect(try group.attribute("todo") == .uint8([1], shape: []))
        #expect(try group.datasetNames().isEmpty)
        let limited = try file.root.dataset("T17/aflw-mtfl-limit-annos-ft-keypoints-1-annos-celeba-smallnet-3d/regression/iod_error")
        #expect(try limited.readFloat64() == [19.87])
        #expect(try limited.attribute("std") == .float64(3.1))
    }
}
