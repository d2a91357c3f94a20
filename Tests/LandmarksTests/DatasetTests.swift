import Foundation
import ImageIO
import Landmarks
import Tensors
import Testing
import TestSupport

/// A dataset tree in the real layout, written file by file under a temporary root.
struct DatasetTree {
    let root: URL

    init(_ label: String) throws { root = try makeTemporaryDirectory("dvebench-\(label)") }

    var path: String { root.path }

    func file(_ relative: String) -> String { root.appendingPathComponent(relative).path }

    func text(_ relative: String, _ contents: String) throws {
        let url = root.appendingPathComponent(relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try contents.write(to: url, atomically: true, encoding: .utf8)
    }

    func directory(_ relative: String) throws {
        try FileManager.default.createDirectory(at: root.appendingPathComponent(relative), withIntermediateDirectories: true)
    }

    @discardableResult
    func image(_ relative: String, width: Int, height: Int, seed: UInt64) throws -> RGBImage {
        let image = SyntheticPhoto.make(width: width, height: height, seed: seed)
        try directory((relative as NSString).deletingLastPathComponent)
        try ImageCodec.write(image, toPath: file(relative), jpegQuality: 95)
        return image
    }

    func remove() { try? FileManager.default.removeItem(at: root) }
}

/// `description` of the error `body` throws, or nil.
func errorText(_ body: () throws -> Void) -> String? {
    do { try body(); return nil } catch { return "\(error)" }
}

@Suite struct DatasetCelebATests {
    /// Ids 1…12: partition 0 for 1–6, 1 for 7–8, 2 for 9–12; MAFL train {3, 10}, test {5, 11, 2}
    /// (listed out of order on purpose). Landmarks of id n: x_k = 60 + n + 10k, y_k = 100 + n + 3k.
    static func makeTree(badLandmarkLine: Bool = false) throws -> DatasetTree {
        let tree = try DatasetTree("celeba")
        let ids = (1...12).map { String(format: "%06d.jpg", $0) }
        var landmarks = "202599\nlefteye_x lefteye_y righteye_x righteye_y nose_x nose_y leftmouth_x leftmouth_y rightmouth_x rightmouth_y\n"
        for (i, id) in ids.enumerated() {
            let n = i + 1
            var values: [String] = []
            for k in 0..<5 { values += [String(60 + n + 10 * k), String(100 + n + 3 * k)] }
            landmarks += ([id] + values).joined(separator: "   ") + "\n"
        }
        if badLandmarkLine { landmarks = landmarks.replacingOccurrences(of: "000004.jpg   64   104   74", with: "000004.jpg   64   104   7x4") }
        try tree.text("Anno/list_landmarks_align_celeba.txt", landmarks)
        let partition = ids.enumerated().map { i, id in "\(id) \(i < 6 ? 0 : (i < 8 ? 1 : 2))" }.joined(separator: "\n") + "\n"
        try tree.text("Eval/list_eval_partition.txt", partition)
        try tree.text("MAFL/training.txt", "000003.jpg\n000010.jpg\n")
        try tree.text("MAFL/testing.txt", "000005.jpg\n000011.jpg\n000002.jpg\n")
        for (i, id) in ids.enumerated() {
            try tree.image("Img/img_align_celeba_hq/\(id)", width: 178, height: 218, seed: UInt64(100 + i))
        }
        return tree
    }

    @Test func splitsFollowThePartitionOrderAndTheMAFLRules() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        func names(_ split: CelebADataset.Split) throws -> [String] {
            try CelebADataset(root: tree.path, split: split).names
        }
        #expect(try names(.prunedTrain) == ["000001.jpg", "000004.jpg", "000006.jpg"])
        #expect(try names(.prunedValidation(size: 1)) == ["000009.jpg"])
        #expect(try names(.prunedValidation(size: 2000)) == ["000009.jpg", "000012.jpg"])
        #expect(try names(.prunedMAFLTest) == ["000002.jpg", "000005.jpg", "000011.jpg"])
        #expect(try names(.maflTrain) == ["000003.jpg", "000010.jpg"])
        #expect(try names(.maflTest) == ["000002.jpg", "000005.jpg", "000011.jpg"])
        let test = try CelebADataset(root: tree.path, split: .maflTest)
        #expect(test.referenceCount == 1000 && test.count == 3)
        #expect(errorText { try test.validateReferenceCount() } == "MAFLAligned/test: 3 items, the reference asserts 1000")
    }

