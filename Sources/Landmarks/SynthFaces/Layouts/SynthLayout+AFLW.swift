import Foundation
import Tensors

/// The two AFLW layouts (datasets.md §4–5). Both split like the real sets: ≈ 23 % test
/// (2 991 / 13 113 for AFLW_R, 2 995 / 13 117 for AFLW_M), at least one image on each side; train
/// items come first (SynthFaces items 0 ..< train), then test.
///
/// **AFLW_R** (`data/aflw/aflw_release-2`):
/// ```
/// output/{0,2,3}/imageNNNNN.jpg         variable size: width 120…240, height 0.85…1.25 × width
/// aflw_train_images.txt, aflw_test_images.txt   one path per line, relative to output/
/// aflw_train_keypoints.mat, aflw_test_keypoints.mat   MAT v5 (scipy.io.loadmat): `gt` N×5×2 double
///                                       holding (y, x) — the reference swaps to (x, y) — and `hw`
///                                       N×2 double (height, width); 0-based pixels
/// ```
/// **AFLW_M** (`data/aflw-mtfl`), 150×150 images:
/// ```
/// aflw_cropped/facedata_cropped.csv     header `face_id,image_file,set,crop_file,x1,y1,…,x5,y5`:
///                                       keypoints at 0-based columns 4…13 as (x, y) pairs, 1-based;
///                                       set 1 = train rows; set 2 rows are the test images (the
///                                       reference asserts every test name appears in image_file)
/// aflw_cropped/cropped/cropNNNNN.jpg    every CSV row's crop_file (test crops are copies)
/// MTFL/testing.txt                      `AFLW/<k>-imageNNNNN.jpg x1…x5 y1…y5 gender smile glasses pose`
///                                       1-based, '/' separators; attributes 1 = yes/male, 2 = no/female,
///                                       pose 1…5 = yaw < −30°, < −10°, ±10°, > 10°, > 30° (negative =
///                                       turned towards the image's left)
/// MTFL/AFLW/<k>-imageNNNNN.jpg          the test images
/// ```
extension SynthTree {
    /// (train, test) sizes for `count` with the real test fraction `test / total`.
    static func aflwSplit(count: Int, test: Int, total: Int) -> (train: Int, test: Int) {
        let n = min(count - 1, max(1, Int((Double(count) * Double(test) / Double(total)).rounded())))
        return (count - n, n)
    }

    static func imageNumber(_ index: Int) -> String {
        let digits = String(10_000 + index)
        return "image" + String(repeating: "0", count: max(0, 5 - digits.count)) + digits
    }

    // MARK: AFLW_R

    func aflwRJobs() -> [SynthImageJob] {
        (0..<count).map { i in
            var r = SynthRandom(seed: SeededGenerator.derive(seed, 0xAF1E, UInt64(i)))
            let w = Int(r.uniform(120, 241)), h = Int((Float(w) * r.uniform(0.85, 1.25)).rounded())
            let framing = SynthFraming(
                width: w, height: h, eyeMidpoint: SynthPoint(x: Double(w) / 2, y: 0.42 * Double(h)),
                interocular: 0.24 * Double(w), rotationSD: 10, scaleSD: 0.08, translationSD: 0.03 * Double(w), yawSD: 15)
            let folder = ["0", "2", "3"][i % 3]
            return SynthImageJob(path: "output/\(folder)/\(Self.imageNumber(i)).jpg", index: i, framing: framing, quality: 92)
        }
    }

    func aflwRAnnotations(_ rendered: [SynthRendered]) throws(SynthLayoutError) -> SynthAnnotations {
        var notes = SynthAnnotations()
        let split = Self.aflwSplit(count: count, test: 2_991, total: 13_113)
        for (name, part) in [("train", rendered[..<split.train]), ("test", rendered[split.train...])] {
            let items = Array(part)
            let n = items.count
            notes.text("aflw_\(name)_images.txt", items.map { String($0.job.path.dropFirst("output/".count)) })
            var gt = [Double](repeating: 0, count: n * 10), hw = [Double](repeating: 0, count: n * 2)
            for (row, item) in items.enumerated() {
                for (k, p) in item.landmarks5.enumerated() {
                    gt[row + n * (k + 5 * 0)] = p.y      // column-major (N, 5, 2): [.., .., 0] = y
                    gt[row + n * (k + 5 * 1)] = p.x
                }
                hw[row] = Double(item.job.framing.height)
                hw[row + n] = Double(item.job.framing.width)
                notes.items.append(SynthLayoutItem(
                    path: item.job.path, split: name, group: name, index: item.job.index, identity: item.identity,
                    width: item.job.framing.width, height: item.job.framing.height, framing: item.job.framing,
                    landmarks: item.landmarks5,
                    landmarks68: item.landmarks68, annotated: item.landmarks5))
            }
            let path = "aflw_\(name)_keypoints.mat"
            do {
                let bytes = try MATv5Writer.encode([
                    ("gt", MATv5Writer.doubles(gt, dimensions: [n, 5, 2])),
                    ("hw", MATv5Writer.doubles(hw, dimensions: [n, 2])),
                ])
                notes.files.append((path, bytes))
            } catch {
                throw .annotation(path: path, reason: error.description)
            }
        }
        return notes
    }

