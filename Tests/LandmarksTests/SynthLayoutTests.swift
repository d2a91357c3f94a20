import Foundation
import ImageIO
import Landmarks
import Testing

/// `SynthTree`: every layout writes the files the reference reads, with the right headers, line
/// counts and values, atomically. (`SynthTreeLoaderTests` reads every layout back through the real
/// loaders; `SynthTreeDatasetTests` compares them with the in-memory trees.)
@Suite struct SynthLayoutTests {
    /// A fresh directory under the temp dir, removed afterwards.
    final class Scratch {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.path + "/SynthLayoutTests-" + UUID().uuidString
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
    }

    static func lines(_ path: String) throws -> [String] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .dropLast().map(String.init)
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    @Test func celebAWritesTheFiveFilesAndNonEmptySplits() throws {
        let scratch = try Scratch()
        let root = scratch.path + "/data/celeba"
        let summary = try SynthTree(layout: .celeba, count: 23, seed: 4).write(to: root)
        let landmarks = try Self.lines(root + "/Anno/list_landmarks_align_celeba.txt")
        #expect(landmarks.count == 2 + 23)
        #expect(landmarks[0] == "23")
        #expect(landmarks[1] == "lefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y")
        let first = landmarks[2].split(separator: " ")
        #expect(first.count == 11 && first[0] == "000001.jpg")
        #expect(landmarks[2].hasPrefix("000001.jpg ") && landmarks[2].count == "000001.jpg".count + 1 + 50)
        let partition = try Self.lines(root + "/Eval/list_eval_partition.txt")
        #expect(partition.count == 23 && partition[0] == "000001.jpg 0" && partition[22] == "000023.jpg 2")
        let maflTrain = try Self.lines(root + "/MAFL/training.txt"), maflTest = try Self.lines(root + "/MAFL/testing.txt")
        #expect(Set(maflTest) == ["000007.jpg", "000017.jpg"])
        #expect(Set(maflTrain) == ["000004.jpg", "000011.jpg", "000014.jpg", "000021.jpg"])
        #expect(try Self.lines(root + "/Anno/identity_CelebA.txt").count == 23)
        for split in ["train", "val", "test", "mafl-train", "mafl-test"] {
            #expect(summary.items.contains { $0.split == split }, "split \(split) is empty")
        }
        for item in summary.items {
            let name = String(item.path.split(separator: "/").last ?? "")
            let hq = try ImageCodec.decodeFile(atPath: root + "/" + item.path)
            let lq = try ImageCodec.decodeFile(atPath: root + "/Img/img_align_celeba/" + name)
            #expect(hq.width == 178 && hq.height == 218 && lq.width == 178 && lq.height == 218)
            #expect(item.annotated.allSatisfy { $0.x == $0.x.rounded() && $0.y == $0.y.rounded() })
            #expect(zip(item.annotated, item.landmarks).allSatisfy { abs($0.x - $1.x) <= 0.5 && abs($0.y - $1.y) <= 0.5 })
        }
        // The written integers are the items' `annotated` values, in partition order.
        let values = first.dropFirst().compactMap { Int($0) }.map(Double.init)
        #expect(values == summary.items[0].annotated.flatMap { [$0.x, $0.y] })
        #expect(Self.exists(root + "/SYNTHFACES.txt"))
    }

    @Test func celebANeedsTenImagesAndAvoidsIdentityCountsDividingTen() throws {
        #expect(throws: SynthLayoutError.self) { try SynthTree(layout: .celeba, count: 9) }
        #expect(try SynthTree(layout: .celeba, count: 40, identities: 5).identities == 6)
        for count in [10, 11, 17, 20, 31] {
            let ids = (1...count)
            #expect(ids.contains { SynthTree.celebAPartition($0, count: count) == 0 && SynthTree.celebAMAFL($0, count: count) == nil })
            #expect(ids.contains { SynthTree.celebAPartition($0, count: count) == 2 && SynthTree.celebAMAFL($0, count: count) == nil })
            #expect(ids.contains { SynthTree.celebAMAFL($0, count: count) == "mafl-test" })
            #expect(ids.contains { SynthTree.celebAMAFL($0, count: count) == "mafl-train" })
        }
    }