    @Test func keypointsAreShiftedAndScaledByHand() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        let small = try CelebADataset(root: tree.path, split: .maflTest)
        // Item 0 is 000002.jpg: left eye (62, 102) → (62·100/178, (102 − 30)·100/178).
        let kp = try small.keypoints(at: 0)
        #expect(abs(kp[0] - 34.831461) < 1e-4 && abs(kp[1] - 40.449438) < 1e-4)
        #expect(kp[0] == Float(62) * Float(100.0 / 178.0) && kp[1] == Float(72) * Float(100.0 / 178.0))
        let hourglass = try CelebADataset(root: tree.path, split: .maflTest, preprocessing: .hourglass)
        let kp136 = try hourglass.keypoints(at: 2) // 000011.jpg, right mouth corner (111, 123)
        #expect(abs(kp136[8] - 111 * 136 / 178.0) < 1e-4 && abs(kp136[9] - 93 * 136 / 178.0) < 1e-4)
    }

    @Test func imagesAreDecodedLazilyThroughTheInitialTransforms() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        let dataset = try CelebADataset(root: tree.path, split: .maflTrain)
        let source = try ImageCodec.decodeFile(atPath: tree.file("Img/img_align_celeba_hq/000010.jpg"))
        #expect(try dataset.preprocessedImage(at: 1) == CelebADataset.initialTransform(source, imageWidth: 100))
        let tensor = try dataset.image(at: 1)
        #expect(tensor.shape == [3, 100, 100])
        let item = try dataset.item(at: 1)
        #expect(item.keypoints.shape == [5, 2] && item.image.storage == tensor.storage)
        #expect(errorText { _ = try dataset.preprocessedImage(at: 2) } == "MAFLAligned/train: item 2 is outside 0..<2")
        // A damaged image is reported with the dataset, the item and the file.
        try Data([0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]).write(to: tree.root.appendingPathComponent("Img/img_align_celeba_hq/000003.jpg"))
        let message = errorText { _ = try dataset.preprocessedImage(at: 0) } ?? ""
        #expect(message.hasPrefix("MAFLAligned/train item 0: ") && message.contains(tree.file("Img/img_align_celeba_hq/000003.jpg")))
    }

    @Test func malformedAndMissingFilesAreNamed() throws {
        let tree = try Self.makeTree(badLandmarkLine: true)
        defer { tree.remove() }
        let path = tree.file("Anno/list_landmarks_align_celeba.txt")
        #expect(errorText { _ = try CelebADataset(root: tree.path, split: .maflTest) }
                == "\(path):6: coordinate 3 is \"7x4\", not a number")
        try tree.text("MAFL/testing.txt", "000005.jpg\n000099.jpg\n")
        #expect(errorText { _ = try CelebADataset(root: tree.path, split: .prunedTrain) }
                == "\(tree.file("MAFL/testing.txt")):2: 000099.jpg is not listed in Eval/list_eval_partition.txt")
        try FileManager.default.removeItem(atPath: tree.file("MAFL/training.txt"))
        #expect(errorText { _ = try CelebADataset(root: tree.path, split: .maflTrain) }
                == "CelebA/MAFL under \(tree.path) is incomplete; missing:\n  MAFL/training.txt  (one `<id>.jpg` per line)")
        let empty = try DatasetTree("empty")
        defer { empty.remove() }
        let text = errorText { _ = try CelebADataset(root: empty.path, split: .maflTest) } ?? ""
        #expect(text.hasPrefix("no CelebA/MAFL dataset under \(empty.path); expected these files there:\n  Anno/list_landmarks_align_celeba.txt"))
        #expect(text.contains("Img/img_align_celeba_hq/"))
    }
}

@Suite struct DatasetAFLWRecropTests {
    /// Train: three images of sizes (w×h) 120×90, 80×100, 100×100; test: two.
    static func makeTree() throws -> DatasetTree {
        let tree = try DatasetTree("aflw-r")
        let train = [("0/a.jpg", 120, 90), ("2/b c.jpg", 80, 100), ("3/d.jpg", 100, 100)]
        let test = [("0/t1.jpg", 64, 48), ("3/t2.jpg", 90, 110)]
        for (split, items) in [("train", train), ("test", test)] {
            try tree.text("aflw_\(split)_images.txt", items.map(\.0).joined(separator: "\n") + "\n")
            var keypoints: [Double] = []
            for (i, item) in items.enumerated() {
                try tree.image("output/\(item.0)", width: item.1, height: item.2, seed: UInt64(200 + i))
                for k in 0..<5 {
                    let x: Double = Double(30 + 5 * k + i), y: Double = Double(45 + 2 * k + i)
                    keypoints += [x, y]
                }
            }
            try AFLWRecropDataset.writeKeypointFile(path: tree.file("aflw_\(split)_keypoints.mat"), keypoints: keypoints,
                                                    sizes: items.map { (height: $0.2, width: $0.1) })
        }
        return tree
    }