    // MARK: AFLW_M

    static let aflwMFraming = SynthFraming(
        width: 150, height: 150, eyeMidpoint: SynthPoint(x: 75, y: 66), interocular: 38,
        rotationSD: 8, scaleSD: 0.08, translationSD: 3, yawSD: 14)

    func aflwMJobs() -> [SynthImageJob] {
        let split = Self.aflwSplit(count: count, test: 2_995, total: 13_117)
        return (0..<count).map { i in
            let crop = "aflw_cropped/cropped/crop\(String(Self.imageNumber(i).dropFirst(5))).jpg"
            if i < split.train {
                return SynthImageJob(path: crop, index: i, framing: Self.aflwMFraming, quality: 92)
            }
            let k = i - split.train + 1
            return SynthImageJob(path: "MTFL/AFLW/\(k)-\(Self.imageNumber(i)).jpg", index: i, framing: Self.aflwMFraming,
                                 quality: 92, copies: [(crop, 92)])
        }
    }

    func aflwMAnnotations(_ rendered: [SynthRendered]) -> SynthAnnotations {
        var notes = SynthAnnotations()
        let split = Self.aflwSplit(count: count, test: 2_995, total: 13_117)
        var trainRows: [String] = [], testRows: [String] = [], testLines: [String] = []
        for (i, item) in rendered.enumerated() {
            let isTrain = i < split.train
            let coords = item.landmarks5.map { (SynthPoint.oneBased($0.x), SynthPoint.oneBased($0.y)) }
            let annotated = coords.map { SynthPoint(x: $0.0.readBack, y: $0.1.readBack) }
            let crop = isTrain ? item.job.path : item.job.copies[0].path
            let row = ["\(i + 1)", Self.imageNumber(i) + ".jpg", isTrain ? "1" : "2", String(crop.dropFirst("aflw_cropped/".count))]
                + coords.flatMap { [$0.0.text, $0.1.text] }
            if isTrain { trainRows.append(row.joined(separator: ",")) } else { testRows.append(row.joined(separator: ",")) }
            if !isTrain {
                let a = item.attributes
                let yaw = a.yawDegrees
                let pose = yaw < -30 ? 1 : yaw < -10 ? 2 : yaw <= 10 ? 3 : yaw <= 30 ? 4 : 5
                let fields = [String(item.job.path.dropFirst("MTFL/".count))] + coords.map(\.0.text) + coords.map(\.1.text)
                    + [a.masculine ? "1" : "2", a.smiling ? "1" : "2", a.glasses ? "1" : "2", "\(pose)"]
                testLines.append(fields.joined(separator: " "))
            }
            notes.items.append(SynthLayoutItem(
                path: item.job.path, split: isTrain ? "train" : "test", group: isTrain ? "train" : "test",
                index: item.job.index, identity: item.identity, width: 150, height: 150, framing: item.job.framing,
                landmarks: item.landmarks5, landmarks68: item.landmarks68, annotated: annotated))
        }
        // Interleave the set-2 rows among the set-1 rows, as in the real file, so a loader must
        // filter on `set` rather than take a prefix.
        var csv = ["face_id,image_file,set,crop_file,x1,y1,x2,y2,x3,y3,x4,y4,x5,y5"]
        var t = 0
        for (j, row) in trainRows.enumerated() {
            csv.append(row)
            while t < testRows.count && (t + 1) * trainRows.count <= (j + 1) * testRows.count { csv.append(testRows[t]); t += 1 }
        }
        csv += testRows[t...]
        notes.text("aflw_cropped/facedata_cropped.csv", csv)
        notes.text("MTFL/testing.txt", testLines)
        return notes
    }
}
