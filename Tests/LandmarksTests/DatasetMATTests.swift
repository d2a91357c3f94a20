import Foundation
import Landmarks
import Testing
import Tensors
import TestSupport

/// The Level-5 MAT-file reader (on a scipy-written, zlib-compressed fixture: fixed, dynamic and
/// stored DEFLATE blocks) and the writer (round trips, and the layouts the datasets read).
@Suite struct DatasetMATTests {
    static let fixture = Fixtures.root.appendingPathComponent("mat/scipy_compressed.mat").path

    @Test func readsTheScipyCompressedFixture() throws {
        let mat = try MATv5File.read(path: Self.fixture)
        #expect(Set(mat.variables.map(\.name)) == ["gt", "hw", "bounding_boxes", "flags", "counts", "label", "ramp", "noise"])
        guard case .numeric(let gt)? = mat["gt"], case .numeric(let hw)? = mat["hw"] else {
            Issue.record("gt/hw missing"); return
        }
        #expect(gt.dimensions == [3, 5, 2] && gt.matlabClass == .double)
        #expect(gt[2, 3, 0] == 230.25 && gt[2, 3, 1] == 230.5 && gt[0, 0, 0] == 0.25)
        #expect(hw.matlabClass == .uint16 && hw[2, 1] == 65535 && hw[1, 0] == 100)
        guard case .numeric(let flags)? = mat["flags"], case .numeric(let counts)? = mat["counts"] else {
            Issue.record("flags/counts missing"); return
        }
        #expect(flags.isLogical && flags.real == [1, 0, 1])
        #expect(counts.matlabClass == .int32 && counts[0, 0] == -3 && counts[1, 0] == 0 && counts[1, 2] == 2)
        #expect(mat["label"]?.string == "Zoë")
        guard case .numeric(let ramp)? = mat["ramp"], case .numeric(let noise)? = mat["noise"] else {
            Issue.record("ramp/noise missing"); return
        }
        #expect(ramp.dimensions == [50, 40] && ramp[49, 39] == 0.5 * 49 + 39 * 39 && ramp[7, 3] == 12.5)
        #expect(noise.real.reduce(0, +) == 76879 && Array(noise.real.prefix(4)) == [175, 196, 25, 246])
        // 300-W's shape: a 1×N cell of 1×1 structs.
        guard case .cell(let dims, let cells)? = mat["bounding_boxes"] else { Issue.record("no cell"); return }
        #expect(dims == [1, 2] && cells.count == 2)
        #expect(cells[1].field("imgName")?.string == "helen 2.jpg")
        guard case .numeric(let box)? = cells[0].field("bb_ground_truth") else { Issue.record("no box"); return }
        #expect(box.real == [131.5, 20.25, 268.75, 171.0])
    }

    @Test func writerRoundTripsEveryKind() throws {
        let value = MATValue.cell(dimensions: [1, 2], elements: [
            .structure(dimensions: [1, 1], fieldNames: ["imgName", "bb_ground_truth"],
                       elements: [[MATv5Writer.text("image_001.jpg"), MATv5Writer.doubles([1, 2, 3, 4.5], dimensions: [1, 4])]]),
            .char(dimensions: [2, 3], rows: ["abc", "xyz"]),
        ])
        let bytes = try MATv5Writer.encode([("boxes", value), ("empty", MATv5Writer.doubles([], dimensions: [0, 0])),
                                            ("cube", MATv5Writer.doubles((0..<24).map(Double.init), dimensions: [2, 3, 4]))])
        let mat = try MATv5File.parse(bytes, path: "<memory>")
        #expect(mat["boxes"] == value)
        #expect(mat["empty"]?.dimensions == [0, 0])
        guard case .numeric(let cube)? = mat["cube"] else { Issue.record("no cube"); return }
        #expect(cube[1, 2, 3] == 23 && cube[1, 0, 0] == 1 && cube[0, 1, 0] == 2)
    }

    @Test func malformedFilesAreTypedErrors() throws {
        var bytes = try MATv5Writer.encode([("gt", MATv5Writer.doubles([1, 2, 3], dimensions: [1, 3]))])
        #expect(errorText { _ = try MATv5File.parse(Array(bytes.prefix(150)), path: "x.mat") }?
            .hasPrefix("MAT-file x.mat: element at byte 128 (type 14) claims") == true)
        bytes[126] = 0x41
        #expect(errorText { _ = try MATv5File.parse(bytes, path: "x.mat") }
                == "MAT-file x.mat: no Level-5 endian indicator at bytes 126–127 (a Level-4 or non-MAT file?)")
        var hdf = Array("MATLAB 7.3 MAT-file, Platform: GLNXA64".utf8)
        hdf += [UInt8](repeating: 0x20, count: 128 - hdf.count)
        #expect(errorText { _ = try MATv5File.parse(hdf, path: "y.mat") }?.contains("version 7.3 (HDF5)") == true)
        // A corrupted compressed element (flip bytes inside the zlib stream) must throw, not trap.
        var compressed = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
        for i in stride(from: 150, to: 260, by: 7) { compressed[i] ^= 0x5A }
        #expect(errorText { _ = try MATv5File.parse(compressed, path: "z.mat") }?.hasPrefix("MAT-file z.mat: ") == true)
        #expect(errorText { _ = try MATv5File.read(path: "/nonexistent/q.mat") } == "cannot read /nonexistent/q.mat: no such file")
    }

    @Test func datasetLayoutsOfTheWritersAreWhatTheLoadersRead() throws {
        let dir = try makeTemporaryDirectory("dvebench-mat")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("bb.mat").path
        try ThreeHundredWDataset.writeBoxFile(path: path, entries: [(imageName: "image_1.jpg", box: [1, 2, 30, 40])])
        let mat = try MATv5File.read(path: path)
        guard case .cell(let dims, let cells)? = mat["bounding_boxes"] else { Issue.record("no cell"); return }
        #expect(dims == [1, 1] && cells[0].field("imgName")?.string == "image_1.jpg")
        if case .numeric(let box)? = cells[0].field("bb_ground_truth") { #expect(box.dimensions == [1, 4]) }
    }

    /// Damaged files (flipped bytes, truncation) give a value or a typed error, never a trap.
    @Test func corruptedAndTruncatedFilesNeverTrap() throws {
        let original = try [UInt8](Data(contentsOf: URL(fileURLWithPath: Self.fixture)))
        var rng = SeededGenerator(seed: 2024)
        var failures = 0
        for _ in 0..<400 {
            var bytes = original
            for _ in 0..<(1 + Int(rng.next() % 4)) {
                let i = 128 + Int(rng.next() % UInt64(bytes.count - 128))
                bytes[i] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            }
            do { _ = try MATv5File.parse(bytes, path: "fuzz.mat") } catch { failures += 1 }
        }
        for length in stride(from: 0, to: original.count, by: 29) {
            do { _ = try MATv5File.parse(Array(original.prefix(length)), path: "cut.mat") } catch { failures += 1 }
        }
        #expect(failures > 100) // most damage is detected (zlib's Adler-32 catches the rest)
    }
}