    @Test func readsListAndMatInOrderAndScalesByTheStoredSizes() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        let train = try AFLWRecropDataset(root: tree.path, train: true)
        #expect(train.names == ["0/a.jpg", "2/b c.jpg", "3/d.jpg"] && train.count == 3)
        // The file stores gt as (y, x); item 0 keypoint 0 is (x 30, y 45) in a 120×90 image.
        let mat = try MATv5File.read(path: tree.file("aflw_train_keypoints.mat"))
        guard case .numeric(let gt)? = mat["gt"] else { Issue.record("no gt"); return }
        #expect(gt.dimensions == [3, 5, 2] && gt[0, 0, 0] == 45 && gt[0, 0, 1] == 30)
        let kp = try train.keypoints(at: 0)
        #expect(kp[0] == 25 && kp[1] == 50) // 30·100/120, 45·100/90
        let kp1 = try train.keypoints(at: 1)   // (31, 46) in 80×100
        #expect(abs(kp1[0] - 38.75) < 1e-5 && abs(kp1[1] - 46) < 1e-5)
        let image = try train.preprocessedImage(at: 1)
        #expect(image.width == 100 && image.height == 100)
        let test = try AFLWRecropDataset(root: tree.path, train: false, preprocessing: .hourglass)
        #expect(test.names == ["0/t1.jpg", "3/t2.jpg"] && test.referenceCount == 2991)
        #expect(try test.preprocessedImage(at: 0).width == 136)
        // Names and identities key descriptor caches: the shared loader scaffolding keeps them.
        #expect(train.name == "AFLW/train" && test.identity == "AFLW/test imwidth=136 crop=20 root=\(tree.path)")
        #expect(test.itemName(at: 2) == "<no item 2 in AFLW/test>" && test.itemName(at: 1) == "3/t2.jpg")
        #expect(errorText { _ = try test.keypoints(at: 2) } != nil && errorText { _ = try test.preprocessedImage(at: -1) } != nil)
        #expect(train.root == tree.path && train.train && !test.train && test.preprocessing == .hourglass)
    }

    @Test func malformedListAndMismatchedMatAreNamed() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        try tree.text("aflw_train_images.txt", "0/a.jpg\n\n3/d.jpg\n")
        #expect(errorText { _ = try AFLWRecropDataset(root: tree.path, train: true) }
                == "\(tree.file("aflw_train_images.txt")):2: empty line; expected an image path")
        try tree.text("aflw_train_images.txt", "0/a.jpg\n3/d.jpg\n")
        #expect(errorText { _ = try AFLWRecropDataset(root: tree.path, train: true) }
                == "\(tree.file("aflw_train_keypoints.mat")): `gt` is 3×5×2, expected 2×5×2 (N = 2 from the image list)")
        try Data("MATLAB 5.0 MAT-file, not really".utf8).write(to: tree.root.appendingPathComponent("aflw_test_keypoints.mat"))
        #expect(errorText { _ = try AFLWRecropDataset(root: tree.path, train: false) }
                == "MAT-file \(tree.file("aflw_test_keypoints.mat")): 31 bytes is too short for a MAT-file header (128 bytes)")
    }
}

@Suite struct DatasetAFLWMTFLTests {
    static let header = "face_id,image_file,set,crop_file,x1,y1,x2,y2,x3,y3,x4,y4,x5,y5"