    @Test func aflwRWritesListsAndMATFiles() throws {
        let scratch = try Scratch()
        let root = scratch.path + "/aflw_release-2"
        let summary = try SynthTree(layout: .aflwR, count: 9, seed: 2).write(to: root)
        let train = try Self.lines(root + "/aflw_train_images.txt"), test = try Self.lines(root + "/aflw_test_images.txt")
        #expect(train.count == 7 && test.count == 2)
        for (list, name) in [(train, "train"), (test, "test")] {
            let mat = try MATv5File.read(path: root + "/aflw_\(name)_keypoints.mat")
            guard case .numeric(let gt)? = mat["gt"], case .numeric(let hw)? = mat["hw"] else {
                Issue.record("gt/hw missing in \(name)"); continue
            }
            #expect(gt.dimensions == [list.count, 5, 2] && hw.dimensions == [list.count, 2])
            for (row, path) in list.enumerated() {
                let item = try #require(summary.items.first { $0.path == "output/" + path })
                let image = try ImageCodec.decodeFile(atPath: root + "/output/" + path)
                #expect(hw[row, 0] == Double(image.height) && hw[row, 1] == Double(image.width))
                for k in 0..<5 {
                    #expect(gt[row, k, 0] == item.annotated[k].y && gt[row, k, 1] == item.annotated[k].x)
                }
            }
        }
    }

    @Test func aflwMWritesTheCSVAndTheMTFLList() throws {
        let scratch = try Scratch()
        let root = scratch.path + "/aflw-mtfl"
        let summary = try SynthTree(layout: .aflwM, count: 13, seed: 3).write(to: root)
        let csv = try Self.lines(root + "/aflw_cropped/facedata_cropped.csv")
        #expect(csv[0] == "face_id,image_file,set,crop_file,x1,y1,x2,y2,x3,y3,x4,y4,x5,y5")
        let rows = csv.dropFirst().map { $0.split(separator: ",").map(String.init) }
        #expect(rows.count == 13 && rows.allSatisfy { $0.count == 14 })
        let trainRows = rows.filter { $0[2] == "1" }, testRows = rows.filter { $0[2] == "2" }
        #expect(trainRows.count == 10 && testRows.count == 3)
        #expect(rows.allSatisfy { Self.exists(root + "/aflw_cropped/" + $0[3]) })
        let testing = try Self.lines(root + "/MTFL/testing.txt").map { $0.split(separator: " ").map(String.init) }
        #expect(testing.count == 3 && testing.allSatisfy { $0.count == 15 && $0[0].hasPrefix("AFLW/") })
        let testNames = testing.map { String($0[0].split(separator: "-").last ?? "") }
        #expect(Set(testNames) == Set(testRows.map { $0[1] }))          // the reference's assertion
        #expect(Set(trainRows.map { $0[1] }).isDisjoint(with: testNames))
        // Column 4…13 = (x, y) pairs, 1-based; testing.txt = x1…x5 then y1…y5, 1-based.
        let firstTrain = try #require(summary.items.first { $0.split == "train" })
        let values = trainRows[0][4...].compactMap(Double.init)
        #expect(values == firstTrain.annotated.flatMap { [$0.x + 1, $0.y + 1] })
        let firstTest = try #require(summary.items.first { $0.split == "test" })
        #expect(testing[0][1...5].compactMap(Double.init) == firstTest.annotated.map { $0.x + 1 })
        #expect(testing[0][6...10].compactMap(Double.init) == firstTest.annotated.map { $0.y + 1 })
        let image = try ImageCodec.decodeFile(atPath: root + "/" + firstTest.path)
        #expect(image.width == 150 && image.height == 150)
    }

