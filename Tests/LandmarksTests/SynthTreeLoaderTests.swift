import Foundation
import ImageIO
import Landmarks
import Testing

/// Round trips: `SynthTree.write(to:)` in every layout, read back by the real loader of every split.
/// Item order, keypoints (the summary's `annotated` points through each loader's documented
/// keypoint transform, datasets.md §3–6, recomputed here in float64) and pixels (the decoded file
/// against the rendered face, within JPEG error) must all agree.
@Suite struct SynthTreeLoaderTests {
    /// A loader split of a written tree and the summary items it must list, in order.
    struct Split {
        var label: String
        var dataset: any LandmarkDataset
        var items: [SynthLayoutItem]
    }

    static let counts: [SynthLayout: Int] = [.celeba: 30, .aflwR: 12, .aflwM: 12, .threeHundredW: 14]

    /// Every split the reference reads from a tree, with the items its documented rules select.
    static func splits(_ summary: SynthTreeSummary, _ preprocessing: DatasetPreprocessing) throws -> [Split] {
        let root = summary.root, items = summary.items
        func select(_ split: String) -> [SynthLayoutItem] { items.filter { $0.split == split } }
        switch summary.layout {
        case .celeba:
            func open(_ split: CelebADataset.Split) throws -> any LandmarkDataset {
                try CelebADataset(root: root, split: split, preprocessing: preprocessing)
            }
            return [
                Split(label: "prunedTrain", dataset: try open(.prunedTrain), items: select("train")),
                Split(label: "prunedValidation", dataset: try open(.prunedValidation(size: 2)), items: Array(select("test").prefix(2))),
                Split(label: "prunedMAFLTest", dataset: try open(.prunedMAFLTest), items: select("mafl-test")),
                Split(label: "maflTrain", dataset: try open(.maflTrain), items: select("mafl-train")),
                Split(label: "maflTest", dataset: try open(.maflTest), items: select("mafl-test")),
            ]
        case .aflwR:
            return [
                Split(label: "train", dataset: try AFLWRecropDataset(root: root, train: true, preprocessing: preprocessing), items: select("train")),
                Split(label: "test", dataset: try AFLWRecropDataset(root: root, train: false, preprocessing: preprocessing), items: select("test")),
            ]
        case .aflwM:
            return [
                Split(label: "train", dataset: try AFLWMTFLDataset(root: root, train: true, preprocessing: preprocessing), items: select("train")),
                Split(label: "test", dataset: try AFLWMTFLDataset(root: root, train: false, preprocessing: preprocessing), items: select("test")),
            ]
        case .threeHundredW:
            func subsets(_ names: [String]) -> [SynthLayoutItem] { names.flatMap { name in items.filter { $0.group == name } } }
            return [
                Split(label: "train", dataset: try ThreeHundredWDataset(root: root, train: true, preprocessing: preprocessing),
                      items: subsets(["afw", "helen/trainset", "lfpw/trainset"])),
                Split(label: "test", dataset: try ThreeHundredWDataset(root: root, train: false, preprocessing: preprocessing),
                      items: subsets(["helen/testset", "lfpw/testset", "ibug"])),
            ]
        }
    }

    /// The keypoints of `item` in the imwidth frame, by the reference's formulas (float64).
    static func expectedKeypoints(_ item: SynthLayoutItem, _ layout: SynthLayout, width: Int) -> [Double] {
        let w = Double(width)
        switch layout {
        case .celeba:
            return item.annotated.flatMap { [$0.x * w / 178, ($0.y - 30) * w / 178] }
        case .aflwR:
            return item.annotated.flatMap { [$0.x * w / Double(item.width), $0.y * w / Double(item.height)] }
        case .aflwM:
            return item.annotated.flatMap { [$0.x * w / 150, $0.y * w / 150] }
        case .threeHundredW:
            // The .pts values are 1-based (annotated + 1); the box is MATLAB's.
            let box = item.boundingBox ?? []
            let bw = box[2] - box[0] + 1, bh = box[3] - box[1] + 1
            let fac = 52 / bw
            let bx = (fac * (box[0] + (bw + 1) / 2)).rounded(.down) - 26 + 1 - 24
            let by = (fac * (box[1] + (bh + 1) / 2)).rounded(.down) - 26 + 1 - 24 - 2
            return item.annotated.flatMap { (p: SynthPoint) -> [Double] in
                let x: Double = ((p.x + 1) * fac - (bx - 1) - 1) * w / 100
                let y: Double = ((p.y + 1) * fac - (by - 1) - 1) * w / 100
                return [x, y]
            }
        }
    }