    static func makeTree() throws -> DatasetTree {
        let tree = try DatasetTree("aflw-m")
        var csv = header + "\n"
        for (i, set) in [1, 2, 1, 1].enumerated() {
            let values = (0..<10).map { String(51 + 7 * $0 + i) }.joined(separator: ",")
            csv += "\(i),image\(40 + i).jpg,\(set),cropped/\(i).jpg,\(values)\n"
            try tree.image("aflw_cropped/cropped/\(i).jpg", width: 150, height: 150, seed: UInt64(300 + i))
        }
        try tree.text("aflw_cropped/facedata_cropped.csv", csv)
        try tree.text("MTFL/testing.txt", """
            AFLW\\1-image00013.jpg 50 100 75 60 90 40 40 80 110 112 1 2 1 3
            AFLW/2-image00099.jpg 51 101 76 61 91 41 41 81 111 113 2 2 1 1

            """)
        try tree.image("MTFL/AFLW/1-image00013.jpg", width: 150, height: 150, seed: 310)
        try tree.image("MTFL/AFLW/2-image00099.jpg", width: 150, height: 120, seed: 311)
        return tree
    }

    @Test func trainUsesSetOneRowsAndTestUsesMTFLWithSlashes() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        let train = try AFLWMTFLDataset(root: tree.path, train: true)
        #expect(train.names == ["cropped/0.jpg", "cropped/2.jpg", "cropped/3.jpg"])
        // Row 2 (item 1): x1 = 53, y1 = 60 → (x − 1)·100/150.
        let kp = try train.keypoints(at: 1)
        #expect(kp[0] == Float(52) * Float(100.0 / 150.0) && kp[1] == Float(59) * Float(100.0 / 150.0))
        try train.validateReferenceInvariants(includingCount: false)
        #expect(errorText { try train.validateReferenceInvariants() } == "AFLW_MTFL/train: 3 items, the reference asserts 10122")
        let test = try AFLWMTFLDataset(root: tree.path, train: false, preprocessing: .hourglass)
        #expect(test.names == ["AFLW/1-image00013.jpg", "AFLW/2-image00099.jpg"])
        #expect(train.name == "AFLW_MTFL/train" && test.identity == "AFLW_MTFL/test imwidth=136 crop=20 root=\(tree.path)")
        // x1 = 50, y1 = 40 (columns 1 and 6): ((50 − 1), (40 − 1))·136/150.
        let kt = try test.keypoints(at: 0)
        #expect(abs(kt[0] - 49 * 136 / 150.0) < 1e-4 && abs(kt[1] - 39 * 136 / 150.0) < 1e-4)
        #expect(abs(kt[8] - 89 * 136 / 150.0) < 1e-4 && abs(kt[9] - 111 * 136 / 150.0) < 1e-4)
        #expect(try test.preprocessedImage(at: 0).width == 136)
        let message = errorText { _ = try test.preprocessedImage(at: 1) } ?? ""
        #expect(message.hasSuffix("a 150×120 image resizes to 170×136; AFLW_M images must be square (150×150)"))
    }

    @Test func malformedLinesAreNamed() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        try tree.text("MTFL/testing.txt", "AFLW/1-image00013.jpg 50 100 75 60 90 40 40 80 110 112 1 2 1 3\nAFLW/2.jpg 1 2 3 4\n")
        #expect(errorText { _ = try AFLWMTFLDataset(root: tree.path, train: false) }
                == "\(tree.file("MTFL/testing.txt")):2: expected `<path> x1 … x5 y1 … y5 …`, found 5 field(s)")
        try tree.text("MTFL/testing.txt", "AFLW/1-image00013.jpg 50 100 75 60 90 40 40 80 110 112 1 2 1 3\n")
        try tree.text("aflw_cropped/facedata_cropped.csv", Self.header + "\n0,image.jpg,1,cropped/0.jpg,1,2,3\n")
        #expect(errorText { _ = try AFLWMTFLDataset(root: tree.path, train: true) }
                == "\(tree.file("aflw_cropped/facedata_cropped.csv")):2: 7 fields, the header has 14")
        try tree.text("aflw_cropped/facedata_cropped.csv", "face_id,image,set,crop_file,x1,y1,x2,y2,x3,y3,x4,y4,x5,y5\n")
        #expect(errorText { _ = try AFLWMTFLDataset(root: tree.path, train: true) }?.contains(":1: no `image_file` column") == true)
    }
}

@Suite struct DatasetThreeHundredWTests {
    /// Subsets with (image name, box); the ibug entry `other.jpg` is dropped by the name rule.
    static let train: [(String, String, [(String, [Double])])] = [
        ("afw", "afw", [("1.jpg", [101, 51, 200, 150]), ("2.jpg", [20, 30, 90, 95])]),
        ("helen_trainset", "helen/trainset", [("h1.jpg", [40.5, 20.25, 150.75, 140])]),
        ("lfpw_trainset", "lfpw/trainset", [("image_0001.png", [10, 10, 60, 70])]),
    ]
    static let test: [(String, String, [(String, [Double])])] = [
        ("helen_testset", "helen/testset", [("t1.jpg", [30, 30, 120, 125])]),
        ("lfpw_testset", "lfpw/testset", [("image_0002.png", [5, 8, 80, 90])]),
        ("ibug", "ibug", [("other.jpg", [1, 1, 50, 50]), ("image_003.jpg", [50, 40, 150, 140])]),
    ]

