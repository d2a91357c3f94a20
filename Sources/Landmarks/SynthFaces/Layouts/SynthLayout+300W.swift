import Foundation
import Tensors

/// 300-W (`data/300w/300w`, datasets.md §6), 68 points:
/// ```
/// afw/NNNNNNN_1.jpg + .pts             train   (the subsets share the real set's proportions,
/// helen/trainset/NNNNNNNNN_1.jpg + .pts train    337 : 2000 : 811 train, 330 : 224 : 135 test,
/// lfpw/trainset/image_NNNN.png + .pts  train    each at least one image)
/// helen/testset/NNNNNNNNN_1.jpg + .pts test
/// lfpw/testset/image_NNNN.png + .pts   test    (PNG, as in the real lfpw folders)
/// ibug/image_NNN_1.jpg + .pts          test
/// Bounding Boxes/bounding_boxes_<subset>.mat   MAT v5: `bounding_boxes`, a 1×N cell of 1×1 structs
///                                       {imgName, bb_detector, bb_ground_truth}, boxes 1×4 double
///                                       [xmin ymin xmax ymax], MATLAB 1-based. bb_ground_truth is
///                                       the tight box of the written points; bb_detector a jittered
///                                       copy. The ibug file also lists one entry whose name does not
///                                       start with `image` and has no image, like the real one (the
///                                       reference skips it). `_xm2vts` exists with no entries.
/// ```
/// The cell-of-structs shape is what the reference's `ds['bounding_boxes'][0, i]['imgName'][0, 0][0]`
/// needs. `.pts` files are `version: 1` / `n_points:  68` / `{` / 68 lines `x y` (1-based, three
/// decimals) / `}`. Images have random sizes (inter-ocular 40…90 px, sides 3.4…5.5 inter-oculars)
/// with the face anywhere it fits, so the reference's box-driven crop and its zero padding both run.
extension SynthTree {
    static let threeHundredWTrain: [(String, Int)] = [("afw", 337), ("helen/trainset", 2_000), ("lfpw/trainset", 811)]
    static let threeHundredWTest: [(String, Int)] = [("helen/testset", 330), ("lfpw/testset", 224), ("ibug", 135)]

    /// Splits `total` (≥ weights.count) over `weights`, each part ≥ 1, by largest remainder.
    static func allocate(_ total: Int, weights: [Int]) -> [Int] {
        let sum = Double(weights.reduce(0, +)), spare = total - weights.count
        var parts = weights.map { 1 + Int(Double(spare) * Double($0) / sum) }
        let order = weights.indices.sorted { a, b in
            let fa = Double(spare) * Double(weights[a]) / sum, fb = Double(spare) * Double(weights[b]) / sum
            return (fa - fa.rounded(.down), b) > (fb - fb.rounded(.down), a)
        }
        var k = 0
        while parts.reduce(0, +) < total { parts[order[k % order.count]] += 1; k += 1 }
        return parts
    }

    /// (subset, count) in the reference's order: train subsets, then test subsets.
    func threeHundredWSubsets() -> [(name: String, count: Int, train: Bool)] {
        let test = max(3, min(count - 3, Int((Double(count) * 689 / 3_837).rounded())))
        let trainParts = Self.allocate(count - test, weights: Self.threeHundredWTrain.map(\.1))
        let testParts = Self.allocate(test, weights: Self.threeHundredWTest.map(\.1))
        return zip(Self.threeHundredWTrain, trainParts).map { ($0.0, $1, true) }
            + zip(Self.threeHundredWTest, testParts).map { ($0.0, $1, false) }
    }

