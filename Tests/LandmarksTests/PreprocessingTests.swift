import Foundation
import ImageIO
import Landmarks
import Tensors
import Testing
import TestSupport

/// The reference preprocessing against pixels computed with Pillow (`tools/pillow/make_fixtures.py`,
/// `Tests/Fixtures/pillow/README.md`): decode, crops, bilinear (antialiased) and nearest resizes,
/// JPEG noise and colour jitter with fixed parameters. Every comparison must be exact; the
/// acceptance bound is one intensity level, and the maximum difference is printed.
@Suite struct PreprocessingPillowTests {
    static let directory = Fixtures.root.appendingPathComponent("pillow")

    static func load(_ name: String) throws -> RGBImage {
        try ImageCodec.decodeFile(atPath: directory.appendingPathComponent(name).path)
    }

    /// Largest per-sample difference; the sizes must agree.
    static func maxDifference(_ a: RGBImage, _ b: RGBImage) -> Int? {
        guard a.width == b.width, a.height == b.height else { return nil }
        return zip(a.pixels, b.pixels).map { abs(Int($0) - Int($1)) }.max() ?? 0
    }

    static func expectMatch(_ ours: RGBImage, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try load(name)
        let diff = maxDifference(ours, expected)
        #expect(diff != nil, "\(name): size \(ours.width)×\(ours.height) vs \(expected.width)×\(expected.height)",
                sourceLocation: sourceLocation)
        #expect(diff == 0, "\(name): max |ours − Pillow| = \(diff ?? -1)", sourceLocation: sourceLocation)
        #expect((diff ?? 99) <= 1, "\(name): beyond the acceptance bound of one level", sourceLocation: sourceLocation)
    }

    @Test func decodingMatchesPillow() throws {
        try Self.expectMatch(Self.load("celeba_source.jpg"), "celeba_decoded.png")
    }

    @Test(arguments: [100, 136])
    func celebAInitialTransformsMatchPillow(width: Int) throws {
        let ours = CelebADataset.initialTransform(try Self.load("celeba_source.jpg"), imageWidth: width)
        try Self.expectMatch(ours, "celeba_\(width).png")
    }

    @Test(arguments: [100, 136])
    func aflwNonSquareResizeMatchesPillow(width: Int) throws {
        let ours = PillowResize.bilinear(try Self.load("aflw_source.jpg"), width: width, height: width)
        try Self.expectMatch(ours, "aflw_\(width).png")
    }

    @Test func threeHundredWFaceCropMatchesPillow() throws {
        let source = try Self.load("300w_source.jpg")
        let crop = try #require(ThreeHundredWCrop(box: [131.5, 20.25, 268.75, 171.0]))
        let nearest = PillowResize.nearest(source, width: Int(Double(source.width) * crop.scale),
                                           height: Int(Double(source.height) * crop.scale))
        try Self.expectMatch(nearest, "300w_nearest.png")
        let face = try crop.apply(source, path: "300w_source.jpg")
        try Self.expectMatch(face, "300w_crop100.png")
        try Self.expectMatch(ImageGeometry.resizeShorterSide(face, to: 136), "300w_136.png")
        // The window starts above the image, so its first rows are black padding.
        #expect(crop.top < 0 && face.pixels.prefix(3 * 100 * -crop.top).allSatisfy { $0 == 0 })
    }

    @Test(arguments: [(83, 37), (56, 98)])
    func jpegNoiseMatchesPillow(resized: Int, quality: Int) throws {
        let input = try Self.load("aug_input.png")
        try Self.expectMatch(try JPEGNoise.apply(input, .init(resizedWidth: resized, quality: quality)),
                             "jpegnoise_\(resized)_q\(quality).png")
    }

    @Test func colorJitterMatchesPillow61() throws {
        let input = try Self.load("aug_input.png")
        let a = ColorJitter.Parameters(steps: [(.contrast, 1.27), (.brightness, 0.71), (.saturation, 1.33)])
        let b = ColorJitter.Parameters(steps: [(.saturation, 0.62), (.contrast, 0.65), (.brightness, 1.38)])
        try Self.expectMatch(ColorJitter.apply(input, a), "jitter_a.png")
        try Self.expectMatch(ColorJitter.apply(input, b), "jitter_b.png")
    }

    /// Regenerates the committed source images with DVEBench's encoder (dev only: set
    /// `DVEBENCH_WRITE_PILLOW_SOURCES=1`, then rerun `tools/pillow/make_fixtures.py`).
    @Test func writeSourcesWhenAsked() throws {
        guard ProcessInfo.processInfo.environment["DVEBENCH_WRITE_PILLOW_SOURCES"] == "1" else { return }
        let sources: [(String, Int, Int, UInt64, JPEGChromaSubsampling)] = [
            ("celeba_source.jpg", 178, 218, 1, .s420), ("aflw_source.jpg", 143, 187, 2, .s444),
            ("300w_source.jpg", 331, 257, 3, .s444),
        ]
        for (name, w, h, seed, subsampling) in sources {
            try ImageCodec.write(SyntheticPhoto.make(width: w, height: h, seed: seed),
                                 toPath: Self.directory.appendingPathComponent(name).path,
                                 jpegQuality: 90, jpegSubsampling: subsampling)
        }
    }
}