    static func makeTree(points: Int = 68) throws -> DatasetTree {
        let tree = try DatasetTree("300w")
        try tree.directory("Bounding Boxes")
        for (i, (suffix, folder, entries)) in (train + test).enumerated() {
            try ThreeHundredWDataset.writeBoxFile(path: tree.file("Bounding Boxes/bounding_boxes_\(suffix).mat"),
                                                  entries: entries.map { (imageName: $0.0, box: $0.1) })
            for (j, entry) in entries.enumerated() where entry.0 != "other.jpg" {
                try tree.image("\(folder)/\(entry.0)", width: 210, height: 180, seed: UInt64(400 + 10 * i + j))
                var pts: [Double] = []
                for k in 0..<points { pts += [entry.1[0] + Double(k), entry.1[1] + 0.5 * Double(k)] }
                let base = String(entry.0.dropLast(3))
                try ThreeHundredWDataset.writePoints(path: tree.file("\(folder)/\(base)pts"), points: pts)
            }
        }
        return tree
    }

    @Test func splitOrderFilterAndCrop() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        let train = try ThreeHundredWDataset(root: tree.path, train: true)
        #expect(train.names == ["afw/1.jpg", "afw/2.jpg", "helen/trainset/h1.jpg", "lfpw/trainset/image_0001.png"])
        let test = try ThreeHundredWDataset(root: tree.path, train: false)
        #expect(test.names == ["helen/testset/t1.jpg", "lfpw/testset/image_0002.png", "ibug/image_003.jpg"])
        #expect(test.eyes == .sixtyEightPoint && test.keypointCount == 68 && test.referenceCount == 689)
        #expect(train.name == "ThreeHundredW/train" && test.identity == "ThreeHundredW/test imwidth=100 crop=15 root=\(tree.path)")
        #expect(errorText { _ = try test.keypoints(at: 3) } != nil)
        // Box [101, 51, 200, 150]: fac 0.52, centre (151.5, 101.5) → window left 28, top 0.
        let crop = train.crops[0]
        #expect(crop.scale == 0.52 && crop.left == 28 && crop.top == 0)
        // Point 0 = (101, 51): 101·0.52 − 28 − 1 = 23.52, 51·0.52 − 0 − 1 = 25.52.
        let kp = try train.keypoints(at: 0)
        #expect(abs(kp[0] - 23.52) < 1e-4 && abs(kp[1] - 25.52) < 1e-4 && kp.count == 136)
        let image = try train.preprocessedImage(at: 0)
        #expect(image.width == 100 && image.height == 100)
        let big = try ThreeHundredWDataset(root: tree.path, train: false, preprocessing: .hourglass)
        #expect(try big.preprocessedImage(at: 2).width == 136)
        #expect(abs(try big.keypoints(at: 0)[0] - (try test.keypoints(at: 0)[0]) * 1.36) < 1e-3)
    }

    @Test func malformedPointsFileIsNamed() throws {
        let tree = try Self.makeTree()
        defer { tree.remove() }
        var text = "version: 1\nn_points:  68\n{\n"
        for k in 0..<67 { text += "\(k) \(k)\n" }
        try tree.text("afw/2.pts", text + "}\n")
        #expect(errorText { _ = try ThreeHundredWDataset(root: tree.path, train: true) }
                == "\(tree.file("afw/2.pts")):71: expected `version: 1`, `n_points: 68`, `{`, 68 `x y` lines and `}`; found 134 values between the header and the last token")
        try FileManager.default.removeItem(atPath: tree.file("Bounding Boxes/bounding_boxes_ibug.mat"))
        #expect(errorText { _ = try ThreeHundredWDataset(root: tree.path, train: false) }?
            .hasSuffix("is incomplete; missing:\n  Bounding Boxes/bounding_boxes_ibug.mat  (Level-5 MAT-file: `bounding_boxes`, 1×N cell of structs with imgName, bb_ground_truth)") == true)
    }
}