    /// The loader's geometry applied to the rendered (never encoded) face.
    static func expectedImage(_ face: RGBImage, _ item: SynthLayoutItem, _ layout: SynthLayout, width: Int) throws -> RGBImage {
        switch layout {
        case .celeba:
            return ImageGeometry.resizeShorterSide(ImageGeometry.crop(face, left: 0, top: 30, width: 178, height: 178), to: width)
        case .aflwR: return PillowResize.bilinear(face, width: width, height: width)
        case .aflwM: return ImageGeometry.resizeShorterSide(face, to: width)
        case .threeHundredW:
            let crop = try #require(ThreeHundredWCrop(box: item.boundingBox ?? []))
            return ImageGeometry.resizeShorterSide(try crop.apply(face, path: item.path), to: width)
        }
    }

    /// Mean |a − b| over the pixels at least `margin` from every edge (the black columns a shift
    /// brings in stay out of the comparison).
    static func meanAbsoluteDifference(_ a: RGBImage, _ b: RGBImage, margin: Int = 0) -> Double {
        guard a.width == b.width, a.height == b.height, a.width > 2 * margin, a.height > 2 * margin else { return .infinity }
        var total = 0
        for y in margin..<(a.height - margin) {
            for i in (3 * (y * a.width + margin))..<(3 * (y * a.width + a.width - margin)) {
                total += abs(Int(a.pixels[i]) - Int(b.pixels[i]))
            }
        }
        return Double(total) / Double(3 * (a.width - 2 * margin) * (a.height - 2 * margin))
    }

    /// `image` moved by one pixel in each of the four directions.
    static func shifts(_ image: RGBImage) -> [RGBImage] {
        [(1, 0), (-1, 0), (0, 1), (0, -1)].map { ImageGeometry.crop(image, left: $0.0, top: $0.1, width: image.width, height: image.height) }
    }

    /// JPEG error (quality 92–95 on the faces' grain) stays below this; a different face is ~40.
    static let jpegLevels = 8.0

    /// `image` is `reference` within JPEG error, and closer to it than to `reference` moved by a
    /// pixel (mean differences alone cannot see a one-pixel shift of a smooth face).
    static func checkClose(_ image: RGBImage, to reference: RGBImage, shifted: [RGBImage], margin: Int,
                           _ what: String) {
        let own = meanAbsoluteDifference(image, reference, margin: margin)
        #expect(own < jpegLevels, "\(what) differs by \(own) levels")
        for (k, other) in shifted.enumerated() {
            let moved = meanAbsoluteDifference(image, other, margin: margin)
            #expect(own < moved, "\(what) is closer (\(moved) levels) to the reference moved by a pixel (shift \(k)) than to it (\(own))")
        }
    }

    @Test(arguments: SynthLayout.allCases)
    func loadersReadTheWrittenTreeBack(layout: SynthLayout) throws {
        let scratch = try SynthLayoutTests.Scratch()
        let tree = try SynthTree(layout: layout, count: Self.counts[layout] ?? 12, seed: 31)
        let summary = try tree.write(to: scratch.path + "/tree")
        var rendered: [Int: RGBImage] = [:]
        for preprocessing in [DatasetPreprocessing.smallNet, .hourglass] {
            let width = preprocessing.imageWidth
            for split in try Self.splits(summary, preprocessing) {
                let label = "\(layout) \(split.label) \(preprocessing)"
                let data = split.dataset
                #expect(!split.items.isEmpty && data.count == split.items.count, "\(label): \(data.count) items, expected \(split.items.count)")
                #expect(data.keypointCount == layout.keypointCount)
                for (i, item) in split.items.enumerated() where i < data.count {
                    let name = data.itemName(at: i)
                    #expect(item.path == name || item.path.hasSuffix("/" + name), "\(label) item \(i) is \(name), expected \(item.path)")
                    let keypoints = try data.keypoints(at: i)
                    let expected = Self.expectedKeypoints(item, layout, width: width)
                    #expect(keypoints.count == expected.count)
                    let worst = zip(keypoints, expected).map { abs(Double($0) - $1) }.max() ?? .infinity
                    #expect(worst < 1e-3, "\(label) item \(i): keypoints off by \(worst) px")

                    if rendered[item.index] == nil {
                        let face = try tree.faces.render(index: item.index, framing: item.framing).image
                        let file = try ImageCodec.decodeFile(atPath: summary.root + "/" + item.path)
                        Self.checkClose(file, to: face, shifted: Self.shifts(face), margin: 2, "\(label) item \(i): the file")
                        rendered[item.index] = face
                    }
                    let face = try #require(rendered[item.index])
                    let image = try data.preprocessedImage(at: i)
                    #expect(image.width == width && image.height == width)
                    let reference = try Self.expectedImage(face, item, layout, width: width)
                    let moved = try Self.shifts(face).map { try Self.expectedImage($0, item, layout, width: width) }
                    Self.checkClose(image, to: reference, shifted: moved, margin: 4, "\(label) item \(i): the preprocessed image")
                }
            }
        }
    }
}