/// Deterministic test pictures with smooth gradients, hard-edged shapes and per-pixel noise, so
/// that a wrong filter tap or a wrong nearest index changes the result.
enum SyntheticPhoto {
    static func make(width: Int, height: Int, seed: UInt64) -> RGBImage {
        var rng = SeededGenerator(seed: seed)
        let shapes = (0..<9).map { _ in
            (x: rng.nextUniform() * Double(width), y: rng.nextUniform() * Double(height),
             rx: 6 + rng.nextUniform() * Double(width) / 4, ry: 6 + rng.nextUniform() * Double(height) / 4,
             colour: (0..<3).map { _ in rng.nextUniform() * 255 })
        }
        var image = RGBImage(width: width, height: height)
        for y in 0..<height {
            for x in 0..<width {
                var c = [Double(x) / Double(width) * 200 + 20, Double(y) / Double(height) * 180 + 30,
                         128 + 100 * sin(Double(x + y) / 9)]
                for s in shapes {
                    let dx = (Double(x) - s.x) / s.rx, dy = (Double(y) - s.y) / s.ry
                    if dx * dx + dy * dy < 1 { c = s.colour }
                }
                if (x / 4 + y / 4) % 2 == 0 && x > width / 2 && y > height / 2 { c = c.map { 255 - $0 } }
                let noise = (rng.nextUniform() - 0.5) * 40
                image[x: x, y: y] = (UInt8(clamping: Int(c[0] + noise)), UInt8(clamping: Int(c[1] + noise)),
                                     UInt8(clamping: Int(c[2] - noise)))
            }
        }
        return image
    }
}

@Suite struct PreprocessingResampleTests {
    @Test func sameSizeIsACopyAndConstantsStayConstant() {
        let image = SyntheticPhoto.make(width: 23, height: 17, seed: 9)
        #expect(PillowResize.bilinear(image, width: 23, height: 17) == image)
        #expect(PillowResize.nearest(image, width: 23, height: 17) == image)
        let grey = RGBImage(width: 41, height: 29, fill: (77, 128, 201))
        for (w, h) in [(10, 7), (100, 100), (41, 3), (5, 90)] {
            #expect(PillowResize.bilinear(grey, width: w, height: h) == RGBImage(width: w, height: h, fill: (77, 128, 201)))
        }
    }

    /// Downscaling by 2 with Pillow's antialiased triangle (support 2) averages 4 taps per axis with
    /// weights 1/8, 3/8, 3/8, 1/8 (edge taps renormalised), not the 2-tap bilinear of OpenCV.
    @Test func downscalingUsesTheWidenedTriangle() {
        var row = RGBImage(width: 8, height: 1)
        for x in 0..<8 { row[x: x, y: 0] = (x == 3 ? 160 : 0, 0, 0) }
        let out = PillowResize.bilinear(row, width: 4, height: 1)
        // Output 1 is centred on input 2.5: taps 1…4 with weights 1/8, 3/8, 3/8, 1/8 → 160·3/8 = 60.
        // Output 2 (centre 4.5): tap 3 has weight 1/8 → 20.
        #expect(out[x: 1, y: 0].r == 60 && out[x: 2, y: 0].r == 20 && out[x: 0, y: 0].r == 0)
    }

    @Test func nearestPicksPillowsIndices() {
        var row = RGBImage(width: 10, height: 1)
        for x in 0..<10 { row[x: x, y: 0] = (UInt8(x), 0, 0) }
        // a = 10/4 = 2.5: samples at int(1.25), int(3.75), int(6.25), int(8.75).
        #expect((0..<4).map { PillowResize.nearest(row, width: 4, height: 1)[x: $0, y: 0].r } == [1, 3, 6, 8])
        // Upscaling 10 → 13, the indices Pillow 9.4 gives (printed from `im.resize((13, 1), NEAREST)`).
        let up = PillowResize.nearest(row, width: 13, height: 1)
        #expect((0..<13).map { up[x: $0, y: 0].r } == [0, 1, 1, 2, 3, 4, 5, 5, 6, 7, 8, 8, 9])
    }

    @Test func cropPadsWithBlackAndTorchvisionSizesTruncate() {
        let image = RGBImage(width: 4, height: 3, fill: (9, 9, 9))
        let out = ImageGeometry.crop(image, left: -2, top: 1, width: 5, height: 4)
        #expect(out.width == 5 && out.height == 4)
        #expect(out[x: 0, y: 0] == (0, 0, 0) && out[x: 2, y: 0] == (9, 9, 9) && out[x: 4, y: 1] == (9, 9, 9))
        #expect(out[x: 2, y: 2] == (0, 0, 0)) // row 3 of the source does not exist
        #expect(ImageGeometry.crop(image, left: 10, top: 10, width: 2, height: 2) == RGBImage(width: 2, height: 2))
        #expect(ImageGeometry.torchvisionShorterSideSize(width: 150, height: 150, size: 150) == nil)
        #expect(ImageGeometry.torchvisionShorterSideSize(width: 150, height: 203, size: 70)! == (70, 94))
        #expect(ImageGeometry.torchvisionShorterSideSize(width: 203, height: 150, size: 70)! == (94, 70))
    }

    /// `(u / 255)·255` in float32 comes back to exactly u for every byte value (checked here, so the
    /// warper's input is integral), and the layout is CHW.
    @Test func tensorTimes255IsExactAndPlanar() {
        let image = RGBImage(width: 256, height: 1, pixels: (0..<256).flatMap { [UInt8($0), 0, 255] })
        let t = ImageGeometry.tensorTimes255(image)
        #expect(t.shape == [3, 1, 256])
        for u in 0..<256 { #expect(t.storage[u] == (Float(u) / 255) * 255 && t.storage[u] == Float(u)) }
        #expect(t.storage[256..<512].allSatisfy { $0 == 0 } && t.storage[512...].allSatisfy { $0 == 255 })
    }
}