    @Test func threeHundredWWritesSubsetsPointsAndBoxes() throws {
        let scratch = try Scratch()
        let root = scratch.path + "/300w"
        let summary = try SynthTree(layout: .threeHundredW, count: 12, seed: 5).write(to: root)
        let subsets = ["afw", "helen/trainset", "lfpw/trainset", "helen/testset", "lfpw/testset", "ibug"]
        for subset in subsets {
            let items = summary.items.filter { $0.group == subset }
            #expect(!items.isEmpty, "\(subset) is empty")
            let mat = try MATv5File.read(path: root + "/Bounding Boxes/bounding_boxes_\(subset.replacingOccurrences(of: "/", with: "_")).mat")
            guard case .cell(let dims, let entries)? = mat["bounding_boxes"] else { Issue.record("no cell in \(subset)"); continue }
            #expect(dims == [1, items.count + (subset == "ibug" ? 1 : 0)])
            for (item, entry) in zip(items, entries) {
                #expect(entry.dimensions == [1, 1])
                #expect(entry.field("imgName")?.string == String(item.path.dropFirst(subset.count + 1)))
                guard case .numeric(let box)? = entry.field("bb_ground_truth") else { Issue.record("no box"); continue }
                #expect(box.dimensions == [1, 4] && box.real == item.boundingBox)
                let pts = try Self.lines(root + "/" + item.path.dropLast(3) + "pts")
                #expect(pts.count == 72 && pts[0] == "version: 1" && pts[1] == "n_points:  68" && pts[2] == "{" && pts[71] == "}")
                let first = pts[3].split(separator: " ").compactMap { Double($0) }
                #expect(first == [item.annotated[0].x + 1, item.annotated[0].y + 1])
                #expect(Self.exists(root + "/" + item.path))
            }
            if subset == "ibug", let last = entries.last {
                #expect(last.field("imgName")?.string?.hasPrefix("image") == false)
            }
        }
        #expect(summary.items.filter { $0.group.hasPrefix("lfpw") }.allSatisfy { $0.path.hasSuffix(".png") })
        #expect(summary.items.allSatisfy { $0.annotated.count == 68 })
    }

    @Test func treesAppearAtomicallyAndRefuseToClobber() throws {
        let scratch = try Scratch()
        let root = scratch.path + "/tree"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        #expect(FileManager.default.createFile(atPath: root + "/keep.txt", contents: Data("x".utf8)))
        #expect(throws: SynthLayoutError.self) { try SynthTree(layout: .aflwR, count: 3).write(to: root) }
        #expect(Self.exists(root + "/keep.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["tree"])  // no staging left
        _ = try SynthTree(layout: .aflwR, count: 3).write(to: root, overwrite: true)
        #expect(!Self.exists(root + "/keep.txt") && Self.exists(root + "/aflw_train_images.txt"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: scratch.path) == ["tree"])
    }

    @Test func outputDoesNotDependOnTheThreadCount() throws {
        let scratch = try Scratch()
        let one = try SynthTree(layout: .aflwM, count: 6, seed: 9).write(to: scratch.path + "/a", threads: 1)
        _ = try SynthTree(layout: .aflwM, count: 6, seed: 9).write(to: scratch.path + "/b", threads: 2)
        for file in one.imageFiles + one.annotationFiles {
            let a = FileManager.default.contents(atPath: scratch.path + "/a/" + file)
            #expect(a != nil && a == FileManager.default.contents(atPath: scratch.path + "/b/" + file), "\(file)")
        }
    }

    @Test func contactSheetOfAWrittenTreeDecodes() throws {
        let scratch = try Scratch()
        let summary = try SynthTree(layout: .celeba, count: 10).write(to: scratch.path + "/celeba")
        let cells = try summary.items.map { item in
            SynthContactSheet.Cell(image: try ImageCodec.decodeFile(atPath: summary.root + "/" + item.path),
                                   landmarks: item.annotated)
        }
        let path = scratch.path + "/sheet.png"
        try ImageCodec.write(SynthContactSheet.make(cells, columns: 5, points: .five, scale: 1), toPath: path)
        let sheet = try ImageCodec.decodeFile(atPath: path)
        #expect(sheet.width == 4 + 5 * (178 + 4) && sheet.height == 4 + 2 * (218 + 4))
    }
}