    static func threeHundredWName(subset: String, ordinal: Int, index: Int) -> String {
        func padded(_ n: Int, _ width: Int) -> String {
            let digits = String(n)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        switch subset {
        case "afw": return "\(4_000_000 + index)_1.jpg"
        case "helen/trainset", "helen/testset": return "\(100_000_000 + index)_1.jpg"
        case "ibug": return "image_\(padded(ordinal, 3))_1.jpg"
        default: return "image_\(padded(ordinal, 4)).png"
        }
    }

    func threeHundredWJobs() -> [SynthImageJob] {
        var jobs: [SynthImageJob] = []
        for subset in threeHundredWSubsets() {
            for ordinal in 1...subset.count {
                let i = jobs.count
                var r = SynthRandom(seed: SeededGenerator.derive(seed, 0x300E, UInt64(i)))
                let iod = r.uniform(40, 90)
                let w = Int(iod * r.uniform(3.4, 5.5)), h = Int(iod * r.uniform(3.4, 5.5))
                let x = r.uniform(1.5 * iod, Float(w) - 1.5 * iod), y = r.uniform(1.3 * iod, max(1.3 * iod, Float(h) - 2.1 * iod))
                let framing = SynthFraming(width: w, height: h, eyeMidpoint: SynthPoint(x: Double(x), y: Double(y)),
                                           interocular: Double(iod), rotationSD: 10, scaleSD: 0.05,
                                           translationSD: 0, yawSD: 16)
                let name = Self.threeHundredWName(subset: subset.name, ordinal: ordinal, index: i)
                jobs.append(SynthImageJob(path: subset.name + "/" + name, index: i, framing: framing, quality: 92))
            }
        }
        return jobs
    }

    func threeHundredWAnnotations(_ rendered: [SynthRendered]) throws(SynthLayoutError) -> SynthAnnotations {
        var notes = SynthAnnotations()
        var next = 0
        for subset in threeHundredWSubsets() {
            var entries: [MATValue] = []
            for item in rendered[next..<next + subset.count] {
                let coords = item.landmarks68.map { (SynthPoint.oneBased($0.x), SynthPoint.oneBased($0.y)) }
                let annotated = coords.map { SynthPoint(x: $0.0.readBack, y: $0.1.readBack) }
                let pts = ["version: 1", "n_points:  68", "{"] + coords.map { "\($0.0.text) \($0.1.text)" } + ["}"]
                notes.text(String(item.job.path.dropLast(3)) + "pts", pts)
                let xs = annotated.map { $0.x + 1 }, ys = annotated.map { $0.y + 1 }
                let box = [xs.min() ?? 0, ys.min() ?? 0, xs.max() ?? 0, ys.max() ?? 0]
                var r = SynthRandom(seed: SeededGenerator.derive(seed, 0x300B, UInt64(item.job.index)))
                let spread = (box[2] - box[0]) * 0.04
                let detector = box.map { ($0 + Double(r.uniform(-1, 1)) * spread).rounded() }
                let name = String(item.job.path.dropFirst(subset.name.count + 1))
                entries.append(Self.boxEntry(name: name, detector: detector, groundTruth: box))
                notes.items.append(SynthLayoutItem(
                    path: item.job.path, split: subset.train ? "train" : "test", group: subset.name,
                    index: item.job.index, identity: item.identity, width: item.job.framing.width,
                    height: item.job.framing.height, framing: item.job.framing,
                    landmarks: item.landmarks68, landmarks68: item.landmarks68,
                    annotated: annotated, boundingBox: box))
            }
            next += subset.count
            if subset.name == "ibug" {
                entries.append(Self.boxEntry(name: "unlisted_ibug_001.jpg", detector: [1, 1, 50, 50], groundTruth: [1, 1, 50, 50]))
            }
            try notes.mat(Self.boxFile(subset.name), entries)
        }
        try notes.mat(Self.boxFile("xm2vts"), [])
        return notes
    }

    static func boxFile(_ subset: String) -> String {
        "Bounding Boxes/bounding_boxes_\(subset.replacingOccurrences(of: "/", with: "_")).mat"
    }

    static func boxEntry(name: String, detector: [Double], groundTruth: [Double]) -> MATValue {
        .structure(dimensions: [1, 1], fieldNames: ["imgName", "bb_detector", "bb_ground_truth"],
                   elements: [[MATv5Writer.text(name), MATv5Writer.doubles(detector, dimensions: [1, 4]),
                               MATv5Writer.doubles(groundTruth, dimensions: [1, 4])]])
    }
}

extension SynthAnnotations {
    /// Adds a `.mat` file holding `bounding_boxes`, a 1×N cell of the given structs.
    mutating func mat(_ path: String, _ entries: [MATValue]) throws(SynthLayoutError) {
        do {
            files.append((path, try MATv5Writer.encode([
                ("bounding_boxes", .cell(dimensions: [1, entries.count], elements: entries)),
            ])))
        } catch {
            throw .annotation(path: path, reason: error.description)
        }
    }
}
